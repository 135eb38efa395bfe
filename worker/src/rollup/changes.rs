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
    collections::{HashMap, HashSet},
    sync::atomic::{AtomicBool, Ordering},
};

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::{Connection, PgConnection, PgPool};

use super::pgoutput::{self, Message};

/// The publication the slot reads.
pub const PUBLICATION: &str = "exportd_rollups";

/// Changes read from the slot per call.
const BATCH: i32 = 20_000;

/// The day that stands for all of an account's days.
const ALL_DAYS: i32 = i32::MIN;

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

/// Reads what was written since the last drain and marks the settled days it touched.
pub async fn drain(pool: &PgPool) -> Result<Drained, sqlx::Error> {
    // Everything committed before this point is read; a drain that ran meanwhile (reports
    // arriving together wait for one another) may have read it already.
    let (logical, published, slot, target): (bool, bool, String, String) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT current_setting('wal_level') = 'logical',
                    EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '{PUBLICATION}'),
                    {SLOT}, pg_current_wal_lsn()::text"
        )))
        .fetch_one(pool)
        .await?;
    if !(logical && published) {
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
        sqlx::query(
            "SELECT pg_replication_slot_advance($1, $2::pg_lsn) FROM pg_replication_slots
              WHERE slot_name = $1 AND confirmed_flush_lsn < $2::pg_lsn",
        )
        .bind(&slot)
        .bind(upto)
        .execute(pool)
        .await?;
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
            Err(e) => tracing::warn!(error = %e, "a change the tracker could not read"),
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
    let made = sqlx::query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')")
        .bind(slot)
        .execute(pool)
        .await;
    match made {
        Ok(_) => {}
        // Another worker made it first.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42710") => return Ok(()),
        Err(e) => return Err(e),
    }
    sqlx::query(
        "INSERT INTO rollup_dirty (account_id, day)
         SELECT DISTINCT account_id, -2147483648 FROM rollup_series
         ON CONFLICT DO NOTHING",
    )
    .execute(pool)
    .await?;
    Ok(())
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

/// The marks a batch leaves: (account, UTC day) of settled instants, and the contacts
/// added with an owner (whose conversations' days are looked up).
struct Marks {
    settled: DateTime<Utc>,
    days: HashSet<(i64, i32)>,
    contacts: HashSet<(i64, i64)>,
}

/// An instant as the slot's session (UTC, ISO) prints it; `None` for ±infinity or worse.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    let t = text.strip_suffix("+00").unwrap_or(text);
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

fn utc_day(t: DateTime<Utc>) -> i32 {
    t.timestamp().div_euclid(86_400) as i32
}

impl Marks {
    fn new(settled: DateTime<Utc>) -> Self {
        Marks {
            settled,
            days: HashSet::new(),
            contacts: HashSet::new(),
        }
    }

    fn row(&mut self, table: &str, columns: &[String], inserted: bool, values: &[Option<&str>]) {
        let get = |name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .and_then(|i| values.get(i).copied().flatten())
        };
        let Some(account) = get("account_id").and_then(|a| a.parse::<i64>().ok()) else {
            return;
        };
        let (at, until) = match table {
            "chats" | "calls" => ("started_at", None),
            "messages" => ("sent_at", None),
            "steps" => ("entered_at", None),
            "chat_events" => ("at", None),
            "offline_messages" | "bans" => ("created_at", None),
            "agent_presence" => ("started_at", Some("ended_at")),
            "contacts" => {
                // An owner given later is the trigger's (migration 0024).
                if let (true, Some(_), Some(id)) = (
                    inserted,
                    get("owner_id"),
                    get("id").and_then(|i| i.parse::<i64>().ok()),
                ) {
                    self.contacts.insert((account, id));
                }
                return;
            }
            _ => return,
        };
        let Some(text) = get(at) else { return };
        let Some(from) = instant(text) else {
            // ±infinity: no day to name, so every day.
            self.days.insert((account, ALL_DAYS));
            return;
        };
        if from >= self.settled {
            return;
        }
        // An interval touches every settled day from its start to its end (or now).
        let to = match until.map(get) {
            Some(Some(end)) => instant(end).unwrap_or(self.settled),
            Some(None) => self.settled,
            None => from,
        }
        .min(self.settled)
        .max(from);
        for day in utc_day(from)..=utc_day(to) {
            self.days.insert((account, day));
        }
    }

    /// Writes the marks; returns how many rows were new.
    async fn write(self, conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
        let mut tx = conn.begin().await?;
        let (accounts, days): (Vec<i64>, Vec<i32>) = self.days.into_iter().unzip();
        let mut n = sqlx::query(
            "INSERT INTO rollup_dirty (account_id, day)
             SELECT * FROM unnest($1::int8[], $2::int4[]) ON CONFLICT DO NOTHING",
        )
        .bind(&accounts)
        .bind(&days)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if !self.contacts.is_empty() {
            let (accounts, ids): (Vec<i64>, Vec<i64>) = self.contacts.into_iter().unzip();
            n += sqlx::query(
                "INSERT INTO rollup_dirty (account_id, day)
                 SELECT DISTINCT ch.account_id, exportd_utc_day(ch.started_at)
                   FROM unnest($1::int8[], $2::int8[]) AS k (account_id, id)
                   JOIN chats ch ON ch.account_id = k.account_id AND ch.contact_id = k.id
                  WHERE ch.started_at < now() - rollup_settle()
                 ON CONFLICT DO NOTHING",
            )
            .bind(&accounts)
            .bind(&ids)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn settled_instants_mark_their_days_and_intervals_every_day_they_touch() {
        let settled = instant("2026-12-05 06:00:00").unwrap();
        let mut m = Marks::new(settled);
        let chat = cols(&["id", "account_id", "started_at"]);
        m.row(
            "chats",
            &chat,
            false,
            &[Some("1"), Some("7"), Some("2026-12-01 23:59:59.5+00")],
        );
        // Not settled yet: nothing built holds it.
        m.row(
            "chats",
            &chat,
            true,
            &[Some("2"), Some("7"), Some("2026-12-05 07:00:00+00")],
        );
        let presence = cols(&["id", "account_id", "started_at", "ended_at"]);
        m.row(
            "agent_presence",
            &presence,
            false,
            &[Some("3"), Some("8"), Some("2026-12-03 22:00:00+00"), None],
        );
        m.row(
            "messages",
            &cols(&["id", "account_id", "sent_at"]),
            true,
            &[Some("4"), Some("9"), Some("infinity")],
        );
        let day = |s: &str| utc_day(instant(s).unwrap());
        let mut days: Vec<_> = m.days.into_iter().collect();
        days.sort();
        assert_eq!(
            days,
            vec![
                (7, day("2026-12-01 00:00:00")),
                (8, day("2026-12-03 00:00:00")),
                (8, day("2026-12-04 00:00:00")),
                (8, day("2026-12-05 00:00:00")),
                (9, ALL_DAYS),
            ]
        );
    }
}
