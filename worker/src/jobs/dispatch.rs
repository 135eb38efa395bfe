//! The dispatcher: every poll interval, pushes exports that were accepted but never handed
//! to Redis (the API skipped it because another dispatch held the queue's lock, or Redis
//! was full or down), oldest first, under the cap. The reconciler covers the slower cases:
//! jobs Redis lost, expired leases.

use exportd_core::queue::{self, QueueName};

use crate::Ctx;

/// Pushes what is waiting; returns how many were pushed.
pub async fn pass(ctx: &Ctx) -> anyhow::Result<usize> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM exports WHERE status = 'queued' AND dispatched_at IS NULL AND run_after <= now() ORDER BY id LIMIT $1",
    )
    .bind(ctx.cfg.dispatch_cap as i64)
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
