//! Change tracking from the WAL (migration 0024): the days the platform's inserts and
//! updates touched, read through a logical replication slot, so that its writes run no
//! exportd trigger at all.
//!
//! The slot (`pgoutput`, publication `exportd_rollups`: ids, accounts and instants, no
//! bodies) is read with `pg_logical_slot_peek_binary_changes` on a connection of its own,
//! under an advisory lock. Each batch's settled days go to `rollup_dirty`, and only then is
//! the slot advanced past the batch: a crash in between reads the batch again, and marking
//! a day twice is harmless. A report drains the slot before it plans, so it knows every
//! write committed before it began; every builder pass drains it too.
//!
//! Without `wal_level = logical` or the publication, or with the slot lost (its WAL removed
//! past `max_slot_wal_keep_size`), nothing tells which built days are stale: rollups are
//! neither read nor built, and reports read the source tables. A new slot knows nothing of
//! the writes before it, so every account's days are marked when one is made.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicBool, Ordering},
};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::{
    marks::Marks,
    pgoutput::{self, Message},
};

/// The publication the slot reads.
pub const PUBLICATION: &str = "exportd_rollups";

/// Changes read from the slot per call.
const BATCH: i32 = 20_000;

/// What a drain found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Whether changes are tracked at all; if not, rollups cannot be trusted.
    pub tracking: bool,
    /// Inserts and updates read.
    pub rows: u64,
    /// (account, day) marks written.
    pub marked: u64,
}

impl Drained {
    pub fn tracking(&self) -> bool {
        self.tracking
    }
}

/// The slot of this database: slots are the cluster's, so its name says which database.
const SLOT: &str = "'exportd_' || left(md5(current_database()), 16)";

static WARNED: AtomicBool = AtomicBool::new(false);

/// WAL held by the slot past which [`drain_if_behind`] drains.
const HELD_AT_MOST: i64 = 256 * 1024 * 1024;

/// Drains when the slot holds more than [`HELD_AT_MOST`] of WAL. The builder asks after
/// every span of days and block it writes. Its rollup rows are unlogged (migration 0025),
/// but the platform writes on meanwhile: a slot left behind by a long build passes
/// `max_slot_wal_keep_size`, is dropped by Postgres, and the slot made again marks every
/// day.
pub async fn drain_if_behind(pool: &PgPool) -> Result<(), sqlx::Error> {
    let held: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8
           FROM pg_replication_slots WHERE slot_name = {SLOT}"
    )))
    .fetch_optional(pool)
    .await?
    .flatten();
    if held.is_some_and(|h| h > HELD_AT_MOST) {
        drain(pool).await?;
    }
    Ok(())
}

/// Reads what was written since the last drain and marks the settled days it touched.
pub async fn drain(pool: &PgPool) -> Result<Drained, sqlx::Error> {
    // Everything committed and flushed before this point is read (decoding reads no
    // further than the flushed WAL); a drain that ran meanwhile (reports arriving together
    // wait for one another) may have read it already.
    let (logical, published, slot, target): (bool, bool, String, String) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT current_setting('wal_level') = 'logical',
                    EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '{PUBLICATION}'),
                    {SLOT}, pg_current_wal_flush_lsn()::text"
        )))
        .fetch_one(pool)
        .await?;
    if !(logical && published) {
        // A slot that outlived its publication would fail on the WAL written meanwhile,
        // for good: it goes, and a new one (marking every day) comes with the publication.
        if logical {
            sqlx::query(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                  WHERE slot_name = $1 AND NOT active",
            )
            .bind(&slot)
            .execute(pool)
            .await?;
        }
        if !WARNED.swap(true, Ordering::Relaxed) {
            tracing::error!(
                wal_level_logical = logical,
                publication = published,
                "rollups are off: change tracking needs wal_level = logical and the publication {PUBLICATION} (docs/configuration.md)"
            );
        }
        return Ok(Drained::default());
    }
    ensure_slot(pool, &slot).await?;
    let mut done = Drained {
        tracking: true,
        ..Default::default()
    };
    // A batch at a time, each in a transaction holding the drainers' lock (released with
    // it, however the transaction ends); the slot moves past a batch once its marks are
    // committed.
    loop {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7401, 0)")
            .execute(&mut *tx)
            .await?;
        let read: bool = sqlx::query_scalar(
            "SELECT coalesce(confirmed_flush_lsn >= $2::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = $1",
        )
        .bind(&slot)
        .bind(&target)
        .fetch_one(&mut *tx)
        .await?;
        if read {
            tx.commit().await?;
            return Ok(done);
        }
        for set in ["SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO'"] {
            sqlx::query(set).execute(&mut *tx).await?;
        }
        let batch = read_batch(&mut tx, &slot, &target).await?;
        tx.commit().await?;
        done.rows += batch.rows;
        done.marked += batch.marked;
        // A short batch read everything committed before the target: the next drain
        // starts at the target, not at the last change read.
        let upto = match &batch.more_after {
            Some(last) => last,
            None => &target,
        };
        // Under the lock again: no other drain is reading the slot while it moves.
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7401, 0)")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "SELECT pg_replication_slot_advance($1, $2::pg_lsn) FROM pg_replication_slots
              WHERE slot_name = $1 AND confirmed_flush_lsn < $2::pg_lsn",
        )
        .bind(&slot)
        .bind(upto)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if batch.more_after.is_none() {
            return Ok(done);
        }
    }
}

/// What one batch read.
struct Batch {
    rows: u64,
    marked: u64,
    /// The last change's position, when the batch was full and more may follow.
    more_after: Option<String>,
}

/// Reads up to [`BATCH`] changes committed before `target` and writes their marks.
async fn read_batch(tx: &mut PgConnection, slot: &str, target: &str) -> Result<Batch, sqlx::Error> {
    let settled: DateTime<Utc> = sqlx::query_scalar("SELECT now() - rollup_settle()")
        .fetch_one(&mut *tx)
        .await?;
    let changes: Vec<(String, Vec<u8>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, {BATCH},
             'proto_version', '1', 'publication_names', '{PUBLICATION}')"
    )))
    .bind(slot)
    .bind(target)
    .fetch_all(&mut *tx)
    .await?;
    let mut relations = published_relations(tx).await?;
    let mut marks = Marks::new(settled);
    let mut rows = 0;
    for (_, data) in &changes {
        match pgoutput::parse(data) {
            Ok(Message::Relation { id, name, columns }) => {
                relations.insert(id, (name, columns));
            }
            Ok(Message::Row {
                relation,
                inserted,
                values,
            }) => {
                rows += 1;
                if let Some((name, columns)) = relations.get(&relation) {
                    marks.row(name, columns, inserted, &values);
                }
            }
            Ok(Message::Other) => {}
            // Its account and day are unknown: every day of every account, rather than
            // a mark lost.
            Err(e) => {
                tracing::warn!(error = %e, "a change the tracker could not read: every rollup is rebuilt");
                marks.everything();
            }
        }
    }
    let marked = marks.write(tx).await?;
    let more_after = (changes.len() >= BATCH as usize)
        .then(|| changes.last().map(|(lsn, _)| lsn.clone()))
        .flatten();
    Ok(Batch {
        rows,
        marked,
        more_after,
    })
}

/// Makes the slot if it is missing, or again if Postgres invalidated it; a new slot marks
/// every account's days, since the writes before it are unknown.
async fn ensure_slot(pool: &PgPool, slot: &str) -> Result<(), sqlx::Error> {
    let status: Option<Option<String>> =
        sqlx::query_scalar("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1")
            .bind(slot)
            .fetch_optional(pool)
            .await?;
    match status {
        Some(Some(s)) if s == "lost" => {
            tracing::warn!(
                slot,
                "the change-tracking slot was lost: every rollup is rebuilt"
            );
            sqlx::query(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                  WHERE slot_name = $1 AND wal_status = 'lost'",
            )
            .bind(slot)
            .execute(pool)
            .await?;
        }
        Some(_) => return Ok(()),
        None => tracing::info!(slot, "making the change-tracking slot"),
    }
    // The marks first: a drain that sees the new slot sees them too.
    super::marks::mark_every_day(pool).await?;
    // Made under the drainers' lock: the slot is listed, and busy, while it is made (it
    // waits for running writers), and a drain that found it then would read it at once.
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(7401, 0)")
        .execute(&mut *conn)
        .await?;
    let made = sqlx::query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')")
        .bind(slot)
        .execute(&mut *conn)
        .await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock(7401, 0)")
        .execute(&mut *conn)
        .await;
    if unlocked.is_err() {
        // Closing the connection releases the lock.
        let _ = conn.detach();
    }
    match made {
        // Or another worker made it first.
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42710") => Ok(()),
        Err(e) => Err(e),
    }
}

/// The published tables by id, with their columns in the order of tuples.
async fn published_relations(
    conn: &mut PgConnection,
) -> Result<HashMap<u32, (String, Vec<String>)>, sqlx::Error> {
    let rows: Vec<(i64, String, Vec<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.oid::int8, c.relname::text, t.attnames::text[]
           FROM pg_publication_tables t
           JOIN pg_namespace n ON n.nspname = t.schemaname
           JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.tablename
          WHERE t.pubname = '{PUBLICATION}'"
    )))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(oid, name, cols)| (oid as u32, (name, cols)))
        .collect())
}
