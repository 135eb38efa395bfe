//! When a schedule's runs are due and which days each covers, in the schedule's own
//! timezone.
//!
//! A run is named by its *run date*, the local date it is due on: every day (`daily`), a
//! day of the week (`weekly`), or a day of the month, 1–28 or the last (`monthly`), each at
//! `hour:00` local. An hour that a DST change skips runs at the next valid instant; an hour
//! that it repeats runs once, at its first occurrence. A run covers the period just closed
//! before its run date (yesterday, the last full week from the week start, the previous
//! month) or, with `last_days`, the N days before it.
//!
//! Each run has a period key, unique per run date and distinct across cadences, so that a
//! schedule's exports are idempotent per run whatever its cadence was when they were made:
//! `YYYY-MM` (monthly: the month it is due in), `YYYY-MM-DD` (daily), `YYYY-Www-D` (weekly:
//! the ISO week date).

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use crate::localtime::local_instant;

/// How often a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Daily,
    Weekly(Weekday),
    Monthly(MonthDay),
}

impl Cadence {
    pub fn name(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekly(_) => "weekly",
            Cadence::Monthly(_) => "monthly",
        }
    }
}

/// The day of the month a monthly schedule runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthDay {
    /// 1 to 28: every month has it.
    Day(u32),
    Last,
}

impl MonthDay {
    fn in_month(self, first: NaiveDate) -> NaiveDate {
        match self {
            MonthDay::Day(d) => first.with_day(d).expect("days 1-28 exist in every month"),
            MonthDay::Last => first + Months::new(1) - Days::new(1),
        }
    }
}

/// Which days a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers {
    /// The period just closed: yesterday, last week, last month.
    Closed,
    /// The N days before the run date.
    LastDays(u32),
}

/// Everything that decides when a schedule runs and what each run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub cadence: Cadence,
    /// 0 to 23, local.
    pub hour: u32,
    pub tz: Tz,
    pub covers: Covers,
    /// The first day of a week, for weekly schedules covering the week just closed.
    pub week_start: Weekday,
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("every month has a first day")
}

impl Timing {
    /// The first run date on or after `d`.
    pub fn run_date_from(&self, d: NaiveDate) -> NaiveDate {
        match self.cadence {
            Cadence::Daily => d,
            Cadence::Weekly(w) => {
                let ahead = (7 + w.num_days_from_monday() - d.weekday().num_days_from_monday()) % 7;
                d + Days::new(ahead.into())
            }
            Cadence::Monthly(md) => {
                let this = md.in_month(first_of_month(d));
                if this >= d {
                    this
                } else {
                    md.in_month(first_of_month(d) + Months::new(1))
                }
            }
        }
    }

    /// The latest run date on or before `d`: the run a `next_run_at` on `d` stands for.
    pub fn run_date_of(&self, d: NaiveDate) -> NaiveDate {
        match self.cadence {
            Cadence::Daily => d,
            Cadence::Weekly(w) => {
                let back = (7 + d.weekday().num_days_from_monday() - w.num_days_from_monday()) % 7;
                d - Days::new(back.into())
            }
            Cadence::Monthly(md) => {
                let this = md.in_month(first_of_month(d));
                if this <= d {
                    this
                } else {
                    md.in_month(first_of_month(d) - Months::new(1))
                }
            }
        }
    }

    /// The run date after `d`, a run date.
    pub fn next_run_date(&self, d: NaiveDate) -> NaiveDate {
        self.run_date_from(d + Days::new(1))
    }

    /// When the run of `date` is due.
    pub fn due_at(&self, date: NaiveDate) -> DateTime<Utc> {
        local_instant(
            date.and_hms_opt(self.hour, 0, 0).expect("hours 0-23"),
            self.tz,
        )
    }

    /// The first run strictly after `now`: its run date and when it is due.
    pub fn next_after(&self, now: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>) {
        let today = now.with_timezone(&self.tz).date_naive();
        let mut d = self.run_date_from(today - Days::new(1));
        loop {
            let at = self.due_at(d);
            if at > now {
                return (d, at);
            }
            d = self.next_run_date(d);
        }
    }

    /// The latest run whose days are all over by `today` (local): the period a "run now"
    /// makes when none is named. For a daily schedule, today's run (yesterday); for a
    /// weekly one, the run covering the last full week, even when it is due later.
    pub fn latest_closed(&self, today: NaiveDate) -> NaiveDate {
        let mut d = self.run_date_of(today);
        loop {
            let next = self.next_run_date(d);
            if self.covered(next).1 >= today {
                break;
            }
            d = next;
        }
        while self.covered(d).1 >= today {
            d = self.run_date_of(d - Days::new(1));
        }
        d
    }

    /// The `n` runs due strictly after `now`, soonest first.
    pub fn next_runs(&self, now: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let (mut d, first) = self.next_after(now);
        let mut runs = vec![first];
        while runs.len() < n {
            d = self.next_run_date(d);
            runs.push(self.due_at(d));
        }
        runs.truncate(n);
        runs
    }

    /// The local days the run of `date` covers, both ends included.
    pub fn covered(&self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        let before = date - Days::new(1);
        match (self.covers, self.cadence) {
            (Covers::LastDays(n), _) => (date - Days::new(n.into()), before),
            (Covers::Closed, Cadence::Daily) => (before, before),
            (Covers::Closed, Cadence::Weekly(_)) => {
                let last = self.week_start.pred();
                let back =
                    (7 + before.weekday().num_days_from_monday() - last.num_days_from_monday()) % 7;
                let to = before - Days::new(back.into());
                (to - Days::new(6), to)
            }
            (Covers::Closed, Cadence::Monthly(_)) => {
                let first = first_of_month(date) - Months::new(1);
                (first, first + Months::new(1) - Days::new(1))
            }
        }
    }

    /// The period key of the run of `date`.
    pub fn key(&self, date: NaiveDate) -> String {
        match self.cadence {
            Cadence::Daily => date.format("%Y-%m-%d").to_string(),
            Cadence::Weekly(_) => {
                let w = date.iso_week();
                format!(
                    "{:04}-W{:02}-{}",
                    w.year(),
                    w.week(),
                    date.weekday().number_from_monday()
                )
            }
            Cadence::Monthly(_) => date.format("%Y-%m").to_string(),
        }
    }

    /// The run date a period key names, when it is one of this schedule's.
    pub fn parse_key(&self, key: &str) -> Option<NaiveDate> {
        let date = match self.cadence {
            Cadence::Daily => NaiveDate::parse_from_str(key, "%Y-%m-%d").ok()?,
            Cadence::Weekly(_) => {
                let (year, rest) = key.split_once("-W")?;
                let (week, day) = rest.split_once('-')?;
                if week.len() != 2 || day.len() != 1 {
                    return None;
                }
                let weekday = Weekday::try_from(day.parse::<u8>().ok()?.checked_sub(1)?).ok()?;
                NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, weekday)?
            }
            Cadence::Monthly(md) => {
                let first = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok()?;
                md.in_month(first)
            }
        };
        (self.run_date_from(date) == date && self.key(date) == key).then_some(date)
    }
}

/// A weekday's name in the API: `monday` … `sunday`.
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// The weekday an API name stands for.
pub fn parse_weekday(name: &str) -> Option<Weekday> {
    (0..7u8)
        .filter_map(|i| Weekday::try_from(i).ok())
        .find(|w| weekday_name(*w) == name)
}

#[cfg(test)]
mod tests;
