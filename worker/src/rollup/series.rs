//! An account's series (its rollups in one timezone), and the builder's clock: the
//! checkpoints that tell which instants every write before them is visible by.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use exportd_core::config::Config;
use sqlx::{PgConnection, PgPool};

use super::blocks::delete_series_rows;

/// Records a checkpoint and returns the latest instant before which every write is
/// visible: that of the newest checkpoint whose transactions have all ended.
pub(super) async fn horizon(pool: &PgPool) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    // statement_timestamp() is taken before the statement's snapshot, so every transaction
    // id assigned before it is below the snapshot's xmax.
    sqlx::query(
        "INSERT INTO rollup_checkpoints (at, next_xid)
         SELECT statement_timestamp(), pg_snapshot_xmax(pg_current_snapshot())
         ON CONFLICT DO NOTHING",
    )
    .execute(pool)
    .await?;
    let at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT max(at) FROM rollup_checkpoints WHERE next_xid <= pg_snapshot_xmin(pg_current_snapshot())",
    )
    .fetch_one(pool)
    .await?;
    if let Some(at) = at {
        sqlx::query("DELETE FROM rollup_checkpoints WHERE at < $1")
            .bind(at)
            .execute(pool)
            .await?;
    }
    Ok(at)
}

/// The account's series in `tz`, made if missing; the series of timezones it left are
/// retired, and deleted once reports that read them have had time to end.
pub(super) async fn current_series(
    conn: &mut PgConnection,
    account_id: i64,
    tz: Tz,
    cfg: &Config,
) -> Result<i32, sqlx::Error> {
    // Back to a timezone the account had left: its rollups missed what was marked since.
    let left: Vec<i32> = sqlx::query_scalar(
        "DELETE FROM rollup_series WHERE account_id = $1 AND tz = $2 AND retired_at IS NOT NULL RETURNING id",
    )
    .bind(account_id)
    .bind(tz.name())
    .fetch_all(&mut *conn)
    .await?;
    for old in left {
        delete_series_rows(conn, old).await?;
    }
    let series: i32 = sqlx::query_scalar(
        "INSERT INTO rollup_series (account_id, tz) VALUES ($1, $2)
         ON CONFLICT (account_id, tz) DO UPDATE SET tz = EXCLUDED.tz RETURNING id",
    )
    .bind(account_id)
    .bind(tz.name())
    .fetch_one(&mut *conn)
    .await?;
    // The account's timezone changed: its old local days are of no use. Reports stop
    // planning with them at once; they go once the reports that did have had time to end.
    sqlx::query(
        "UPDATE rollup_series SET retired_at = clock_timestamp()
          WHERE account_id = $1 AND id <> $2 AND retired_at IS NULL",
    )
    .bind(account_id)
    .bind(series)
    .execute(&mut *conn)
    .await?;
    let stale: Vec<i32> = sqlx::query_scalar(
        "DELETE FROM rollup_series
          WHERE account_id = $1 AND id <> $2 AND retired_at <= clock_timestamp() - $3::float8 * interval '1 second'
         RETURNING id",
    )
    .bind(account_id)
    .bind(series)
    .bind(cfg.rollup_retire_after.as_secs_f64())
    .fetch_all(&mut *conn)
    .await?;
    for old in stale {
        delete_series_rows(conn, old).await?;
    }
    Ok(series)
}
