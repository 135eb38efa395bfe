//! The read plan: which valid rollup blocks cover a report's days, and which days are left
//! to the source tables.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use exportd_core::domain::DateRange;
use sqlx::PgPool;

use super::{Cover, cover, day_number, days_bounds};

/// The series of an account in a timezone, if its rollups exist.
pub(super) async fn series(
    pool: &PgPool,
    account_id: i64,
    tz: Tz,
) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM rollup_series WHERE account_id = $1 AND tz = $2 AND retired_at IS NULL",
    )
    .bind(account_id)
    .bind(tz.name())
    .fetch_optional(pool)
    .await
}

/// Plans how to read days `[first, end)` of an account in `tz`: the valid blocks (built,
/// and overlapping no UTC day a late write left dirty) and the days left to the source
/// tables. The WAL is read first, so that every write committed before this moment is
/// known; without change tracking every day is read from the source tables.
pub async fn plan(
    pool: &PgPool,
    account_id: i64,
    tz: Tz,
    first: i32,
    end: i32,
) -> Result<(Option<i32>, Cover), sqlx::Error> {
    let Some(series) = series(pool, account_id, tz).await? else {
        return Ok((None, Cover::raw(first, end)));
    };
    let (from, to) = days_bounds(first, end, tz);
    // No block to read, no WAL to read first.
    if valid_blocks(pool, series, account_id, (from, to))
        .await?
        .is_empty()
    {
        return Ok((Some(series), Cover::raw(first, end)));
    }
    // A report never trusts a block it cannot vouch for: if the WAL cannot be read now
    // (the slot dropped and not made again, a role without REPLICATION), it reads the
    // source tables, slower but right.
    match super::changes::drain(pool).await {
        Ok(d) if d.tracking() => {}
        Ok(_) => return Ok((None, Cover::raw(first, end))),
        Err(e) => {
            tracing::warn!(error = %e, account.id = account_id, "change tracking failed: the report reads the source tables");
            return Ok((None, Cover::raw(first, end)));
        }
    }
    super::owners::owner_changes(pool, account_id, (from, to), false).await?;
    let valid = valid_blocks(pool, series, account_id, (from, to)).await?;
    Ok((
        Some(series),
        cover(first, end, &valid.into_iter().collect()),
    ))
}

/// The blocks of a series within `[from, to)` that no dirty or pending day overlaps.
async fn valid_blocks(
    pool: &PgPool,
    series: i32,
    account_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<(i16, i32)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT b.level, b.block FROM rollup_blocks b
          WHERE b.series_id = $1 AND b.starts_at >= $3 AND b.ends_at <= $4
            AND NOT EXISTS (SELECT 1 FROM (SELECT day FROM rollup_dirty WHERE account_id = $2
                                           UNION ALL
                                           SELECT day FROM rollup_pending WHERE account_id = $2) m
                             WHERE m.day = -2147483648
                                OR m.day BETWEEN exportd_utc_day(b.starts_at)
                                             AND exportd_utc_day(b.ends_at - interval '1 microsecond'))",
    )
    .bind(series)
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Plans how a report reads `range` of an account: from valid blocks and the source tables
/// when `rollups`, else from the source tables alone.
pub async fn plan_range(
    pool: &PgPool,
    rollups: bool,
    account_id: i64,
    range: &DateRange,
) -> Result<(Option<i32>, Cover), sqlx::Error> {
    let (first, end) = (day_number(range.from), day_number(range.to) + 1);
    if rollups {
        plan(pool, account_id, range.tz, first, end).await
    } else {
        Ok((None, Cover::raw(first, end)))
    }
}
