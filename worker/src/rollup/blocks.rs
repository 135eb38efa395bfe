//! Writing rollup rows: a block's of every kind that declares rollups
//! ([`super::spec::registered`]) from the blocks under it, the record of built blocks, and
//! deleting the rows of blocks and series that are gone (a span's days are in
//! [`super::days`]). Each write is a short transaction of its own; independent ones run two
//! at a time.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use super::spec::{registered, tables};

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

/// The rows of the blocks given (not the blocks), in every table.
pub(super) async fn delete_blocks(
    conn: &mut PgConnection,
    series: i32,
    blocks: &[(i16, i32)],
) -> Result<(), sqlx::Error> {
    delete_rows(conn, &tables().collect::<Vec<_>>(), series, blocks).await
}

/// The rows of the blocks given in `tables`.
pub(super) async fn delete_rows(
    conn: &mut PgConnection,
    tables: &[&str],
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
        for table in tables {
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

/// Builds a block from the blocks under it, in one transaction.
pub(super) async fn build_block(
    pool: &PgPool,
    series: i32,
    level: i16,
    (block, starts_at, ends_at): (i32, DateTime<Utc>, DateTime<Utc>),
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
}
