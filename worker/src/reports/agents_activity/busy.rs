//! An agent's busy time: the length of the union of the intervals of the chats it took,
//! which does not add up across days or sites, kept in little memory however many chats a
//! range has.

/// One agent's sessions, busy intervals and messages.
///
/// Intervals are held until no interval still to come can touch them, then only their
/// length is kept: a reader that knows every interval still to come starts at or after
/// an instant says so with [`Activity::settle`]. Chats are read in order of their day (and
/// from the source, of their start), so a 90-day read holds about a day's intervals, not
/// every chat of the range.
#[derive(Debug, Clone)]
pub struct Activity {
    pub sessions: i64,
    pub messages: i64,
    /// `[start, end)` in microseconds, not yet settled; disjoint and sorted after
    /// [`Activity::merge`].
    intervals: Vec<(i64, i64)>,
    /// Length past which pushed intervals are merged and settled, to keep memory in check.
    merge_at: usize,
    /// Every interval still to come starts at or after this instant (µs), as said.
    settle_before: i64,
    /// The settled intervals' length (µs) and the end of the last of them.
    settled_us: i64,
    settled_end: i64,
    /// An interval came that started before the end of a settled one: what was said of
    /// the intervals to come was wrong, and the union may be short. The reader reads again
    /// without settling.
    pub misled: bool,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            sessions: 0,
            messages: 0,
            intervals: Vec::new(),
            merge_at: 0,
            settle_before: i64::MIN,
            settled_us: 0,
            settled_end: i64::MIN,
            misled: false,
        }
    }
}

/// Two activities are equal when their sessions, messages and busy time are, however
/// much of it is settled.
impl PartialEq for Activity {
    fn eq(&self, o: &Self) -> bool {
        (self.sessions, self.messages, self.busy_us()) == (o.sessions, o.messages, o.busy_us())
    }
}

impl Eq for Activity {}

/// Pending intervals an agent holds before they are merged and settled.
const MERGE_AT: usize = 64;

impl Activity {
    /// Adds a chat's interval; one without both ends, or empty, adds no time.
    pub fn push(&mut self, start: Option<i64>, end: Option<i64>) {
        if let (Some(s), Some(e)) = (start, end)
            && e > s
        {
            self.misled |= s <= self.settled_end;
            self.intervals.push((s, e));
            if self.intervals.len() > self.merge_at.max(MERGE_AT) {
                self.settle(self.settle_before);
                self.merge_at = 2 * self.intervals.len();
            }
        }
    }

    /// Says that every interval still to come starts at or after `at` (µs); the next
    /// merge of a growing agent settles what ends before it.
    pub fn starts_from(&mut self, at: i64) {
        self.settle_before = self.settle_before.max(at);
    }

    /// [`Activity::starts_from`] `before`, and settles now: merges the intervals held, and
    /// keeps only the length of those that end before it.
    pub fn settle(&mut self, before: i64) {
        self.starts_from(before);
        self.merge();
        let done = self
            .intervals
            .partition_point(|&(_, e)| e < self.settle_before);
        if done > 0 {
            self.settled_us += length(&self.intervals[..done]);
            self.settled_end = self.intervals[done - 1].1;
            self.intervals.drain(..done);
        }
    }

    /// Merges overlapping or touching intervals, so that they are disjoint and sorted.
    pub fn merge(&mut self) {
        self.intervals.sort_unstable();
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(self.intervals.len());
        for &(s, e) in &self.intervals {
            match out.last_mut() {
                Some((_, oe)) if s <= *oe => *oe = (*oe).max(e),
                _ => out.push((s, e)),
            }
        }
        self.intervals = out;
    }

    /// The length of the union of the intervals, in seconds.
    pub fn busy_secs(&self) -> f64 {
        self.busy_us() as f64 / 1e6
    }

    /// The length of the union of the intervals, in microseconds.
    fn busy_us(&self) -> i64 {
        let mut held = self.clone();
        held.merge();
        held.settled_us + length(&held.intervals)
    }
}

/// The length of disjoint intervals, in microseconds.
fn length(intervals: &[(i64, i64)]) -> i64 {
    intervals.iter().map(|(s, e)| e - s).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_chats_count_once_and_gaps_do_not_count() {
        let mut a = Activity::default();
        let t = |s: i64| Some(1_800_000_000_000_000 + s * 1_000_000);
        a.push(t(0), t(100));
        a.push(t(200), t(230)); // after a gap
        a.push(t(50), t(150)); // overlaps: 0..150, pushed out of order
        a.push(t(60), t(70)); // inside
        a.push(t(300), None); // no end: no time
        a.push(t(400), t(400)); // empty
        assert!((a.busy_secs() - 180.0).abs() < 1e-9);
        // Merged intervals merge again to the same union.
        let mut b = a.clone();
        b.push(t(140), t(210));
        assert!((b.busy_secs() - 230.0).abs() < 1e-9);
        assert!((a.busy_secs() - 180.0).abs() < 1e-9);
    }

    #[test]
    fn settled_intervals_keep_their_length_and_a_misleading_start_is_noticed() {
        let t = |s: i64| Some(1_800_000_000_000_000 + s * 1_000_000);
        // Many days of chats, each day settled as it begins: the same union as unsettled.
        let (mut settled, mut held) = (Activity::default(), Activity::default());
        for day in 0..200 {
            settled.settle(t(day * 1000).unwrap());
            for k in 0..10 {
                let s = day * 1000 + k * 50;
                for a in [&mut settled, &mut held] {
                    a.push(t(s), t(s + 80)); // overlaps the next: one run of 530 s a day
                }
            }
            settled.push(t(day * 1000 + 990), t(day * 1000 + 1020)); // into the next day
            held.push(t(day * 1000 + 990), t(day * 1000 + 1020));
        }
        // The last day's eleven chats and the one carried from the day before, against
        // a run a day held.
        assert!(settled.intervals.len() <= 12, "{}", settled.intervals.len());
        assert!(held.intervals.len() >= 200, "{}", held.intervals.len());
        assert!(!settled.misled);
        assert!((settled.busy_secs() - held.busy_secs()).abs() < 1e-9);
        // Day 0's run, 199 runs from 990 s into a day to 530 s into the next, and the last 30 s.
        assert!((held.busy_secs() - (530.0 + 199.0 * 540.0 + 30.0)).abs() < 1e-6);
        // An interval that starts before the end of a settled one breaks the promise.
        let mut a = Activity::default();
        a.push(t(0), t(100));
        a.settle(t(500).unwrap());
        assert!(!a.misled);
        a.push(t(600), t(700));
        assert!(!a.misled);
        a.push(t(90), t(95));
        assert!(a.misled);
        // A sorted stream settles as it grows, with no explicit settle.
        let mut b = Activity::default();
        for k in 0..10_000 {
            b.starts_from(t(k * 10).unwrap());
            b.push(t(k * 10), t(k * 10 + 5));
        }
        assert!(b.intervals.len() <= 2 * MERGE_AT, "{}", b.intervals.len());
        assert!((b.busy_secs() - 50_000.0).abs() < 1e-6);
    }
}
