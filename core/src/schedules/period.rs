//! Monthly schedules: when each run is due, in the schedule's own timezone, and which
//! month it covers.
//!
//! A run for period `YYYY-MM` is due on `day_of_month` at `hour:00` local in that month and
//! covers the previous calendar month. An hour that a DST change skips runs at the next
//! valid instant; an hour that it repeats runs once, at its first occurrence.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::localtime::local_instant;

/// A month, the unit of schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn of(date: NaiveDate) -> Period {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn next(self) -> Period {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day() - Duration::days(1)
    }

    /// The days a run of this period covers: the whole previous month.
    pub fn covered(self) -> (NaiveDate, NaiveDate) {
        let p = self.prev();
        (p.first_day(), p.last_day())
    }

    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// When the run of `period` is due.
pub fn due_at(period: Period, day_of_month: u32, hour: u32, tz: Tz) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(period.year, period.month, day_of_month)
        .expect("days 1-28 exist in every month");
    local_instant(date.and_hms_opt(hour, 0, 0).expect("hours 0-23"), tz)
}

/// The first run strictly after `now`, with its period.
pub fn next_after(
    now: DateTime<Utc>,
    day_of_month: u32,
    hour: u32,
    tz: Tz,
) -> (Period, DateTime<Utc>) {
    let mut p = Period::of(now.with_timezone(&tz).date_naive());
    loop {
        let at = due_at(p, day_of_month, hour, tz);
        if at > now {
            return (p, at);
        }
        p = p.next();
    }
}

/// The `n` runs due after `now`, soonest first, each at its local hour in `tz`.
pub fn next_runs(
    now: DateTime<Utc>,
    day_of_month: u32,
    hour: u32,
    tz: Tz,
    n: usize,
) -> Vec<DateTime<Utc>> {
    let mut at = now;
    (0..n)
        .map(|_| {
            at = next_after(at, day_of_month, hour, tz).1;
            at
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(s: &str) -> Tz {
        s.parse().unwrap()
    }

    #[test]
    fn a_skipped_hour_runs_at_the_next_valid_instant() {
        // Santiago: 2026-09-06 00:00 does not exist (clocks go to 01:00, UTC-3).
        let at = due_at(
            Period {
                year: 2026,
                month: 9,
            },
            6,
            0,
            tz("America/Santiago"),
        );
        assert_eq!(at.to_rfc3339(), "2026-09-06T04:00:00+00:00");
        // Madrid: 2027-03-28 02:00 does not exist (clocks go to 03:00 CEST).
        let at = due_at(
            Period {
                year: 2027,
                month: 3,
            },
            28,
            2,
            tz("Europe/Madrid"),
        );
        assert_eq!(at.to_rfc3339(), "2027-03-28T01:00:00+00:00");
    }

    #[test]
    fn a_repeated_hour_runs_at_its_first_occurrence() {
        // Madrid: 2026-10-25 02:00 happens twice; the first is 00:00Z.
        assert_eq!(
            due_at(
                Period {
                    year: 2026,
                    month: 10
                },
                25,
                2,
                tz("Europe/Madrid")
            )
            .to_rfc3339(),
            "2026-10-25T00:00:00+00:00"
        );
        // Santiago: 2026-04-04 23:00 happens twice (-03 then -04); the first is 02:00Z.
        assert_eq!(
            due_at(
                Period {
                    year: 2026,
                    month: 4
                },
                4,
                23,
                tz("America/Santiago")
            )
            .to_rfc3339(),
            "2026-04-05T02:00:00+00:00"
        );
    }

    #[test]
    fn a_run_covers_the_previous_calendar_month() {
        assert_eq!(
            Period {
                year: 2026,
                month: 10
            }
            .covered(),
            ("2026-09-01".parse().unwrap(), "2026-09-30".parse().unwrap())
        );
        assert_eq!(
            Period {
                year: 2026,
                month: 1
            }
            .covered(),
            ("2025-12-01".parse().unwrap(), "2025-12-31".parse().unwrap())
        );
        assert_eq!(
            Period {
                year: 2024,
                month: 3
            }
            .covered()
            .1,
            "2024-02-29".parse().unwrap()
        );
    }

    #[test]
    fn created_mid_month_the_first_run_is_the_next_due_time() {
        let now: DateTime<Utc> = "2026-11-21T12:00:00Z".parse().unwrap();
        let (p, at) = next_after(now, 1, 6, tz("America/Santiago"));
        assert_eq!(
            p,
            Period {
                year: 2026,
                month: 12
            }
        );
        assert_eq!(at.to_rfc3339(), "2026-12-01T09:00:00+00:00");
        let (p, _) = next_after(now, 28, 6, tz("America/Santiago"));
        assert_eq!(
            p,
            Period {
                year: 2026,
                month: 11
            }
        );
    }

    #[test]
    fn the_next_runs_keep_the_local_hour_across_a_dst_change() {
        // Madrid leaves summer time on 2026-10-25: 06:00 local is 04:00Z, then 05:00Z.
        let now: DateTime<Utc> = "2026-09-20T12:00:00Z".parse().unwrap();
        let runs: Vec<String> = next_runs(now, 1, 6, tz("Europe/Madrid"), 3)
            .iter()
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            runs,
            [
                "2026-10-01T04:00:00+00:00",
                "2026-11-01T05:00:00+00:00",
                "2026-12-01T05:00:00+00:00"
            ]
        );
    }
}
