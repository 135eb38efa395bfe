//! A schedule's timing as the API reads and shows it: `cadence`, `day_of_month` (1–28 or
//! `"last"`, monthly), `day_of_week` (weekly), `week_start`, `last_days`, `hour` and
//! `timezone`. A field that does not apply to the cadence is refused by name; on a change,
//! what is not given is kept, unless the cadence changes, which drops the old day.

use chrono::Weekday;
use chrono_tz::Tz;
use exportd_core::schedules::{Cadence, Covers, MonthDay, Timing, parse_weekday, weekday_name};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{
    error::{ApiError, ApiResult},
    validate,
};

/// Reads a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The timing fields of a request; absent ones keep the schedule's (or take the default).
#[derive(Debug, Default)]
pub struct TimingInput<'a> {
    pub cadence: Option<&'a str>,
    pub day_of_month: Option<Option<&'a Value>>,
    pub day_of_week: Option<Option<&'a str>>,
    pub week_start: Option<&'a str>,
    pub last_days: Option<Option<i64>>,
    pub hour: Option<i64>,
    pub timezone: Option<&'a str>,
}

fn invalid(code: &'static str, message: String) -> ApiError {
    ApiError::unprocessable(code, message)
}

fn month_day(v: &Value) -> ApiResult<MonthDay> {
    match v {
        Value::Number(n) if n.as_i64().is_some_and(|d| (1..=28).contains(&d)) => {
            Ok(MonthDay::Day(n.as_i64().unwrap_or(1) as u32))
        }
        Value::String(s) if s == "last" => Ok(MonthDay::Last),
        other => Err(invalid(
            "invalid_day_of_month",
            format!("day_of_month must be 1 to 28 (every month has it) or \"last\", got {other}"),
        )),
    }
}

fn weekday(field: &str, code: &'static str, name: &str) -> ApiResult<Weekday> {
    parse_weekday(name).ok_or_else(|| {
        invalid(
            code,
            format!("{field} must be a day of the week, \"monday\" to \"sunday\", got {name:?}"),
        )
    })
}

fn not_for(code: &'static str, field: &str, cadence: &str, only: &str) -> ApiError {
    invalid(
        code,
        format!("{field} applies only to {only} schedules, not to a {cadence} one"),
    )
}

/// The timing a request asks for, from `base` (the schedule's, on a change) and
/// `default_tz` (the account's, on a create). `max_days` bounds `last_days`.
pub fn read(
    input: &TimingInput,
    base: Option<&Timing>,
    default_tz: Option<Tz>,
    max_days: i64,
) -> ApiResult<Timing> {
    let cadence = input
        .cadence
        .or(base.map(|b| b.cadence.name()))
        .unwrap_or("monthly");
    // The day a schedule of the same cadence keeps when the request does not name one.
    let kept = base.map(|b| b.cadence).filter(|c| c.name() == cadence);
    let day_of_month = input.day_of_month.flatten();
    let day_of_week = input.day_of_week.flatten();
    let cadence = match cadence {
        "daily" => {
            if day_of_month.is_some() {
                return Err(not_for(
                    "invalid_day_of_month",
                    "day_of_month",
                    cadence,
                    "monthly",
                ));
            }
            if day_of_week.is_some() {
                return Err(not_for(
                    "invalid_day_of_week",
                    "day_of_week",
                    cadence,
                    "weekly",
                ));
            }
            Cadence::Daily
        }
        "weekly" => {
            if day_of_month.is_some() {
                return Err(not_for(
                    "invalid_day_of_month",
                    "day_of_month",
                    cadence,
                    "monthly",
                ));
            }
            match (day_of_week, kept) {
                (Some(name), _) => {
                    Cadence::Weekly(weekday("day_of_week", "invalid_day_of_week", name)?)
                }
                (None, Some(c)) if input.day_of_week.is_none() => c,
                _ => {
                    return Err(invalid(
                        "invalid_day_of_week",
                        "a weekly schedule needs day_of_week, \"monday\" to \"sunday\"".into(),
                    ));
                }
            }
        }
        "monthly" => {
            if day_of_week.is_some() {
                return Err(not_for(
                    "invalid_day_of_week",
                    "day_of_week",
                    cadence,
                    "weekly",
                ));
            }
            match (day_of_month, kept) {
                (Some(v), _) => Cadence::Monthly(month_day(v)?),
                (None, Some(c)) if input.day_of_month.is_none() => c,
                _ => {
                    return Err(invalid(
                        "invalid_day_of_month",
                        "a monthly schedule needs day_of_month, 1 to 28 or \"last\"".into(),
                    ));
                }
            }
        }
        other => {
            return Err(invalid(
                "invalid_cadence",
                format!("cadence must be \"daily\", \"weekly\" or \"monthly\", got {other:?}"),
            ));
        }
    };
    let week_start = match input.week_start {
        Some(_) if !matches!(cadence, Cadence::Weekly(_)) => {
            return Err(not_for(
                "invalid_week_start",
                "week_start",
                cadence.name(),
                "weekly",
            ));
        }
        Some(name) => weekday("week_start", "invalid_week_start", name)?,
        None => base.map_or(Weekday::Mon, |b| b.week_start),
    };
    let covers = match input.last_days {
        Some(Some(n)) if (1..=max_days).contains(&n) => Covers::LastDays(n as u32),
        Some(Some(n)) => {
            return Err(invalid(
                "invalid_last_days",
                format!(
                    "last_days must be 1 to {max_days} (the longest range a report covers), got {n}"
                ),
            ));
        }
        Some(None) => Covers::Closed,
        None => base.map_or(Covers::Closed, |b| b.covers),
    };
    let hour = match input.hour.or(base.map(|b| b.hour as i64)) {
        Some(h) if (0..=23).contains(&h) => h as u32,
        Some(h) => {
            return Err(invalid(
                "invalid_hour",
                format!("hour must be 0 to 23 (local time), got {h}"),
            ));
        }
        None => {
            return Err(invalid(
                "invalid_hour",
                "hour is required, 0 to 23 (local time)".into(),
            ));
        }
    };
    let tz = match input.timezone {
        Some(name) => validate::timezone(name)?,
        None => base
            .map(|b| b.tz)
            .or(default_tz)
            .ok_or_else(ApiError::account_missing)?,
    };
    Ok(Timing {
        cadence,
        hour,
        tz,
        covers,
        week_start,
    })
}

/// `day_of_month` as shown: a number, `"last"`, or absent for other cadences.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DayOfMonth {
    /// 1 to 28.
    Day(u32),
    /// `"last"`: the last day of each month.
    Last(LastDay),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LastDay {
    Last,
}

/// The timing fields of a schedule's JSON.
pub struct Shown {
    pub cadence: &'static str,
    pub day_of_month: Option<DayOfMonth>,
    pub day_of_week: Option<&'static str>,
    pub week_start: &'static str,
    pub last_days: Option<u32>,
}

pub fn show(t: &Timing) -> Shown {
    let (day_of_month, day_of_week) = match t.cadence {
        Cadence::Daily => (None, None),
        Cadence::Weekly(w) => (None, Some(weekday_name(w))),
        Cadence::Monthly(MonthDay::Day(d)) => (Some(DayOfMonth::Day(d)), None),
        Cadence::Monthly(MonthDay::Last) => (Some(DayOfMonth::Last(LastDay::Last)), None),
    };
    Shown {
        cadence: t.cadence.name(),
        day_of_month,
        day_of_week,
        week_start: weekday_name(t.week_start),
        last_days: match t.covers {
            Covers::Closed => None,
            Covers::LastDays(n) => Some(n),
        },
    }
}
