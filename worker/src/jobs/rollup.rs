//! The rollup builder: every `EXPORTD_ROLLUP_INTERVAL_MS`, brings the rollups of closed days
//! of every kind that declares them up to date (see `crate::rollup`). Off with
//! `EXPORTD_ROLLUPS=false`.

use tracing::info;

use crate::{Ctx, rollup};

/// One pass over every account; `stop` is asked between steps so a shutdown is not held up.
pub async fn pass(ctx: &Ctx, stop: &(dyn Fn() -> bool + Sync)) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let r = rollup::refresh(&ctx.pool, ctx.replica.as_deref(), &ctx.cfg, stop).await?;
    if r.days + r.blocks + r.marks > 0 {
        let kinds: Vec<&str> = rollup::spec::registered()
            .map(|(k, _)| k.as_str())
            .collect();
        info!(
            kinds = %kinds.join(","),
            accounts = r.accounts,
            days = r.days,
            blocks = r.blocks,
            marks = r.marks,
            ms = t0.elapsed().as_millis() as u64,
            "rollups brought up to date"
        );
    }
    Ok(())
}
