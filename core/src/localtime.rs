//! Local wall times in a timezone: the one instant each stands for, across DST gaps and
//! repeats. Shared by date ranges and schedules.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant a local wall time happens: the first occurrence when it repeats, the end of
/// the gap when it does not exist.
pub fn local_instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return t.with_timezone(&Utc);
    }
    let before = tz
        .offset_from_utc_datetime(&(local - Duration::days(1)))
        .fix();
    let after = tz
        .offset_from_utc_datetime(&(local + Duration::days(1)))
        .fix();
    let (mut lo, mut hi) = ((local - after).and_utc(), (local - before).and_utc());
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    while hi - lo > Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if mid.with_timezone(&tz).naive_local() >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}
