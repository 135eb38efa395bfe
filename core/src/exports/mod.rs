//! The exports table: the record of every export and the lifecycle
//! `queued → running → succeeded | failed | cancelled`, later `expired`.
//!
//! A worker claims an export with a lease (owner + expiry, renewed by heartbeat). Each claim
//! increments `lease_token`, the fencing token: every later write names the token it holds,
//! so a stalled worker that wakes after another took over changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::{PgExecutor, PgPool, types::Json};

use crate::{
    domain::{Format, Status},
    ids::{AccountId, ExportId, ScheduleId},
    kinds::{ReportKind, ReportOptions},
    notifications::NotifySpec,
};

mod admission;
mod recipients;
mod requesters;
mod row;
pub use admission::{Ask, Authority, insert_if_room};
pub use recipients::{create_notifications, tell_undelivered};
pub use requesters::{Requester, requesters};
pub use row::{Asked, ErrorView, Export, ExportView, FileView};

pub(crate) const COLUMNS: &str = "id, account_id, requested_by, kind, format, range_from, range_to, timezone, options, \
    notify, status, progress, attempts, error, error_code, lease_token, idempotency_key, request_hash, \
    file_name, file_key, file_bytes, file_rows, expires_at, created_at, started_at, finished_at, schedule_id, period, feed_from, feed_to, deliver";

/// What a new export is made of.
#[derive(Debug, Clone)]
pub struct NewExport {
    pub account_id: i64,
    pub requested_by: Option<i64>,
    pub kind: ReportKind,
    pub format: Format,
    pub range_from: NaiveDate,
    pub range_to: NaiveDate,
    pub timezone: Tz,
    pub options: ReportOptions,
    pub notify: NotifySpec,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    /// Set for a scheduled run: the schedule and the period (`YYYY-MM`) it is for.
    pub schedule_id: Option<i64>,
    pub period: Option<String>,
    /// The account's destinations the file goes to.
    pub deliver: Vec<i64>,
}

/// Inserts a queued export. With an idempotency key already used by the account, nothing
/// is inserted and `None` is returned.
pub async fn insert(
    db: impl PgExecutor<'_>,
    new: &NewExport,
) -> Result<Option<Export>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO exports (account_id, requested_by, kind, format, range_from, range_to, timezone,
                              options, notify, idempotency_key, request_hash, schedule_id, period, deliver)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING {COLUMNS}"
    )))
    .bind(new.account_id)
    .bind(new.requested_by)
    .bind(new.kind)
    .bind(new.format)
    .bind(new.range_from)
    .bind(new.range_to)
    .bind(new.timezone.name())
    .bind(Json(&new.options))
    .bind(Json(&new.notify))
    .bind(&new.idempotency_key)
    .bind(&new.request_hash)
    .bind(new.schedule_id)
    .bind(&new.period)
    .bind(&new.deliver)
    .fetch_optional(db)
    .await
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Export>, sqlx::Error> {
    crate::db::one(
        db,
        format!("SELECT {COLUMNS} FROM exports WHERE id = $1"),
        id,
    )
    .await
}

/// The export a schedule of the account made for a period.
pub async fn by_schedule_period(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    schedule_id: ScheduleId,
    period: &str,
) -> Result<Option<Export>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM exports WHERE schedule_id = $1 AND period = $2 AND account_id = $3"
    )))
    .bind(schedule_id)
    .bind(period)
    .bind(account_id)
    .fetch_optional(db)
    .await
}

/// An export of the given account; another account's export is `None`.
pub async fn get_for_account(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ExportId,
) -> Result<Option<Export>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM exports WHERE id = $1 AND account_id = $2");
    crate::db::one2(db, sql, id, account_id).await
}

pub async fn get_by_idempotency_key(
    db: impl PgExecutor<'_>,
    account_id: i64,
    key: &str,
) -> Result<Option<Export>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM exports WHERE account_id = $1 AND idempotency_key = $2");
    crate::db::one2(db, sql, account_id, key.to_owned()).await
}

/// A page of an account's exports, newest first, starting below `before` (an id cursor),
/// only of `kinds` when that is not empty.
pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: i64,
    status: Option<Status>,
    kinds: &[ReportKind],
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Export>, sqlx::Error> {
    let kinds: Option<Vec<&str>> =
        (!kinds.is_empty()).then(|| kinds.iter().map(|k| k.as_str()).collect());
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM exports
          WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR id < $3)
            AND ($5::text[] IS NULL OR kind = ANY($5))
          ORDER BY id DESC LIMIT $4"
    )))
    .bind(account_id)
    .bind(status)
    .bind(before)
    .bind(limit)
    .bind(kinds)
    .fetch_all(db)
    .await
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Runs a write fenced by the lease (`$1` the export, `$2` the token it must still hold),
/// with `bind` adding the parameters after them; true when it applied.
async fn fenced<'q>(
    db: impl PgExecutor<'q>,
    sql: &'static str,
    lease: Lease,
    bind: impl FnOnce(Query<'q>) -> Query<'q>,
) -> Result<bool, sqlx::Error> {
    let q = sqlx::query(sql).bind(lease.export_id).bind(lease.token);
    Ok(bind(q).execute(db).await?.rows_affected() == 1)
}

/// A held lease: the fencing token every write after the claim must present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub export_id: i64,
    pub token: i64,
}

/// Claims an export that is queued, or running under an expired lease. `None` when another
/// worker holds a live lease or the export is finished, cancelled or gone.
pub async fn claim(
    db: impl PgExecutor<'_>,
    id: i64,
    owner: &str,
    lease_secs: f64,
) -> Result<Option<(Export, Lease)>, sqlx::Error> {
    let row: Option<Export> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE exports
            SET status = 'running', lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3),
                lease_token = lease_token + 1, attempts = attempts + 1, progress = 0,
                started_at = coalesce(started_at, now()), updated_at = now()
          WHERE id = $1
            AND (status = 'queued' OR (status = 'running' AND lease_expires_at < now()))
            AND run_after <= now()
        RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(owner)
    .bind(lease_secs)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|e| {
        let lease = Lease {
            export_id: e.id,
            token: e.lease_token,
        };
        (e, lease)
    }))
}

/// Extends the lease; false when it is no longer held (taken over, cancelled).
/// Whether the attempt still holds its lease (the export is running under its token): a
/// read, cheap enough to ask often.
pub async fn held(db: impl PgExecutor<'_>, lease: Lease) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM exports WHERE id = $1 AND lease_token = $2 AND status = 'running')",
    )
    .bind(lease.export_id)
    .bind(lease.token)
    .fetch_one(db)
    .await
}

pub async fn renew(
    db: impl PgExecutor<'_>,
    lease: Lease,
    lease_secs: f64,
) -> Result<bool, sqlx::Error> {
    fenced(
        db,
        "UPDATE exports SET lease_expires_at = now() + make_interval(secs => $3)
          WHERE id = $1 AND lease_token = $2 AND status = 'running'",
        lease,
        |q| q.bind(lease_secs),
    )
    .await
}

/// Records progress; false when the lease is no longer held.
pub async fn set_progress(
    db: impl PgExecutor<'_>,
    lease: Lease,
    progress: i16,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE exports SET progress = GREATEST(progress, $3), updated_at = now()
          WHERE id = $1 AND lease_token = $2 AND status = 'running'";
    fenced(db, sql, lease, |q| q.bind(progress.clamp(0, 100))).await
}

/// The stored file of a finished export.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub name: String,
    pub key: String,
    pub bytes: i64,
    /// Data rows in the file, totals left out.
    pub rows: i64,
    pub expires_at: DateTime<Utc>,
}

/// Marks the export succeeded with its file; false when the lease is no longer held.
pub async fn succeed(
    db: impl PgExecutor<'_>,
    lease: Lease,
    file: &StoredFile,
) -> Result<bool, sqlx::Error> {
    fenced(db, "UPDATE exports
            SET status = 'succeeded', progress = 100, file_name = $3, file_key = $4, file_bytes = $5,
                expires_at = $6, file_rows = $7, finished_at = now(), updated_at = now(), error = NULL, error_code = NULL,
                lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_token = $2 AND status = 'running'", lease, |q| q.bind(&file.name).bind(&file.key).bind(file.bytes).bind(file.expires_at).bind(file.rows)).await
}

/// Marks the export failed for good; false when the lease is no longer held.
pub async fn fail(
    db: impl PgExecutor<'_>,
    lease: Lease,
    code: &str,
    message: &str,
) -> Result<bool, sqlx::Error> {
    fenced(db, "UPDATE exports
            SET status = 'failed', error_code = $3, error = $4, finished_at = now(), updated_at = now(),
                lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_token = $2 AND status = 'running'", lease, |q| q.bind(code).bind(message)).await
}

/// Gives the export back to the queue to try again after `delay_secs`; false when the lease
/// is no longer held.
pub async fn retry_later(
    db: impl PgExecutor<'_>,
    lease: Lease,
    message: &str,
    delay_secs: f64,
) -> Result<bool, sqlx::Error> {
    fenced(db, "UPDATE exports
            SET status = 'queued', error = $3, run_after = now() + make_interval(secs => $4),
                dispatched_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
          WHERE id = $1 AND lease_token = $2 AND status = 'running'", lease, |q| q.bind(message).bind(delay_secs)).await
}

/// Cancels a queued or running export. Returns the export as it is after the call.
pub async fn cancel(
    db: &PgPool,
    account_id: AccountId,
    id: ExportId,
) -> Result<Option<Export>, sqlx::Error> {
    sqlx::query(
        "UPDATE exports SET status = 'cancelled', finished_at = now(), updated_at = now(),
                lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND account_id = $2 AND status IN ('queued', 'running')",
    )
    .bind(id)
    .bind(account_id)
    .execute(db)
    .await?;
    get_for_account(db, account_id, id).await
}

/// Marks a succeeded export `expired` once its file has been deleted (at the end of its
/// retention, or on the owner's request); false when it was not (or no longer) succeeded.
pub async fn expire(db: impl PgExecutor<'_>, id: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE exports SET status = 'expired', expires_at = LEAST(expires_at, now()), updated_at = now()
          WHERE id = $1 AND status = 'succeeded'",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}
