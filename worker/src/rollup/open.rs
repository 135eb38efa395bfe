//! The chats of a built day that had not settled when it was built (migration 0024): open,
//! or closed within the settle. No trigger watches them, so that the platform's writes to
//! a conversation still going on cost it nothing. Instead the day keeps each one's row
//! version (`xmin`), and a report plans, and every builder pass runs, a comparison with the
//! chats' current versions: a day whose chat has another version, or is gone, is marked
//! dirty like a day a trigger marked, read from the source tables and rebuilt.
//!
//! A chat closed before the builder's cutoff is final: any later write to it fires its
//! trigger (`chats_rollup_touch`, whose `WHEN` holds for a chat closed longer than the
//! settle), so its row here goes once its version is the one the day holds.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// The version of a chat's row, as a number.
const XMIN: &str = "ch.xmin::text::int8";

/// Records the unsettled chats of a day (`[from, to)` of an account's series) being built,
/// in the build's transaction: it must read in the same snapshot as the day's statements.
pub(super) async fn record(
    tx: &mut PgConnection,
    account_id: i64,
    series: i32,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    cutoff: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM rollup_open_chats WHERE series_id = $1 AND started_at >= $2 AND started_at < $3",
    )
    .bind(series)
    .bind(from)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO rollup_open_chats (series_id, account_id, chat_id, started_at, row_xmin)
         SELECT $4, ch.account_id, ch.id, ch.started_at, {XMIN}
           FROM chats ch
          WHERE ch.account_id = $1 AND ch.started_at >= $2 AND ch.started_at < $3
            AND (ch.closed_at IS NULL OR ch.closed_at >= $5)"
    )))
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(series)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The rows of a series, or of its days before `before`.
pub(super) async fn forget(
    conn: &mut PgConnection,
    series: i32,
    before: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM rollup_open_chats WHERE series_id = $1 AND ($2::timestamptz IS NULL OR started_at < $2)",
    )
    .bind(series)
    .bind(before)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks dirty the UTC days of a series' instants `[from, to)` whose unsettled chats
/// changed since they were built. Returns how many days it marked.
pub async fn mark_changed(
    pool: &PgPool,
    account_id: i64,
    series: i32,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<u64, sqlx::Error> {
    let marked = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO rollup_dirty (account_id, day)
         SELECT DISTINCT o.account_id, exportd_utc_day(o.started_at)
           FROM rollup_open_chats o
           LEFT JOIN chats ch ON ch.id = o.chat_id AND ch.account_id = o.account_id
          WHERE o.series_id = $1 AND o.account_id = $2 AND o.started_at >= $3 AND o.started_at < $4
            AND (ch.id IS NULL OR {XMIN} <> o.row_xmin)
         ON CONFLICT DO NOTHING"
    )))
    .bind(series)
    .bind(account_id)
    .bind(from)
    .bind(to)
    .execute(pool)
    .await?;
    Ok(marked.rows_affected())
}

/// A builder pass: marks dirty the days of every series whose unsettled chats changed, and
/// forgets the chats that have settled since as the day holds them. Returns the days marked.
pub(super) async fn sweep(pool: &PgPool, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let marked = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO rollup_dirty (account_id, day)
         SELECT DISTINCT o.account_id, exportd_utc_day(o.started_at)
           FROM rollup_open_chats o
           LEFT JOIN chats ch ON ch.id = o.chat_id AND ch.account_id = o.account_id
          WHERE ch.id IS NULL OR {XMIN} <> o.row_xmin
         ON CONFLICT DO NOTHING"
    )))
    .execute(pool)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM rollup_open_chats o USING chats ch
          WHERE ch.id = o.chat_id AND ch.account_id = o.account_id
            AND {XMIN} = o.row_xmin AND ch.closed_at < $1"
    )))
    .bind(cutoff)
    .execute(pool)
    .await?;
    Ok(marked.rows_affected())
}
