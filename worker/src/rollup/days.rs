//! Building a span of days: every days statement of every kind that declares rollups
//! ([`super::spec::registered`]), read from the source tables in one snapshot and written
//! into its table, on one lane or two.
//!
//! A statement that fails fails the span: the tables written before it keep the span's new
//! rows, the others their old ones, and the days are not recorded as built. A day being
//! rebuilt overlaps a pending mark, which keeps reports on the source tables until a
//! later pass has rebuilt it whole; a day never built is not read from rollups at all.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, Transaction};
use tokio::sync::{Notify, Semaphore};

use super::{
    blocks::{delete_rows, upsert_blocks},
    days_bounds,
    spec::{DaysStatement, registered},
};

/// Days a span builds at most: each of its statements reads the span's source rows in one
/// grouped pass, and a stop waits for at most one span.
pub(super) const SPAN_DAYS: i32 = 32;

/// Sorted days as spans `[first, end)` of consecutive days, none crossing a multiple of
/// [`SPAN_DAYS`].
pub(super) fn spans(days: &[i32]) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    for &d in days {
        match out.last_mut() {
            Some((_, end)) if *end == d && d.rem_euclid(SPAN_DAYS) != 0 => *end = d + 1,
            _ => out.push((d, d + 1)),
        }
    }
    out
}

/// The longest span whose read looks source rows up by key where it can (see
/// [`begin_read`]).
const SHORT_SPAN_DAYS: i32 = 3;

/// What a statement's rows are sent on in: enough for `COPY` to stream, little to hold.
const COPY_CHUNK: usize = 1 << 20;

/// Builds the consecutive local days `[first, end)`: their rows of every kind are read
/// from the source tables on `source` (the primary, or a replica that has replayed far
/// enough) with one grouped pass per statement over the whole span, all in one snapshot,
/// and the days are recorded as built once every table has them.
///
/// A span reads on one of `slots`, taken before any connection, its statements one after
/// another. If the other slot is free when the span begins or when one of its statements
/// ends (the other span is done and no span waits), and the pools have room
/// ([`room_for_a_lane`]), a second lane takes it, imports the span's snapshot and reads
/// the statements left beside the first. A running statement holds a connection to read and
/// one to write, so the builder holds at most two of each, as when a span had one lane: a
/// span waiting for a slot holds none.
pub(super) async fn build_days(
    pool: &PgPool,
    source: &PgPool,
    slots: &Semaphore,
    account_id: i64,
    series: i32,
    tz: Tz,
    (first, end): (i32, i32),
) -> Result<(), sqlx::Error> {
    let (from, to) = days_bounds(first, end, tz);
    let days: Vec<(i32, DateTime<Utc>, DateTime<Utc>)> = (first..end)
        .map(|d| {
            let (a, b) = days_bounds(d, d + 1, tz);
            (d, a, b)
        })
        .collect();
    let binds = [
        Lit::Int(account_id),
        Lit::At(from),
        Lit::At(to),
        Lit::Int(series.into()),
        Lit::Text(tz.name()),
        Lit::Ints(days.iter().map(|d| d.0).collect()),
        Lit::Ats(days.iter().map(|d| d.1).collect()),
        Lit::Ats(days.iter().map(|d| d.2).collect()),
    ];
    let statements: Vec<&DaysStatement> = registered().flat_map(|(_, r)| r.days).collect();
    let span = Span {
        pool,
        binds: &binds,
        series,
        days: &days.iter().map(|d| (0, d.0)).collect::<Vec<_>>(),
        statements: &statements,
        taken: AtomicUsize::new(0),
        ended: Notify::new(),
    };
    let short = end - first <= SHORT_SPAN_DAYS;
    let _slot = slots.acquire().await.expect("the slots are never closed");
    let mut held = begin_read(source, None, short).await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *held)
        .await?;
    let second_lane = async {
        let _slot = loop {
            let ended = span.ended.notified();
            if span.all_taken() {
                return Ok(());
            }
            if room_for_a_lane(pool)
                && room_for_a_lane(source)
                && let Ok(slot) = slots.try_acquire()
            {
                break slot;
            }
            ended.await;
        };
        // The first lane reads on without it: a second lane that cannot begin (no
        // connection within the pool's wait, a standby that does not know the snapshot)
        // costs the span time, not its build.
        let mut read = match begin_read(source, Some(&snapshot), short).await {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e, "rollups: a span's second lane could not begin");
                return Ok(());
            }
        };
        span.read_all(&mut read).await?;
        read.commit().await
    };
    // A lane that fails stops the other after its statement: one dropped in the middle
    // of a `COPY` out would leave its connection out of step with the server.
    let (first_lane, second_lane) = futures::join!(span.read_all(&mut held), second_lane);
    first_lane?;
    second_lane?;
    // Every lane has taken the snapshot, or never will.
    held.commit().await?;
    let mut tx = pool.begin().await?;
    upsert_blocks(&mut tx, series, 0, &days).await?;
    tx.commit().await
}

/// Whether `pool` can lend a second lane its connections (one to read, one to write, from
/// the same pool without a replica) and keep two more free: the builder's optional lane
/// never takes the last connections a report or the API waits for.
fn room_for_a_lane(pool: &PgPool) -> bool {
    let in_use = pool.size().saturating_sub(pool.num_idle() as u32);
    pool.options().get_max_connections().saturating_sub(in_use) >= 4
}

/// A span's statements, taken in turn by the lanes that read them.
struct Span<'a> {
    pool: &'a PgPool,
    binds: &'a [Lit],
    series: i32,
    /// The span's days, as level-0 blocks.
    days: &'a [(i16, i32)],
    statements: &'a [&'static DaysStatement],
    /// How many times a lane has taken the next statement (more than there are, at the end).
    taken: AtomicUsize,
    /// Told each time a statement ends.
    ended: Notify,
}

impl Span<'_> {
    fn all_taken(&self) -> bool {
        self.taken.load(Ordering::SeqCst) >= self.statements.len()
    }

    /// Reads the statements no lane has taken yet, one at a time, in the transaction open
    /// on `read`, until none is left or a lane has failed.
    async fn read_all(&self, read: &mut PgConnection) -> Result<(), sqlx::Error> {
        while let Some(&statement) = self
            .statements
            .get(self.taken.fetch_add(1, Ordering::SeqCst))
        {
            let copied = self.copy(read, statement).await;
            if copied.is_err() {
                // No lane takes another statement.
                self.taken.store(self.statements.len(), Ordering::SeqCst);
            }
            self.ended.notify_waiters();
            copied?;
        }
        Ok(())
    }

    /// Replaces the span's rows of one table with what `statement` reads on `read`, in a
    /// transaction of its own: a reader of that table finds the span's old rows or its
    /// new ones, never none. The rows travel as `COPY` text, whatever their columns, a
    /// chunk at a time.
    async fn copy(
        &self,
        read: &mut PgConnection,
        statement: &DaysStatement,
    ) -> Result<(), sqlx::Error> {
        let target = (statement.target)();
        let table = target.split_whitespace().next().unwrap_or(target);
        let mut tx = self.pool.begin().await?;
        delete_rows(&mut tx, &[table], self.series, self.days).await?;
        let copy = format!(
            "COPY ({}) TO STDOUT",
            inline((statement.query)(), self.binds)
        );
        let mut out = read.copy_out_raw(&copy).await?;
        let mut into = tx.copy_in_raw(&format!("COPY {target} FROM STDIN")).await?;
        let mut chunk = Vec::with_capacity(COPY_CHUNK);
        while let Some(row) = out.try_next().await? {
            chunk.extend_from_slice(&row);
            if chunk.len() >= COPY_CHUNK {
                into.send(std::mem::replace(
                    &mut chunk,
                    Vec::with_capacity(COPY_CHUNK),
                ))
                .await?;
            }
        }
        drop(out);
        if !chunk.is_empty() {
            into.send(chunk).await?;
        }
        into.finish().await?;
        tx.commit().await
    }
}

/// A read-only transaction on `source` in the snapshot given (`pg_export_snapshot`), or in
/// one of its own, with the settings of a span's reads.
async fn begin_read(
    source: &PgPool,
    snapshot: Option<&str>,
    short: bool,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut read = source.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *read)
        .await?;
    if let Some(snapshot) = snapshot {
        // The server's identifier, hexadecimal and dashes; it cannot be bound.
        if !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(sqlx::Error::Protocol(format!(
                "unexpected snapshot identifier {snapshot:?}"
            )));
        }
        sqlx::query(AssertSqlSafe(format!(
            "SET TRANSACTION SNAPSHOT '{snapshot}'"
        )))
        .execute(&mut *read)
        .await?;
    }
    // The lane that exported the snapshot waits, idle, for the other lane's last
    // statement: a server's `idle_in_transaction_session_timeout` must not end it.
    sqlx::query("SELECT set_config('idle_in_transaction_session_timeout', '0', true)")
        .execute(&mut *read)
        .await?;
    // A span's grouped passes hash as the reports' do: at Postgres's default `work_mem`
    // they spill their joins and sorts to disk.
    crate::reports::make_roomy(&mut read).await?;
    // A span of a few days (a closed day rebuilt, the days since the last pass) reads
    // rows written moments or days ago, in cache. At Postgres's default `random_page_cost`
    // of 4, a day's steps hashed every chat of the account to find their sites, 1.2–1.5 s,
    // where looking each chat up by its key takes 0.3–0.5 s. Longer spans keep the
    // default: for a month, the cells read chats by index instead of in parallel
    // (4.0–4.1 s against 2.9–3.4 s), and steps hash either way from four days on
    // (`EXPLAIN ANALYZE` of each, side by side, on the benchmark account). Such a span's
    // statements are also too short to repay compiling them (JIT): 10–20 % of each.
    if short {
        sqlx::query(
            "SELECT set_config('random_page_cost', '1.1', true), set_config('jit', 'off', true)",
        )
        .execute(&mut *read)
        .await?;
    }
    Ok(read)
}

/// A value written into a statement run by `COPY`, which takes no parameters.
enum Lit {
    Int(i64),
    At(DateTime<Utc>),
    Text(&'static str),
    Ints(Vec<i32>),
    Ats(Vec<DateTime<Utc>>),
}

impl Lit {
    fn sql(&self) -> String {
        let at = |t: &DateTime<Utc>| format!("'{}'::timestamptz", t.to_rfc3339());
        match self {
            Lit::Int(n) => format!("({n})::int8"),
            Lit::At(t) => at(t),
            Lit::Text(s) => format!("'{}'::text", s.replace('\'', "''")),
            Lit::Ints(ns) => format!(
                "ARRAY[{}]::int4[]",
                ns.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
            ),
            Lit::Ats(ts) => format!(
                "ARRAY[{}]::timestamptz[]",
                ts.iter().map(at).collect::<Vec<_>>().join(",")
            ),
        }
    }
}

/// `sql` with `$1`, `$2` … replaced by `binds`, the highest first, so `$1` does not take
/// the start of `$10`.
fn inline(sql: &str, binds: &[Lit]) -> String {
    let mut out = sql.to_owned();
    for (i, b) in binds.iter().enumerate().rev() {
        out = out.replace(&format!("${}", i + 1), &b.sql());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_days_statement_yields_level_0_rows_of_the_series_keyed_by_block() {
        for (_, rollups) in registered() {
            for statement in rollups.days {
                let target = (statement.target)();
                assert!(target.contains("(series_id, level, block,"), "{target}");
                let query = (statement.query)();
                assert!(query.contains("SELECT $4, 0,"), "{query}");
                assert!(!query.contains("INSERT"), "{query}");
            }
        }
    }

    #[test]
    fn days_become_spans_of_consecutive_days_that_cross_no_boundary() {
        assert_eq!(spans(&[]), vec![]);
        assert_eq!(spans(&[5]), vec![(5, 6)]);
        assert_eq!(spans(&[1, 2, 3, 7, 8]), vec![(1, 4), (7, 9)]);
        // 32 and 64 start spans of their own.
        assert_eq!(spans(&[30, 31, 32, 33]), vec![(30, 32), (32, 34)]);
        let all: Vec<i32> = (0..100).collect();
        assert_eq!(spans(&all), vec![(0, 32), (32, 64), (64, 96), (96, 100)]);
        assert_eq!(spans(&[-2, -1, 0]), vec![(-2, 0), (0, 1)]);
    }

    #[test]
    fn binds_are_written_in_the_highest_first() {
        let binds: Vec<Lit> = (1..=10).map(Lit::Int).collect();
        assert_eq!(inline("$1 + $10", &binds), "(1)::int8 + (10)::int8");
        assert_eq!(Lit::Text("a'b").sql(), "'a''b'::text");
        assert_eq!(Lit::Ints(vec![3, -1]).sql(), "ARRAY[3,-1]::int4[]");
    }
}
