//! Writing rollup rows: a day's rows of every kind that has rollups (global, steps,
//! agents_activity, sessions, conversations) from the source tables, a block's from its two children, and
//! deleting the rows of blocks and series that are gone. Each write is a short transaction
//! of its own; independent ones run two at a time.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

use super::days_bounds;
use crate::reports::{
    agents_activity::rollup as agents, conversations, global::cells, sessions::rollup as sessions,
    steps,
};

/// Every table of rollup rows, keyed by (series, level, block).
const TABLES: [&str; 12] = [
    "rollup_cells",
    "rollup_presence",
    "rollup_steps",
    "rollup_agent_chats",
    "rollup_agent_messages",
    "rollup_sessions",
    "rollup_session_hours",
    "rollup_session_days",
    "rollup_conv_sites",
    "rollup_conv_owners",
    "rollup_conv_hours",
    "rollup_conv_users",
];

/// The rows of a series whose blocks are gone.
pub(super) async fn delete_series_rows(
    conn: &mut PgConnection,
    series: i32,
) -> Result<(), sqlx::Error> {
    for table in TABLES {
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
    for table in TABLES {
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

/// Builds one local day from the source tables, in one transaction; each insert reads the
/// source in a single snapshot.
pub(super) async fn build_day(
    pool: &PgPool,
    account_id: i64,
    series: i32,
    tz: Tz,
    day: i32,
) -> Result<(), sqlx::Error> {
    let (from, to) = days_bounds(day, day + 1, tz);
    let mut tx = pool.begin().await?;
    delete_blocks(&mut tx, series, &[(0, day)]).await?;
    // `$1` account, `[$2, $3)` the day, `$4` series, `$5` day number.
    for sql in [
        cells::BUILD_DAY.as_str(),
        steps::rollup::BUILD_DAY,
        agents::BUILD_DAY_CHATS.as_str(),
        agents::BUILD_DAY_MESSAGES,
        sessions::BUILD_DAY_SESSIONS.as_str(),
        conversations::query::BUILD_DAY[0].as_str(),
        conversations::query::BUILD_DAY[1].as_str(),
        conversations::query::BUILD_DAY[3].as_str(),
    ] {
        sqlx::query(AssertSqlSafe(sql))
            .bind(account_id)
            .bind(from)
            .bind(to)
            .bind(series)
            .bind(day)
            .execute(&mut *tx)
            .await?;
    }
    // The same, `$6` the timezone of local hours and dates.
    for sql in [
        &*sessions::BUILD_DAY_HOURS,
        &*sessions::BUILD_DAY_TRAFFIC,
        &conversations::query::BUILD_DAY[2],
    ] {
        sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(account_id)
            .bind(from)
            .bind(to)
            .bind(series)
            .bind(day)
            .bind(tz.name())
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(AssertSqlSafe(cells::BUILD_DAY_PRESENCE.as_str()))
        .bind(account_id)
        .bind(from)
        .bind(to)
        .bind(to)
        .bind(series)
        .bind(day)
        .execute(&mut *tx)
        .await?;
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
    // `$1` series, `$2` level, `$3` block.
    for sql in [
        cells::BUILD_BLOCK.as_str(),
        cells::BUILD_BLOCK_PRESENCE,
        steps::rollup::BUILD_BLOCK,
        agents::BUILD_BLOCK_CHATS.as_str(),
        agents::BUILD_BLOCK_MESSAGES,
        sessions::BUILD_BLOCK[0],
        sessions::BUILD_BLOCK[1],
    ]
    .into_iter()
    .chain(conversations::rollup::BUILD_BLOCK)
    {
        sqlx::query(AssertSqlSafe(sql))
            .bind(series)
            .bind(level)
            .bind(block)
            .execute(&mut *tx)
            .await?;
    }
    upsert_block(&mut tx, series, level, block, starts_at, ends_at).await?;
    tx.commit().await
}
