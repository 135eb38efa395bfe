//! Writing rollup rows: a day's rows of every kind that declares rollups
//! ([`super::spec::registered`]) from the source tables, a block's from the blocks under it,
//! and deleting the rows of blocks and series that are gone. Each write is a short transaction
//! of its own; independent ones run two at a time.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use super::{
    days_bounds,
    spec::{registered, tables},
};

/// The rows of a series whose blocks are gone.
pub(super) async fn delete_series_rows(
    conn: &mut PgConnection,
    series: i32,
) -> Result<(), sqlx::Error> {
    for table in tables() {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE series_id = $1"
        )))
        .persistent(false)
        .bind(series)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The rows of the blocks given (not the blocks).
pub(super) async fn delete_blocks(
    conn: &mut PgConnection,
    series: i32,
    blocks: &[(i16, i32)],
) -> Result<(), sqlx::Error> {
    let levels: std::collections::BTreeSet<i16> = blocks.iter().map(|b| b.0).collect();
    for level in levels {
        let ids: Vec<i32> = blocks
            .iter()
            .filter(|b| b.0 == level)
            .map(|b| b.1)
            .collect();
        for table in tables() {
            // Every key column is an index condition, whatever the table's statistics say
            // (none, while a first build fills it). Planned for each call, not with a
            // generic plan cached while the table was small: so is every statement of the
            // builder's writes.
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE series_id = $1 AND level = $2 AND block = ANY($3)"
            )))
            .persistent(false)
            .bind(series)
            .bind(level)
            .bind(&ids)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Fresh planner statistics for `rollup_blocks` and every table of rollup rows. Their sets
/// (contacts, intervals) have no statistics (migration 0028): no query filters or groups by
/// one, and sampling them took most of the time.
pub(super) async fn analyze(pool: &PgPool) -> Result<(), sqlx::Error> {
    let tables: Vec<&str> = std::iter::once("rollup_blocks").chain(tables()).collect();
    sqlx::query(AssertSqlSafe(format!("ANALYZE {}", tables.join(", "))))
        .execute(pool)
        .await?;
    Ok(())
}

/// Records blocks `(block, starts_at, ends_at)` of `level` as built now.
pub(super) async fn upsert_blocks(
    conn: &mut PgConnection,
    series: i32,
    level: i16,
    blocks: &[(i32, DateTime<Utc>, DateTime<Utc>)],
) -> Result<(), sqlx::Error> {
    let ids: Vec<i32> = blocks.iter().map(|b| b.0).collect();
    let starts: Vec<DateTime<Utc>> = blocks.iter().map(|b| b.1).collect();
    let ends: Vec<DateTime<Utc>> = blocks.iter().map(|b| b.2).collect();
    sqlx::query(
        "INSERT INTO rollup_blocks (series_id, level, block, starts_at, ends_at, built_at)
         SELECT $1, $2, b.block, b.starts_at, b.ends_at, clock_timestamp()
           FROM unnest($3::int4[], $4::timestamptz[], $5::timestamptz[]) AS b (block, starts_at, ends_at)
         ON CONFLICT (series_id, level, block)
         DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, built_at = EXCLUDED.built_at",
    )
    .bind(series)
    .bind(level)
    .bind(&ids)
    .bind(&starts)
    .bind(&ends)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Runs `work` on each item, two at a time, until `stop` says so. Returns how many ran.
pub(super) async fn in_parallel<T, F, Fut>(
    items: Vec<T>,
    stop: &(dyn Fn() -> bool + Sync),
    work: F,
) -> Result<usize, sqlx::Error>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>>,
{
    use futures::StreamExt;
    let mut runs = futures::stream::iter(items.into_iter().map(|item| {
        let started = !stop();
        let run = started.then(|| work(item));
        async move {
            match run {
                Some(run) => run.await.map(|()| true),
                None => Ok(false),
            }
        }
    }))
    .buffer_unordered(2);
    let mut ran = 0;
    while let Some(r) = runs.next().await {
        ran += usize::from(r?);
    }
    Ok(ran)
}

/// The longest span whose read looks source rows up by key where it can (see
/// [`build_days`]).
const SHORT_SPAN_DAYS: i32 = 3;

/// What a statement's rows are sent on in: enough for `COPY` to stream, little to hold.
const COPY_CHUNK: usize = 1 << 20;

/// Builds the consecutive local days `[first, end)`: their rows of every kind are read
/// from the source tables on `source` (the primary, or a replica that has replayed far
/// enough) with one grouped pass per statement over the whole span, in one transaction and
/// one snapshot, and written on `pool` as they arrive, in one transaction with the days'
/// blocks. They travel as `COPY` text, whatever their columns, a chunk at a time.
pub(super) async fn build_days(
    pool: &PgPool,
    source: &PgPool,
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
    let mut read = source.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
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
    if end - first <= SHORT_SPAN_DAYS {
        sqlx::query(
            "SELECT set_config('random_page_cost', '1.1', true), set_config('jit', 'off', true)",
        )
        .execute(&mut *read)
        .await?;
    }
    let mut tx = pool.begin().await?;
    let blocks: Vec<(i16, i32)> = days.iter().map(|d| (0, d.0)).collect();
    delete_blocks(&mut tx, series, &blocks).await?;
    for statement in registered().flat_map(|(_, r)| r.days) {
        let copy = format!("COPY ({}) TO STDOUT", inline((statement.query)(), &binds));
        let mut out = read.copy_out_raw(&copy).await?;
        let mut into = tx
            .copy_in_raw(&format!("COPY {} FROM STDIN", (statement.target)()))
            .await?;
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
    }
    read.commit().await?;
    upsert_blocks(&mut tx, series, 0, &days).await?;
    tx.commit().await
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

/// Builds a block from the blocks under it, in one transaction.
pub(super) async fn build_block(
    pool: &PgPool,
    series: i32,
    level: i16,
    block: i32,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (below, first, end) = super::children(level, block);
    let mut tx = pool.begin().await?;
    delete_blocks(&mut tx, series, &[(level, block)]).await?;
    for sql in registered().flat_map(|(_, r)| r.block) {
        sqlx::query(AssertSqlSafe(sql()))
            .persistent(false)
            .bind(series)
            .bind(level)
            .bind(block)
            .bind(below)
            .bind(first)
            .bind(end)
            .execute(&mut *tx)
            .await?;
    }
    upsert_blocks(&mut tx, series, level, &[(block, starts_at, ends_at)]).await?;
    tx.commit().await
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
    fn every_table_has_days_and_blocks_above_them_unless_kept_by_day() {
        for (kind, rollups) in registered() {
            for table in rollups.tables {
                let into = format!("{table} (");
                let days = rollups
                    .days
                    .iter()
                    .filter(|d| (d.target)().starts_with(&into));
                assert_eq!(days.count(), 1, "{kind:?}: {table}");
                let into = format!("INSERT INTO {into}");
                let blocks = rollups.block.iter().filter(|b| b().contains(&into)).count();
                let kept_by_day = rollups.days_only.contains(table);
                assert_eq!(blocks, usize::from(!kept_by_day), "{kind:?}: {table}");
            }
            assert!(rollups.days_only.iter().all(|t| rollups.tables.contains(t)));
            assert_eq!(
                rollups.block.len() + rollups.days_only.len(),
                rollups.tables.len()
            );
        }
    }

    #[test]
    fn binds_are_written_in_the_highest_first() {
        let binds: Vec<Lit> = (1..=10).map(Lit::Int).collect();
        assert_eq!(inline("$1 + $10", &binds), "(1)::int8 + (10)::int8");
        assert_eq!(Lit::Text("a'b").sql(), "'a''b'::text");
        assert_eq!(Lit::Ints(vec![3, -1]).sql(), "ARRAY[3,-1]::int4[]");
    }
}
