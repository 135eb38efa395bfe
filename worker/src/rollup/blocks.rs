//! Writing rollup rows: a day's rows of every kind that declares rollups
//! ([`super::spec::registered`]) from the source tables, a block's from its two children,
//! and deleting the rows of blocks and series that are gone. Each write is a short transaction
//! of its own; independent ones run two at a time.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use super::{
    days_bounds,
    spec::{DayBinds, registered, tables},
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
    if blocks.is_empty() {
        return Ok(());
    }
    let (levels, ids): (Vec<i16>, Vec<i32>) = blocks.iter().copied().unzip();
    for table in tables() {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} t USING unnest($2::int2[], $3::int4[]) AS b (level, block)
              WHERE t.series_id = $1 AND t.level = b.level AND t.block = b.block"
        )))
        .bind(series)
        .bind(&levels)
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn upsert_block(
    conn: &mut PgConnection,
    series: i32,
    level: i16,
    block: i32,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO rollup_blocks (series_id, level, block, starts_at, ends_at, built_at)
         VALUES ($1, $2, $3, $4, $5, clock_timestamp())
         ON CONFLICT (series_id, level, block)
         DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, built_at = EXCLUDED.built_at",
    )
    .bind(series)
    .bind(level)
    .bind(block)
    .bind(starts_at)
    .bind(ends_at)
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

/// Builds one local day: its rows of every kind are read from the source tables on
/// `source` (the primary, or a replica that has replayed far enough), in one transaction
/// and one snapshot, then written on `pool` in one transaction with the day's block. They
/// travel as `COPY` text, whatever their columns.
pub(super) async fn build_day(
    pool: &PgPool,
    source: &PgPool,
    account_id: i64,
    series: i32,
    tz: Tz,
    day: i32,
) -> Result<(), sqlx::Error> {
    let (from, to) = days_bounds(day, day + 1, tz);
    let mut read = source.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *read)
        .await?;
    let mut rows = Vec::new();
    for statement in registered().flat_map(|(_, r)| r.day) {
        let (target, query) = split_insert((statement.sql)());
        let mut binds = vec![Lit::Int(account_id), Lit::At(from), Lit::At(to)];
        binds.extend(match statement.binds {
            DayBinds::Day => vec![Lit::Int(series.into()), Lit::Int(day.into())],
            DayBinds::DayInZone => vec![
                Lit::Int(series.into()),
                Lit::Int(day.into()),
                Lit::Text(tz.name()),
            ],
            DayBinds::Clipped => vec![Lit::At(to), Lit::Int(series.into()), Lit::Int(day.into())],
        });
        let copy = format!("COPY ({}) TO STDOUT", inline(&query, &binds));
        let mut out = read.copy_out_raw(&copy).await?;
        let mut data = Vec::new();
        while let Some(chunk) = out.try_next().await? {
            data.extend_from_slice(&chunk);
        }
        drop(out);
        rows.push((target, data));
    }
    read.commit().await?;
    let mut tx = pool.begin().await?;
    delete_blocks(&mut tx, series, &[(0, day)]).await?;
    for (target, data) in rows {
        if data.is_empty() {
            continue;
        }
        let mut copy = tx.copy_in_raw(&format!("COPY {target} FROM STDIN")).await?;
        copy.send(data).await?;
        copy.finish().await?;
    }
    upsert_block(&mut tx, series, 0, day, from, to).await?;
    tx.commit().await
}

/// A value written into a statement run by `COPY`, which takes no parameters.
enum Lit {
    Int(i64),
    At(DateTime<Utc>),
    Text(&'static str),
}

impl Lit {
    fn sql(&self) -> String {
        match self {
            Lit::Int(n) => format!("({n})::int8"),
            Lit::At(t) => format!("'{}'::timestamptz", t.to_rfc3339()),
            Lit::Text(s) => format!("'{}'::text", s.replace('\'', "''")),
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

/// A day statement (`[WITH …] INSERT INTO table (columns) SELECT …`) as where its rows go
/// (`table (columns)`) and the query that makes them (`[WITH …] SELECT …`).
fn split_insert(sql: &str) -> (String, String) {
    let at = sql
        .find("INSERT INTO ")
        .expect("a day statement inserts its rows");
    let open = at + sql[at..].find('(').expect("a column list");
    let close = open + sql[open..].find(')').expect("a column list");
    let target = sql[at + "INSERT INTO ".len()..=close].to_owned();
    (target, format!("{} {}", &sql[..at], &sql[close + 1..]))
}

/// Builds a block from its two children, in one transaction.
pub(super) async fn build_block(
    pool: &PgPool,
    series: i32,
    level: i16,
    block: i32,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    delete_blocks(&mut tx, series, &[(level, block)]).await?;
    for sql in registered().flat_map(|(_, r)| r.block) {
        sqlx::query(AssertSqlSafe(sql()))
            .bind(series)
            .bind(level)
            .bind(block)
            .execute(&mut *tx)
            .await?;
    }
    upsert_block(&mut tx, series, level, block, starts_at, ends_at).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_statement_splits_into_its_target_and_a_query() {
        for statement in registered().flat_map(|(_, r)| r.day) {
            let (target, query) = split_insert((statement.sql)());
            assert!(
                target.starts_with("rollup_") && target.ends_with(')'),
                "{target}"
            );
            assert!(target.contains("series_id, level, block"), "{target}");
            assert!(!query.contains("INSERT"), "{query}");
            assert!(query.contains("SELECT"), "{query}");
        }
    }

    #[test]
    fn binds_are_written_in_the_highest_first() {
        let binds: Vec<Lit> = (1..=10).map(Lit::Int).collect();
        assert_eq!(inline("$1 + $10", &binds), "(1)::int8 + (10)::int8");
        assert_eq!(Lit::Text("a'b").sql(), "'a''b'::text");
    }
}
