//! Contacts given another owner (migration 0024). A conversation's owner is its contact's,
//! so such a change touches every day of the contact's conversations; but no index finds a
//! contact's chats, since one would cost the platform every new chat. A trigger (for
//! updates and deletes) and the WAL (for contacts added with an owner) note the contact in
//! `rollup_owner_changes`, one row per contact however many writes, and the days are found
//! in one pass over the account's chats, made only while changes wait: by a report about to
//! read blocks (over its range), and by the builder (over the account's built days, taking
//! the changes).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Marks the settled days in `[from, to)` of the conversations of the account's contacts
/// whose owner changed. With `take`, the changes are taken: the pass must then cover every
/// built day of the account.
pub async fn owner_changes(
    pool: &PgPool,
    account_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    take: bool,
) -> Result<u64, sqlx::Error> {
    let waiting: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM rollup_owner_changes WHERE account_id = $1)",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await?;
    if !waiting {
        return Ok(0);
    }
    let changed = if take {
        "taken AS (DELETE FROM rollup_owner_changes WHERE account_id = $1 RETURNING contact_id)"
    } else {
        "taken AS (SELECT contact_id FROM rollup_owner_changes WHERE account_id = $1)"
    };
    let marked = sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH {changed}
         INSERT INTO rollup_dirty (account_id, day)
         SELECT DISTINCT ch.account_id, exportd_utc_day(ch.started_at)
           FROM chats ch
          WHERE ch.account_id = $1 AND ch.started_at >= $2 AND ch.started_at < $3
            AND ch.started_at < now() - rollup_settle()
            AND ch.contact_id IN (SELECT contact_id FROM taken)
         ON CONFLICT DO NOTHING"
    )))
    .bind(account_id)
    .bind(from)
    .bind(to)
    .execute(pool)
    .await?;
    Ok(marked.rows_affected())
}

/// A builder pass: takes every account's owner changes, marking the days of their
/// conversations among the account's built days.
pub(super) async fn take_owner_changes(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let waiting: Vec<(i64, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT c.account_id,
                (SELECT min(b.starts_at) FROM rollup_blocks b JOIN rollup_series s ON s.id = b.series_id
                  WHERE s.account_id = c.account_id)
           FROM (SELECT DISTINCT account_id FROM rollup_owner_changes) c",
    )
    .fetch_all(pool)
    .await?;
    let mut marked = 0;
    for (account_id, first_built) in waiting {
        let now = Utc::now();
        // Nothing built yet: every settled day, for a first build that may be under way.
        let from = first_built.unwrap_or(DateTime::UNIX_EPOCH);
        marked += owner_changes(pool, account_id, (from, now), true).await?;
    }
    Ok(marked)
}
