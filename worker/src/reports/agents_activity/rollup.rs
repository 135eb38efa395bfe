//! Reading agents' activity: sessions, busy time and messages per agent, from rollup blocks
//! for closed days where valid ones exist (see [`crate::rollup`]), from the source
//! tables elsewhere. Busy time is a union of intervals, which does not add up across days
//! or sites; so each day keeps its agents' chats, each with its site and interval in
//! microseconds, and the read merges those of every day and site wanted exactly. Messages
//! add up, and have blocks above days.

use std::{
    collections::{BTreeMap, HashSet},
    sync::LazyLock,
};

use exportd_core::domain::DateRange;
use futures::TryStreamExt;

use crate::{
    reports::Reads,
    rollup::{self, Cover, DaysStatement, Rollups, day_of, sum_block},
};

/// Microseconds since the epoch of a timestamp, exactly.
macro_rules! micros {
    ($e:literal) => {
        concat!("(extract(epoch FROM ", $e, ") * 1000000)::int8")
    };
}

/// The chats agents took (`$1` account, `[$2, $3)` by `started_at`, `$4` sites, `$5`
/// agents), each agent's in the order taken: agent, start and end in microseconds;
/// the end is `closed_at`, or `last_msg_at` while open.
const CHATS: &str = concat!(
    "SELECT accepted_by, ",
    micros!("accepted_at"),
    ", ",
    micros!("coalesce(closed_at, last_msg_at)"),
    "
  FROM chats
 WHERE account_id = $1 AND started_at >= $2 AND started_at < $3 AND accepted_by IS NOT NULL
   AND ($4::int8[] IS NULL OR site_id = ANY($4))
   AND ($5::int8[] IS NULL OR accepted_by = ANY($5))
 ORDER BY accepted_by, accepted_at"
);

/// Agents' messages sent in the range, per agent; with `sites`, only in those sites' chats.
const MESSAGES: &str = "SELECT m.agent_id, count(*)
  FROM messages m
 WHERE m.account_id = $1 AND m.sender = 'agent' AND m.sent_at >= $2 AND m.sent_at < $3
   AND m.agent_id IS NOT NULL
   AND ($5::int8[] IS NULL OR m.agent_id = ANY($5))
   AND ($4::int8[] IS NULL OR EXISTS (
        SELECT 1 FROM chats ch WHERE ch.id = m.chat_id AND ch.account_id = $1 AND ch.site_id = ANY($4)))
 GROUP BY m.agent_id";

/// Where the rows of agents' chats go.
const CHATS_TARGET: &str =
    "rollup_agent_chats (series_id, level, block, agent_id, sites, starts, ends)";

/// A span's chats, per local day and agent (binds as [`DaysStatement`]): for each chat
/// the agent took, its site and busy interval, as [`CHATS`] gives them, in arrays whose
/// elements pair up (every aggregate of a group is fed its rows in one order). The read
/// filters the sites and merges the intervals: one grouped pass, nothing sorted.
pub static BUILD_DAYS_CHATS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT $4, 0, day, accepted_by, array_agg(site_id), array_agg(s), array_agg(e)
           FROM (SELECT {day} AS day, site_id, accepted_by, {s} AS s, {e} AS e
                   FROM chats
                  WHERE account_id = $1 AND started_at >= $2 AND started_at < $3
                    AND accepted_by IS NOT NULL) c
          GROUP BY day, accepted_by",
        day = day_of("started_at"),
        s = micros!("accepted_at"),
        e = micros!("coalesce(closed_at, last_msg_at)"),
    )
});

/// A span's agents' messages, per local day and (site of the chat, agent) (binds as
/// [`DaysStatement`]).
pub static BUILD_DAYS_MESSAGES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT $4, 0, {day}, ch.site_id, m.agent_id, count(*)
           FROM messages m LEFT JOIN chats ch ON ch.id = m.chat_id AND ch.account_id = $1
          WHERE m.account_id = $1 AND m.sender = 'agent' AND m.sent_at >= $2 AND m.sent_at < $3
            AND m.agent_id IS NOT NULL
          GROUP BY 3, ch.site_id, m.agent_id",
        day = day_of("m.sent_at")
    )
});

/// A block's messages from the blocks under it (binds as [`Rollups::block`]).
static BUILD_BLOCK_MESSAGES: LazyLock<String> = LazyLock::new(|| {
    sum_block(
        "rollup_agent_messages",
        &["site_id", "agent_id"],
        &["messages"],
        &[],
    )
});

/// The chats of days `unnest($2 levels, $3 blocks)` of series `$1` (kept by day: see
/// [`ROLLUPS`]), of agents `$4` or all: per day and agent, each chat's site and interval.
const READ_DAYS_CHATS: &str = "
SELECT t.agent_id, t.sites, t.starts, t.ends
  FROM rollup_agent_chats t
  JOIN unnest($2::int2[], $3::int4[]) AS b (level, block) ON t.level = b.level AND t.block = b.block
 WHERE t.series_id = $1 AND ($4::int8[] IS NULL OR t.agent_id = ANY($4))";

/// The messages of blocks `unnest($2 levels, $3 blocks)` of series `$1`, per agent: of
/// sites `$4` or all, agents `$5` or all.
const READ_BLOCK_MESSAGES: &str = "
SELECT t.agent_id, sum(t.messages)::int8
  FROM rollup_agent_messages t
  JOIN unnest($2::int2[], $3::int4[]) AS b (level, block) ON t.level = b.level AND t.block = b.block
 WHERE t.series_id = $1
   AND ($4::int8[] IS NULL OR t.site_id = ANY($4))
   AND ($5::int8[] IS NULL OR t.agent_id = ANY($5))
 GROUP BY t.agent_id";

/// One agent's sessions, busy intervals and messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub sessions: i64,
    pub messages: i64,
    /// `[start, end)` in microseconds; disjoint and sorted after [`Activity::merge`].
    intervals: Vec<(i64, i64)>,
    /// Length past which pushed intervals are merged, to keep memory in check.
    merge_at: usize,
}

impl Activity {
    /// Adds a chat's interval; one without both ends, or empty, adds no time.
    pub fn push(&mut self, start: Option<i64>, end: Option<i64>) {
        if let (Some(s), Some(e)) = (start, end)
            && e > s
        {
            self.intervals.push((s, e));
            if self.intervals.len() > self.merge_at.max(1024) {
                self.merge();
                self.merge_at = 2 * self.intervals.len();
            }
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
    pub fn busy_secs(&mut self) -> f64 {
        self.merge();
        let us: i64 = self.intervals.iter().map(|(s, e)| e - s).sum();
        us as f64 / 1e6
    }
}

/// Agents by id.
pub type Activities = BTreeMap<i64, Activity>;

/// A day's chats of an agent: agent, and each chat's site, start and end.
type DayChats = (i64, Vec<Option<i64>>, Vec<Option<i64>>, Vec<Option<i64>>);

/// Reads the activity of the agents of account `account_id` in `range`, narrowed by
/// `sites` and `agents`, from rollups where `rollups` and valid blocks exist. Agents with a
/// session come with their messages; the intervals are merged. Returns how it was read too.
pub async fn read(
    db: &Reads,
    rollups: bool,
    account_id: i64,
    range: &DateRange,
    sites: Option<&[i64]>,
    agents: Option<&[i64]>,
) -> Result<(Activities, Cover), sqlx::Error> {
    let (series, cover) = rollup::plan_range(&db.primary, rollups, account_id, range).await?;
    let mut all = Activities::new();
    let mut messages: BTreeMap<i64, i64> = BTreeMap::new();
    for &(a, b) in &cover.raw {
        let (from, to) = rollup::days_bounds(a, b, range.tz);
        // The chats stream while the messages are counted, as two queries at once.
        let chats = async {
            let mut rows = sqlx::query_as::<_, (i64, Option<i64>, Option<i64>)>(CHATS)
                .bind(account_id)
                .bind(from)
                .bind(to)
                .bind(sites)
                .bind(agents)
                .fetch(&db.source);
            while let Some((agent, s, e)) = rows.try_next().await? {
                let act = all.entry(agent).or_default();
                act.sessions += 1;
                act.push(s, e);
            }
            Ok::<_, sqlx::Error>(())
        };
        let counts = sqlx::query_as::<_, (i64, i64)>(MESSAGES)
            .bind(account_id)
            .bind(from)
            .bind(to)
            .bind(sites)
            .bind(agents)
            .fetch_all(&db.source);
        let ((), counts) = tokio::try_join!(chats, counts)?;
        for (agent, n) in counts {
            *messages.entry(agent).or_default() += n;
        }
    }
    if let (Some(series), false) = (series, cover.blocks.is_empty()) {
        let (levels, days) = cover.day_keys();
        let wanted: Option<HashSet<i64>> = sites.map(|s| s.iter().copied().collect());
        let mut rows = sqlx::query_as::<_, DayChats>(READ_DAYS_CHATS)
            .bind(series)
            .bind(&levels)
            .bind(&days)
            .bind(agents)
            .fetch(&db.primary);
        while let Some((agent, chat_sites, starts, ends)) = rows.try_next().await? {
            let act = all.entry(agent).or_default();
            for ((site, s), e) in chat_sites.into_iter().zip(starts).zip(ends) {
                if wanted
                    .as_ref()
                    .is_none_or(|w| site.is_some_and(|site| w.contains(&site)))
                {
                    act.sessions += 1;
                    act.push(s, e);
                }
            }
        }
        drop(rows);
        let (levels, blocks) = cover.block_keys();
        let counts: Vec<(i64, i64)> = sqlx::query_as(READ_BLOCK_MESSAGES)
            .bind(series)
            .bind(&levels)
            .bind(&blocks)
            .bind(sites)
            .bind(agents)
            .fetch_all(&db.primary)
            .await?;
        for (agent, n) in counts {
            *messages.entry(agent).or_default() += n;
        }
    }
    // Only agents with a session have a row; their messages come with them.
    all.retain(|_, a| a.sessions > 0);
    for (agent, act) in &mut all {
        act.messages = messages.get(agent).copied().unwrap_or(0);
        act.merge();
    }
    Ok((all, cover))
}

/// The agents' activity rollups: sessions and busy intervals, and messages.
pub static ROLLUPS: Rollups = Rollups {
    tables: &["rollup_agent_chats", "rollup_agent_messages"],
    days: &[
        DaysStatement {
            target: || CHATS_TARGET,
            query: || BUILD_DAYS_CHATS.as_str(),
        },
        DaysStatement {
            target: || "rollup_agent_messages (series_id, level, block, site_id, agent_id, messages)",
            query: || BUILD_DAYS_MESSAGES.as_str(),
        },
    ],
    block: &[|| BUILD_BLOCK_MESSAGES.as_str()],
    // An agent's chats of different days hardly overlap: a block would hold as many
    // intervals as its days.
    days_only: &["rollup_agent_chats"],
};

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
}
