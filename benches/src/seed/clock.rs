//! When seeded things happen: an hour drawn with business-day weights, and a local time
//! of day as an instant.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rand::{RngExt, rngs::SmallRng};

/// Hour weights of a business day: quiet nights, peaks at 11:00 and 16:00.
const HOURS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 14, 20, 24, 26, 20, 18, 22, 25, 26, 22, 16, 12, 9, 6, 4, 2,
];

pub(super) fn pick_hour(rng: &mut SmallRng) -> u32 {
    let total: u32 = HOURS.iter().sum();
    let mut x = rng.random_range(0..total);
    for (h, w) in HOURS.iter().enumerate() {
        if x < *w {
            return h as u32;
        }
        x -= w;
    }
    23
}

pub(super) fn local(tz: Tz, day: NaiveDate, secs_of_day: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(secs_of_day as i64);
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => {
            exportd_core::domain::local_day_start(day, tz) + Duration::seconds(secs_of_day as i64)
        }
    }
}
