//! Feeds: the rows each run of a feed schedule exports. A run takes, when it is made,
//! every row of the account that became final before its cutoff and was not taken by an
//! earlier run of the schedule (`feed_rows`, whose key is (schedule, row, version)):
//! sessions (`sessions_detail`) by the instant they closed; campaign messages (`campaigns`)
//! by the instant their status last changed, once per status, so a message read after it
//! was delivered is taken again, as a new version. So consecutive runs never overlap, and
//! none leaves a gap: a row committed late, with an instant before the previous cutoff, is
//! taken by the first run made after its commit. A retried or resumed run writes the rows
//! it took, as they were taken, whatever happened since.
//!
//! A run's interval is `[from, to)`: `from` is the previous run's `to` (the first run's is
//! the start of the days it covers) and `to` its cutoff, the instant it was due (or, for
//! a run made now, the earlier of that and now). Rows committed late fall outside the
//! interval of the run that holds them; their close instant says so.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;

use super::Schedule;
use crate::{
    exports::{COLUMNS, Export},
    kinds::ReportKind,
    localtime::local_instant,
};

/// Whether a kind has a feed mode: the row-level kinds whose rows become final.
pub fn has_feed(kind: ReportKind) -> bool {
    matches!(kind, ReportKind::SessionsDetail | ReportKind::Campaigns)
}

/// How long before a run's interval a session may have started (or a campaign message
/// been created) and still be taken: one open longer than this when it becomes final is
/// not exported by a feed.
pub const OPEN_DAYS: i32 = 30;

/// What one feed run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The feed's first instant: sessions closed before it are never exported.
    pub start: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// The local days the interval touches, for the export's range.
    pub fn days(&self, tz: Tz) -> (NaiveDate, NaiveDate) {
        let from = self.from.with_timezone(&tz).date_naive();
        let last = (self.to - chrono::Duration::microseconds(1))
            .with_timezone(&tz)
            .date_naive();
        (from, last.max(from))
    }
}

/// The window of the run of `date`, after the schedule's earlier runs.
pub async fn window(
    conn: &mut PgConnection,
    s: &Schedule,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Window, sqlx::Error> {
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT min(feed_from), max(feed_to) FROM exports
          WHERE schedule_id = $1 AND account_id = $2 AND feed_to IS NOT NULL",
    )
    .bind(s.id)
    .bind(s.account_id)
    .fetch_one(&mut *conn)
    .await?;
    let t = &s.timing;
    let covered_start = t.covered(date).0;
    let start = first.unwrap_or_else(|| {
        local_instant(covered_start.and_hms_opt(0, 0, 0).expect("midnight"), t.tz)
    });
    let from = last.unwrap_or(start);
    let to = t.due_at(date).min(now).max(from);
    Ok(Window { start, from, to })
}

/// Records the run's window and takes its rows; the export as it now is.
pub async fn take(
    conn: &mut PgConnection,
    s: &Schedule,
    export: &Export,
    w: &Window,
) -> Result<Export, sqlx::Error> {
    let export: Export = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE exports SET feed_from = $2, feed_to = $3 WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(export.id)
    .bind(w.from)
    .bind(w.to)
    .fetch_one(&mut *conn)
    .await?;
    let sql = match s.kind {
        ReportKind::Campaigns => {
            "INSERT INTO feed_rows (schedule_id, row_id, version, at, export_id)
             SELECT $1, o.id, o.status, o.status_at, $2 FROM outbound_messages o
              WHERE o.account_id = $3 AND o.status_at >= $4 AND o.status_at < $5
                AND o.created_at >= $6
              ORDER BY o.id
             ON CONFLICT (schedule_id, row_id, version) DO NOTHING"
        }
        _ => {
            "INSERT INTO feed_rows (schedule_id, row_id, at, export_id)
             SELECT $1, ch.id, ch.closed_at, $2 FROM chats ch
              WHERE ch.account_id = $3 AND ch.closed_at >= $4 AND ch.closed_at < $5
                AND ch.started_at >= $6
              ORDER BY ch.id
             ON CONFLICT (schedule_id, row_id, version) DO NOTHING"
        }
    };
    let taken = sqlx::query(sql)
        .bind(s.id)
        .bind(export.id)
        .bind(s.account_id)
        .bind(w.start)
        .bind(w.to)
        .bind(w.from - Days::new(OPEN_DAYS as u64))
        .execute(&mut *conn)
        .await?;
    tracing::info!(
        schedule.id = s.id,
        export.id = export.id,
        rows = taken.rows_affected(),
        "feed run took its rows"
    );
    Ok(export)
}

/// Forgets up to `limit` taken rows that no later run of their feed can take again: those
/// whose session started (or message was created) more than [`OPEN_DAYS`] before the end
/// of the feed's latest run, the earliest a next run looks back to, and those whose row is
/// gone. So `feed_rows` holds about [`OPEN_DAYS`] of each feed, however long it runs.
/// Returns how many were forgotten.
pub async fn forget(db: impl sqlx::PgExecutor<'_>, limit: i64) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "WITH feeds AS (
           SELECT s.id, s.kind, max(e.feed_to) - make_interval(days => $1) AS horizon
             FROM schedules s JOIN exports e ON e.schedule_id = s.id AND e.account_id = s.account_id
            WHERE e.feed_to IS NOT NULL
            GROUP BY s.id, s.kind)
         DELETE FROM feed_rows WHERE ctid IN (
           SELECT f.ctid FROM feed_rows f JOIN feeds ON feeds.id = f.schedule_id
            WHERE CASE WHEN feeds.kind = 'campaigns'
                       THEN NOT EXISTS (SELECT 1 FROM outbound_messages o
                                         WHERE o.id = f.row_id AND o.created_at >= feeds.horizon)
                       ELSE NOT EXISTS (SELECT 1 FROM chats ch
                                         WHERE ch.id = f.row_id AND ch.started_at >= feeds.horizon)
                  END
            LIMIT $2)",
    )
    .bind(OPEN_DAYS)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
