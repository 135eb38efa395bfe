//! Schedules: the table (every query scoped by account, or taken under `FOR UPDATE SKIP
//! LOCKED` by the scheduler); in [`period`], when each run is due and what it covers; in
//! [`runs`], whether a run may be made, making it, and the runs made.

pub mod feed;
mod period;
mod runs;

pub use period::*;
pub use runs::{Run, check_run, create_run, last_runs, run_of};

use chrono::{DateTime, Utc, Weekday};
use sqlx::{PgExecutor, Postgres, Row, Transaction, postgres::PgRow, types::Json};

use crate::{
    domain::{Format, Plan},
    ids::{AccountId, ScheduleId, UserId},
    kinds::{ReportKind, ReportOptions},
    notifications::NotifySpec,
    stored,
};

/// One schedule, as stored.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub id: i64,
    pub account_id: i64,
    pub created_by: Option<i64>,
    pub kind: ReportKind,
    pub format: Format,
    pub timing: Timing,
    pub notify: NotifySpec,
    pub options: ReportOptions,
    /// Feed mode: each run exports the rows that became final since the previous run.
    pub feed: bool,
    /// The account's destinations each run's file goes to.
    pub deliver: Vec<i64>,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

fn weekday(n: i16) -> Option<Weekday> {
    u8::try_from(n - 1)
        .ok()
        .and_then(|i| Weekday::try_from(i).ok())
}

fn weekday_number(w: Weekday) -> i16 {
    w.number_from_monday() as i16
}

/// A schedule's timing from its columns; a combination the table's checks forbid is an
/// error naming the schedule.
fn timing_of(row: &PgRow, id: i64) -> Result<Timing, sqlx::Error> {
    let cadence: String = row.try_get("cadence")?;
    let day_of_month: Option<i16> = row.try_get("day_of_month")?;
    let day_of_week: Option<i16> = row.try_get("day_of_week")?;
    let last_day: bool = row.try_get("last_day")?;
    let bad =
        |what: String| sqlx::Error::from(stored::Unreadable::new("schedule", id, "cadence", what));
    let cadence = match (cadence.as_str(), day_of_month, day_of_week, last_day) {
        ("daily", None, None, false) => Cadence::Daily,
        ("weekly", None, Some(d), false) => {
            Cadence::Weekly(weekday(d).ok_or_else(|| bad(format!("weekly on day {d}")))?)
        }
        ("monthly", None, None, true) => Cadence::Monthly(MonthDay::Last),
        ("monthly", Some(d @ 1..=28), None, false) => Cadence::Monthly(MonthDay::Day(d as u32)),
        (c, m, w, l) => {
            return Err(bad(format!(
                "{c:?} with day_of_month {m:?}, day_of_week {w:?}, last_day {l}"
            )));
        }
    };
    let week_start: i16 = row.try_get("week_start")?;
    let last_days: Option<i16> = row.try_get("last_days")?;
    let hour: i16 = row.try_get("hour")?;
    Ok(Timing {
        cadence,
        hour: u32::try_from(hour)
            .ok()
            .filter(|h| *h < 24)
            .ok_or_else(|| bad(format!("hour {hour}")))?,
        tz: stored::parsed(row, "schedule", id, "timezone", stored::tz)?,
        covers: match last_days {
            None => Covers::Closed,
            Some(n) => {
                Covers::LastDays(u32::try_from(n).map_err(|_| bad(format!("last_days {n}")))?)
            }
        },
        week_start: weekday(week_start).ok_or_else(|| bad(format!("week_start {week_start}")))?,
    })
}

/// Every value typed; one this build cannot read is an error naming the schedule.
impl<'r> sqlx::FromRow<'r, PgRow> for Schedule {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        let id: i64 = row.try_get("id")?;
        let Json(notify) = stored::column::<Json<NotifySpec>>(row, "schedule", id, "notify")?;
        let Json(options) = stored::column::<Json<ReportOptions>>(row, "schedule", id, "options")?;
        Ok(Schedule {
            id,
            account_id: row.try_get("account_id")?,
            created_by: row.try_get("created_by")?,
            kind: stored::column(row, "schedule", id, "kind")?,
            format: stored::column(row, "schedule", id, "format")?,
            timing: timing_of(row, id)?,
            notify,
            options,
            feed: row.try_get("feed")?,
            deliver: row.try_get("deliver")?,
            enabled: row.try_get("enabled")?,
            next_run_at: row.try_get("next_run_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, account_id, created_by, kind, format, cadence, day_of_month, day_of_week, last_day, week_start, last_days, hour, timezone, notify, options, feed, deliver, enabled, next_run_at, created_at";

/// What a schedule is made of, on create and on update.
#[derive(Debug, Clone)]
pub struct ScheduleFields {
    pub kind: ReportKind,
    pub format: Format,
    pub timing: Timing,
    pub notify: NotifySpec,
    pub options: ReportOptions,
    pub feed: bool,
    pub deliver: Vec<i64>,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
}

type Query<'q> = sqlx::query::QueryAs<'q, Postgres, Schedule, sqlx::postgres::PgArguments>;

/// Binds the fields as `$3 … $18`, after the two the caller binds first.
fn bind_fields<'q>(q: Query<'q>, f: &'q ScheduleFields) -> Query<'q> {
    let t = &f.timing;
    let (day_of_month, day_of_week, last_day) = match t.cadence {
        Cadence::Daily => (None, None, false),
        Cadence::Weekly(w) => (None, Some(weekday_number(w)), false),
        Cadence::Monthly(MonthDay::Last) => (None, None, true),
        Cadence::Monthly(MonthDay::Day(d)) => (Some(d as i16), None, false),
    };
    let last_days = match t.covers {
        Covers::Closed => None,
        Covers::LastDays(n) => Some(n as i16),
    };
    q.bind(f.kind)
        .bind(f.format)
        .bind(t.cadence.name())
        .bind(day_of_month)
        .bind(day_of_week)
        .bind(last_day)
        .bind(weekday_number(t.week_start))
        .bind(last_days)
        .bind(t.hour as i16)
        .bind(t.tz.name())
        .bind(Json(&f.notify))
        .bind(Json(&f.options))
        .bind(f.feed)
        .bind(f.enabled)
        .bind(f.next_run_at)
        .bind(&f.deliver)
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    created_by: UserId,
    f: &ScheduleFields,
) -> Result<Schedule, sqlx::Error> {
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO schedules (account_id, created_by, kind, format, cadence, day_of_month, day_of_week, last_day,
                                week_start, last_days, hour, timezone, notify, options, feed, enabled, next_run_at, deliver)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING {COLUMNS}"
    )));
    bind_fields(q.bind(account_id).bind(created_by), f)
        .fetch_one(db)
        .await
}

/// Replaces every field of an account's schedule; `None` when it is not the account's.
pub async fn update(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ScheduleId,
    f: &ScheduleFields,
) -> Result<Option<Schedule>, sqlx::Error> {
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE schedules SET kind = $3, format = $4, cadence = $5, day_of_month = $6, day_of_week = $7, last_day = $8,
                week_start = $9, last_days = $10, hour = $11, timezone = $12, notify = $13,
                options = $14, feed = $15, enabled = $16, next_run_at = $17, deliver = $18, updated_at = now()
          WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
    )));
    bind_fields(q.bind(id).bind(account_id), f)
        .fetch_optional(db)
        .await
}

/// An account's schedule; another account's is `None`.
pub async fn get_for_account(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ScheduleId,
) -> Result<Option<Schedule>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM schedules WHERE id = $1 AND account_id = $2");
    crate::db::one2(db, sql, id, account_id).await
}

pub async fn list_for_account(
    db: impl PgExecutor<'_>,
    account_id: i64,
) -> Result<Vec<Schedule>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM schedules WHERE account_id = $1 ORDER BY id"
    )))
    .bind(account_id)
    .fetch_all(db)
    .await
}

/// How many schedules the account has.
pub async fn count_for_account(
    db: impl PgExecutor<'_>,
    account_id: i64,
) -> Result<i64, sqlx::Error> {
    crate::db::count_for_account(db, "schedules", account_id).await
}

/// Deletes an account's schedule; its exports stay. False when it was not the account's.
pub async fn delete(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ScheduleId,
) -> Result<bool, sqlx::Error> {
    crate::db::delete_for_account(db, "schedules", id.0, account_id.0).await
}

/// Takes the enabled schedule that fell due earliest at `now`, locked for the transaction
/// and skipped by other schedulers, with its account's plan (`free` when the account is
/// gone).
pub async fn take_due(
    tx: &mut Transaction<'_, Postgres>,
    now: DateTime<Utc>,
) -> Result<Option<(Schedule, Plan)>, sqlx::Error> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT s.id, coalesce(a.plan, 'free')
           FROM schedules s LEFT JOIN accounts a ON a.id = s.account_id
          WHERE s.enabled AND s.next_run_at <= $1
          ORDER BY s.next_run_at LIMIT 1
            FOR UPDATE OF s SKIP LOCKED",
    )
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, plan)) = row else {
        return Ok(None);
    };
    let s: Schedule = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM schedules WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let plan = Plan::parse(&plan).ok_or_else(|| {
        stored::Unreadable::new("accounts", s.account_id, "plan", format!("{plan:?}"))
    })?;
    Ok(Some((s, plan)))
}

/// Locks a schedule's row for the transaction, as the scheduler holds it while it makes
/// runs.
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM schedules WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Moves a schedule's next run.
pub async fn set_next_run(
    db: impl PgExecutor<'_>,
    id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE schedules SET next_run_at = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}
