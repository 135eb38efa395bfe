//! The reconciler: runs every few moments in each worker process, one at a time across
//! processes (a Postgres advisory lock). It makes Postgres, not Redis, the queue of record:
//! - queued exports whose job Redis no longer holds (lost with Redis's data, or trimmed
//!   unclaimed), and pending notifications never pushed or lost, are pushed again under a
//!   fresh task id, never beyond the dispatch cap (exports never pushed at all are the
//!   dispatcher's, see [`super::dispatch`]);
//! - running exports whose lease expired (the worker died) are pushed again, or failed
//!   once they have used every attempt;
//! - files past their retention are swept (see [`super::sweep`]);
//! - finished apalis jobs are trimmed from Redis, which never deletes them.

use apalis_core::backend::Vacuum;
use apalis_redis::RedisStorage;
use exportd_core::{
    exports,
    queue::{self, GenerateExport, QueueName, SendNotification},
};
use tracing::info;

use crate::Ctx;

const LOCK_KEY: i64 = 0x0065_7870_6f72_7464; // "exportd"
/// A dispatched row is checked against Redis only after this long.
const RECHECK_AFTER_SECS: f64 = 5.0;

/// One pass. Returns how many rows were pushed.
pub async fn tick(ctx: &Ctx, vacuum: bool) -> anyhow::Result<usize> {
    let mut lock_conn = ctx.pool.acquire().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut *lock_conn)
        .await?;
    if !locked {
        return Ok(0);
    }
    let result = pass(ctx, vacuum).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *lock_conn)
        .await?;
    result
}

async fn pass(ctx: &Ctx, vacuum: bool) -> anyhow::Result<usize> {
    let mut redis = ctx.redis.clone();
    let cap = ctx.cfg.dispatch_cap as i64;
    let lease_secs = ctx.cfg.lease.as_secs_f64();

    // Abandoned exports that have used every attempt fail, and say so.
    let exhausted: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM exports WHERE status = 'running' AND lease_expires_at < now() AND attempts >= $1 ORDER BY id LIMIT 100",
    )
    .bind(ctx.cfg.max_attempts)
    .fetch_all(&ctx.pool)
    .await?;
    for id in exhausted {
        if let Some((export, lease)) =
            exports::claim(&ctx.pool, id, &ctx.instance, lease_secs).await?
        {
            let msg = format!(
                "the export was interrupted {} times and was given up",
                export.attempts - 1
            );
            super::generate::finish_failure(ctx, &export, lease, "attempts_exhausted", &msg)
                .await?;
        }
    }

    let mut pushed = 0;
    for q in QueueName::ALL {
        let (table, ready) = match q {
            QueueName::Generate => (
                "exports",
                // Exports never dispatched are the dispatcher's, every poll interval.
                "(status = 'queued' AND run_after <= now() AND dispatched_at IS NOT NULL) \
                 OR (status = 'running' AND lease_expires_at < now())",
            ),
            QueueName::Notify => ("notifications", "status = 'pending' AND run_after <= now()"),
        };
        let sql = format!(
            "SELECT id, dispatch_task_id, status FROM {table}
              WHERE ({ready}) AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => $2))
              ORDER BY id LIMIT $1"
        );
        let rows: Vec<(i64, Option<String>, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(cap)
            .bind(RECHECK_AFTER_SECS)
            .fetch_all(&ctx.pool)
            .await?;
        // A row whose job Redis still holds is waiting its turn; an expired lease always
        // goes again, since its job died with its worker.
        let task_ids: Vec<String> = rows
            .iter()
            .map(|(_, t, _)| t.clone().unwrap_or_default())
            .collect();
        let present = queue::present(&mut redis, q, &ctx.cfg, &task_ids).await?;
        let due: Vec<i64> = rows
            .iter()
            .zip(present)
            .filter(|((_, t, status), present)| t.is_none() || !present || status == "running")
            .map(|((id, _, _), _)| *id)
            .collect();
        if !due.is_empty() {
            let done = queue::dispatch(&ctx.pool, &mut redis, &ctx.cfg, q, &due).await?;
            if !done.is_empty() {
                info!(queue = q.table(), count = done.len(), "dispatched");
            }
            pushed += done.len();
        }
    }

    super::sweep::pass(ctx).await?;

    if vacuum {
        let g = RedisStorage::<GenerateExport>::new(redis.clone())
            .with_config(queue::redis_config(&ctx.cfg, QueueName::Generate))
            .vacuum()
            .await?;
        let n = RedisStorage::<SendNotification>::new(redis.clone())
            .with_config(queue::redis_config(&ctx.cfg, QueueName::Notify))
            .vacuum()
            .await?;
        if g + n > 0 {
            tracing::debug!(trimmed = g + n, "trimmed finished jobs from Redis");
        }
    }
    Ok(pushed)
}
