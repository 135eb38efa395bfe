//! Monthly schedules: the table (every query scoped by account, or taken under
//! `FOR UPDATE SKIP LOCKED` by the scheduler) and, in [`period`], when each run is due.

mod period;

pub use period::*;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::{PgExecutor, Postgres, Row, Transaction, postgres::PgRow, types::Json};

use crate::{
    domain::{Format, Plan, Status},
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
    pub day_of_month: i16,
    pub hour: i16,
    pub timezone: Tz,
    pub notify: NotifySpec,
    pub options: ReportOptions,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
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
            day_of_month: row.try_get("day_of_month")?,
            hour: row.try_get("hour")?,
            timezone: stored::parsed(row, "schedule", id, "timezone", stored::tz)?,
            notify,
            options,
            enabled: row.try_get("enabled")?,
            next_run_at: row.try_get("next_run_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, account_id, created_by, kind, format, day_of_month, hour, timezone, notify, options, enabled, next_run_at, created_at";

/// What a schedule is made of, on create and on update.
#[derive(Debug, Clone)]
pub struct ScheduleFields {
    pub kind: ReportKind,
    pub format: Format,
    pub day_of_month: i16,
    pub hour: i16,
    pub timezone: Tz,
    pub notify: NotifySpec,
    pub options: ReportOptions,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
}

type Query<'q> = sqlx::query::QueryAs<'q, Postgres, Schedule, sqlx::postgres::PgArguments>;

/// Binds the fields as `$3 … $11`, after the two the caller binds first.
fn bind_fields<'q>(q: Query<'q>, f: &'q ScheduleFields) -> Query<'q> {
    q.bind(f.kind)
        .bind(f.format)
        .bind(f.day_of_month)
        .bind(f.hour)
        .bind(f.timezone.name())
        .bind(Json(&f.notify))
        .bind(Json(&f.options))
        .bind(f.enabled)
        .bind(f.next_run_at)
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    created_by: UserId,
    f: &ScheduleFields,
) -> Result<Schedule, sqlx::Error> {
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO schedules (account_id, created_by, kind, format, day_of_month, hour, timezone, notify, options, enabled, next_run_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
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
        "UPDATE schedules SET kind = $3, format = $4, day_of_month = $5, hour = $6, timezone = $7, notify = $8,
                options = $9, enabled = $10, next_run_at = $11, updated_at = now()
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
    sqlx::query_scalar("SELECT count(*) FROM schedules WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(db)
        .await
}

/// Deletes an account's schedule; its exports stay. False when it was not the account's.
pub async fn delete(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ScheduleId,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("DELETE FROM schedules WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .execute(db)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// One run of a schedule: the period and the export it produced.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Run {
    pub export_id: i64,
    pub period: Option<String>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
}

/// The last twelve runs of a schedule, newest period first.
pub async fn last_runs(db: impl PgExecutor<'_>, schedule_id: i64) -> Result<Vec<Run>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id AS export_id, period, status, created_at FROM exports
          WHERE schedule_id = $1 ORDER BY period DESC, id DESC LIMIT 12",
    )
    .bind(schedule_id)
    .fetch_all(db)
    .await
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
