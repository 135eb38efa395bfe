//! The rollup builder: every `EXPORTD_ROLLUP_INTERVAL_MS`, brings the rollups of closed days
//! of every kind that has them up to date (see `crate::reports::rollup`). Off with
//! `EXPORTD_ROLLUPS=false`.

use tracing::info;

use crate::{Ctx, reports};

/// One pass over every kind; `stop` is asked between steps so a shutdown is not held up.
pub async fn pass(ctx: &Ctx, stop: &(dyn Fn() -> bool + Sync)) -> anyhow::Result<()> {
    for report in reports::all() {
        let t0 = std::time::Instant::now();
        let [days, blocks, marks] = report.refresh_rollups(&ctx.pool, &ctx.cfg, stop).await?;
        if days + blocks + marks > 0 {
            info!(
                kind = %report.kind(),
                days,
                blocks,
                marks,
                ms = t0.elapsed().as_millis() as u64,
                "rollups brought up to date"
            );
        }
    }
    Ok(())
}
