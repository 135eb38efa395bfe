//! The sweeper: files past their plan's retention are deleted from storage and their
//! exports marked `expired`; their links then answer 410. It also forgets the rows feeds
//! took that no later run can take again ([`feed::forget`]).

use exportd_core::{events, exports, schedules::feed};
use tracing::{info, warn};

use crate::Ctx;

/// Sweeps up to 100 expired files; returns how many were swept.
pub async fn pass(ctx: &Ctx) -> anyhow::Result<usize> {
    let due: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, account_id, file_key FROM exports
          WHERE status = 'succeeded' AND expires_at < now() ORDER BY expires_at LIMIT 100",
    )
    .fetch_all(&ctx.pool)
    .await?;
    let mut swept = 0;
    for (id, account_id, key) in due {
        if let Some(key) = &key {
            // Delete first: an export marked expired never points at a file still stored.
            if let Err(e) = ctx.storage.delete(key).await {
                warn!(export.id = id, error = %e, "deleting an expired file failed; will try again");
                continue;
            }
        }
        if exports::expire(&ctx.pool, id).await? {
            swept += 1;
            info!(export.id = id, "file expired and deleted");
            events::publish(&mut ctx.redis.clone(), &ctx.cfg, account_id).await;
        }
    }
    let forgotten = feed::forget(&ctx.pool, 10_000).await?;
    if forgotten > 0 {
        info!(
            rows = forgotten,
            "feed rows no run can take again forgotten"
        );
    }
    Ok(swept)
}
