//! Domain types: plans and their limits, formats, export states, locales, and the local-day
//! ranges that reports cover (report kinds are in [`crate::kinds`]). Validation of a requested range lives here so that the API
//! and the scheduler refuse the same things with the same words.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// An account's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Base,
    Pro,
    Vip,
}

/// How far back a plan's data reaches, and how long its files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    pub data_days: i64,
    pub file_days: i64,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Base, Plan::Pro, Plan::Vip];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Base => "base",
            Plan::Pro => "pro",
            Plan::Vip => "vip",
        }
    }

    pub fn parse(s: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The defaults of DESIGN.md; each can be overridden by configuration.
    pub fn default_limits(self) -> PlanLimits {
        let (data_days, file_days) = match self {
            Plan::Free => (60, 7),
            Plan::Base => (180, 30),
            Plan::Pro => (365, 30),
            Plan::Vip => (730, 90),
        };
        PlanLimits {
            data_days,
            file_days,
        }
    }
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        [Format::Xlsx, Format::Csv]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    /// The extension of the stored file: CSV exports are a zip of one CSV per section.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "zip",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "application/zip",
        }
    }
}

crate::text_enum!(Format);

/// The state of an export: `queued → running → succeeded | failed | cancelled`, later
/// `expired` once its file is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Queued,
        Status::Running,
        Status::Succeeded,
        Status::Failed,
        Status::Cancelled,
        Status::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether nothing more will happen to the export but its expiry.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Status::Queued | Status::Running)
    }
}

crate::text_enum!(Status);

/// Stores an enum with `as_str`/`parse` as its name in a TEXT column: the one conversion
/// point between the type and the database.
#[macro_export]
macro_rules! text_enum {
    ($t:ty) => {
        impl sqlx::Type<sqlx::Postgres> for $t {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $t {
            fn decode(v: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<sqlx::Postgres>>::decode(v)?;
                <$t>::parse(s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)).into())
            }
        }
        impl sqlx::Encode<'_, sqlx::Postgres> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The language of headers and emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Es,
    En,
    Pt,
}

impl Locale {
    /// Unknown locales fall back to Spanish, the seeds' language.
    pub fn parse(s: &str) -> Locale {
        match s {
            "en" => Locale::En,
            "pt" => Locale::Pt,
            _ => Locale::Es,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Es => "es",
            Locale::En => "en",
            Locale::Pt => "pt",
        }
    }
}

/// Whole local days `[from, to]` in a timezone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tz: Tz,
}

impl DateRange {
    /// The UTC instants `[from 00:00, to+1 00:00)` local. DST days are 23 or 25 hours.
    pub fn utc_bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            local_day_start(self.from, self.tz),
            local_day_start(self.to + Duration::days(1), self.tz),
        )
    }

    /// Number of days in the range, both ends included.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// The first instant of a local day. Where midnight does not exist (a DST jump at 00:00, as
/// in America/Santiago), the day starts at the first instant that does.
pub fn local_day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    crate::localtime::local_instant(
        day.and_hms_opt(0, 0, 0).expect("midnight is a valid time"),
        tz,
    )
}

/// Why a requested range is refused. Each case has a machine code and a message that says
/// what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("`from` ({from}) is after `to` ({to}); `from` must be on or before `to`")]
    FromAfterTo { from: NaiveDate, to: NaiveDate },
    #[error("the range covers {days} days; a report covers at most {max} days")]
    TooLong { days: i64, max: i64 },
    #[error("{day} is in the future; the latest day allowed is {today} (today in {tz})")]
    InFuture {
        day: NaiveDate,
        today: NaiveDate,
        tz: String,
    },
    #[error(
        "{day} is older than the {plan} plan keeps data ({data_days} days); the earliest day allowed is {earliest}"
    )]
    BeyondRetention {
        day: NaiveDate,
        plan: &'static str,
        data_days: i64,
        earliest: NaiveDate,
    },
}

impl RangeError {
    pub fn code(&self) -> &'static str {
        match self {
            RangeError::FromAfterTo { .. } => "from_after_to",
            RangeError::TooLong { .. } => "range_too_long",
            RangeError::InFuture { .. } => "date_in_future",
            RangeError::BeyondRetention { .. } => "beyond_retention",
        }
    }
}

/// Checks a requested range against the rules of every plan (at most `max_days`) and of
/// the account's plan (no further back than its data retention), as of `now`.
pub fn validate_range(
    range: &DateRange,
    plan: Plan,
    limits: PlanLimits,
    max_days: i64,
    now: DateTime<Utc>,
) -> Result<(), RangeError> {
    if range.from > range.to {
        return Err(RangeError::FromAfterTo {
            from: range.from,
            to: range.to,
        });
    }
    let today = now.with_timezone(&range.tz).date_naive();
    if range.to > today {
        return Err(RangeError::InFuture {
            day: range.to,
            today,
            tz: range.tz.name().to_owned(),
        });
    }
    if range.days() > max_days {
        return Err(RangeError::TooLong {
            days: range.days(),
            max: max_days,
        });
    }
    let earliest = today - Duration::days(limits.data_days);
    if range.from < earliest {
        return Err(RangeError::BeyondRetention {
            day: range.from,
            plan: plan.as_str(),
            data_days: limits.data_days,
            earliest,
        });
    }
    Ok(())
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '>')
                && s.len() <= 254
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dst_days_are_23_and_25_hours() {
        let tz: Tz = "Europe/Madrid".parse().unwrap();
        let spring = DateRange {
            from: d("2026-03-29"),
            to: d("2026-03-29"),
            tz,
        };
        let (a, b) = spring.utc_bounds();
        assert_eq!((b - a).num_hours(), 23);
        let autumn = DateRange {
            from: d("2026-10-25"),
            to: d("2026-10-25"),
            tz,
        };
        let (a, b) = autumn.utc_bounds();
        assert_eq!((b - a).num_hours(), 25);
    }

    #[test]
    fn a_missing_midnight_starts_the_day_at_the_jump() {
        // Santiago moves clocks from 00:00 to 01:00 on 2026-09-06.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let start = local_day_start(d("2026-09-06"), tz);
        assert_eq!(start.to_rfc3339(), "2026-09-06T04:00:00+00:00");
        assert_eq!(
            start.with_timezone(&tz).format("%H:%M").to_string(),
            "01:00"
        );
    }

    #[test]
    fn retention_names_the_earliest_day() {
        let tz = chrono_tz::UTC;
        let now: DateTime<Utc> = "2026-11-21T12:00:00Z".parse().unwrap();
        let r = DateRange {
            from: d("2026-09-01"),
            to: d("2026-09-10"),
            tz,
        };
        let err = validate_range(&r, Plan::Free, Plan::Free.default_limits(), 90, now).unwrap_err();
        assert_eq!(err.code(), "beyond_retention");
        assert!(err.to_string().contains("2026-09-22"), "{err}");
    }
}
