//! Feeds: the sessions each run of a feed schedule exports. A run takes, when it is made,
//! every session of the account closed before its cutoff and not taken by an earlier run
//! of the schedule (`feed_rows`, whose key is (schedule, row)). So consecutive runs never
//! overlap, and none leaves a gap: a session committed late, with a close instant before
//! the previous cutoff, is taken by the first run made after its commit. A retried or
//! resumed run writes the rows it took, whatever happened since.
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
    localtime::local_instant,
};

/// How long before a run's interval a session may have started and still be taken: a
/// session open longer than this when it closes is not exported by a feed.
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
    let taken = sqlx::query(
        "INSERT INTO feed_rows (schedule_id, row_id, export_id)
         SELECT $1, ch.id, $2 FROM chats ch
          WHERE ch.account_id = $3 AND ch.closed_at >= $4 AND ch.closed_at < $5
            AND ch.started_at >= $6
          ORDER BY ch.id
         ON CONFLICT (schedule_id, row_id) DO NOTHING",
    )
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
