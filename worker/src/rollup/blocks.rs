//! Writing rollup rows: a day's rows of every kind that declares rollups
//! ([`super::spec::registered`]) from the source tables, a block's from its two children,
//! and deleting the rows of blocks and series that are gone. Each write is a short transaction
//! of its own; independent ones run two at a time.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
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

/// Builds one local day from the source tables, in one transaction that reads them in one
/// snapshot.
pub(super) async fn build_day(
    pool: &PgPool,
    account_id: i64,
    series: i32,
    tz: Tz,
    day: i32,
) -> Result<(), sqlx::Error> {
    let (from, to) = days_bounds(day, day + 1, tz);
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ WRITE")
        .execute(&mut *tx)
        .await?;
    delete_blocks(&mut tx, series, &[(0, day)]).await?;
    for statement in registered().flat_map(|(_, r)| r.day) {
        let q = sqlx::query(AssertSqlSafe((statement.sql)()))
            .bind(account_id)
            .bind(from)
            .bind(to);
        let q = match statement.binds {
            DayBinds::Day => q.bind(series).bind(day),
            DayBinds::DayInZone => q.bind(series).bind(day).bind(tz.name()),
            DayBinds::Clipped => q.bind(to).bind(series).bind(day),
        };
        q.execute(&mut *tx).await?;
    }
    upsert_block(&mut tx, series, 0, day, from, to).await?;
    tx.commit().await
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
