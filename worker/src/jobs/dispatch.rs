//! The dispatcher: every poll interval, pushes exports that were accepted but never handed
//! to Redis (the API skipped it because another dispatch held the queue's lock, or Redis
//! was full or down), oldest first, under the cap. The reconciler covers the slower cases:
//! jobs Redis lost, expired leases.
//!
//! Fair across accounts: accounts take turns (each account's oldest first, then every
//! account's second …), and an account never has more than `EXPORTD_MAX_ACTIVE_EXPORTS`
//! exports in Redis or running. One tenant's thousand scheduled runs on the 1st wait their
//! turn instead of filling the queue ahead of everyone else.

use exportd_core::queue::{self, QueueName};

use crate::Ctx;

/// Pushes what is waiting; returns how many were pushed.
pub async fn pass(ctx: &Ctx) -> anyhow::Result<usize> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "WITH inflight AS (
              SELECT account_id, count(*) AS n FROM exports
               WHERE status = 'running' OR (status = 'queued' AND dispatched_at IS NOT NULL)
               GROUP BY account_id),
              waiting AS (
              SELECT id, account_id, row_number() OVER (PARTITION BY account_id ORDER BY id) AS turn
                FROM exports WHERE status = 'queued' AND dispatched_at IS NULL AND run_after <= now())
         SELECT w.id FROM waiting w LEFT JOIN inflight i USING (account_id)
          WHERE w.turn + coalesce(i.n, 0) <= $2
          ORDER BY w.turn, w.id LIMIT $1",
    )
    .bind(ctx.cfg.dispatch_cap as i64)
    .bind(ctx.cfg.max_active_exports)
    .fetch_all(&ctx.pool)
    .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(queue::dispatch(
        &ctx.pool,
        &mut ctx.redis.clone(),
        &ctx.cfg,
        QueueName::Generate,
        &ids,
    )
    .await?
    .len())
}
