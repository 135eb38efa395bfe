//! A schedule's runs: whether the run of a date may be made, making it (its export, under
//! the idempotency key of the schedule and period, and a feed's rows), and the runs made.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};

use super::{Schedule, feed};
use crate::{
    domain::{Plan, Status},
    exports::{self, Export, NewExport},
    ids::{AccountId, ScheduleId},
};

/// One run of a schedule: the period, the days it covered and the export it produced.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Run {
    pub export_id: i64,
    pub period: Option<String>,
    pub range_from: NaiveDate,
    pub range_to: NaiveDate,
    /// A feed run's interval of close instants, `[feed_from, feed_to)`.
    pub feed_from: Option<DateTime<Utc>>,
    pub feed_to: Option<DateTime<Utc>>,
    /// The rows of its file, once it is written.
    pub rows: Option<i64>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
}

/// The last twelve runs of a schedule, the latest days covered first.
pub async fn last_runs(db: impl PgExecutor<'_>, schedule_id: i64) -> Result<Vec<Run>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id AS export_id, period, range_from, range_to, feed_from, feed_to, file_rows AS rows, status, created_at
           FROM exports
          WHERE schedule_id = $1 ORDER BY range_to DESC, id DESC LIMIT 12",
    )
    .bind(schedule_id)
    .fetch_all(db)
    .await
}

/// Whether the run of `date` may be made for an account on `plan`: its days pass the range
/// rules of a request (length, retention, not in the future). A feed run always may: it
/// covers what became final since the previous run, however long ago that was.
pub fn check_run(
    s: &Schedule,
    date: NaiveDate,
    plan: Plan,
    cfg: &crate::Config,
    now: DateTime<Utc>,
) -> Result<(), crate::domain::RangeError> {
    if s.feed {
        return Ok(());
    }
    let (from, to) = s.timing.covered(date);
    crate::domain::validate_range(
        &crate::domain::DateRange {
            from,
            to,
            tz: s.timing.tz,
        },
        plan,
        cfg.plan(plan),
        cfg.max_range_days,
        now,
    )
}

/// The export of the run of `date` (a run date of the schedule), made under the
/// idempotency key (schedule, period); `None` when that period was already produced.
/// `requested_by` is who asked for it now, or `None` for the scheduler. A feed run takes
/// its rows here, in the same transaction (see [`feed`]).
pub async fn create_run(
    conn: &mut PgConnection,
    s: &Schedule,
    date: NaiveDate,
    requested_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Export>, sqlx::Error> {
    let key = s.timing.key(date);
    let window = if s.feed {
        Some(feed::window(&mut *conn, s, date, now).await?)
    } else {
        None
    };
    let (from, to) = match &window {
        Some(w) => w.days(s.timing.tz),
        None => s.timing.covered(date),
    };
    let new = NewExport {
        account_id: s.account_id,
        requested_by: requested_by.or(s.created_by),
        kind: s.kind,
        format: s.format,
        range_from: from,
        range_to: to,
        timezone: s.timing.tz,
        options: s.options.clone(),
        notify: s.notify.clone(),
        idempotency_key: Some(format!("schedule:{}:{key}", s.id)),
        request_hash: None,
        schedule_id: Some(s.id),
        period: Some(key),
        deliver: s.deliver.clone(),
    };
    let Some(export) = exports::insert(&mut *conn, &new).await? else {
        return Ok(None);
    };
    match window {
        Some(w) => feed::take(conn, s, &export, &w).await.map(Some),
        None => Ok(Some(export)),
    }
}

/// The export a schedule made for a period, if any.
pub async fn run_of(
    db: impl PgExecutor<'_>,
    s: &Schedule,
    period: &str,
) -> Result<Option<Export>, sqlx::Error> {
    exports::by_schedule_period(db, AccountId(s.account_id), ScheduleId(s.id), period).await
}
