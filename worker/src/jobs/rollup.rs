//! The rollup builder: every `EXPORTD_ROLLUP_INTERVAL_MS`, brings the rollups of closed days
//! up to date (see [`crate::report::rollup`]). Off with `EXPORTD_ROLLUPS=false`.

use std::sync::Arc;

use tokio::sync::watch;
use tracing::{info, warn};

use crate::{Ctx, report::rollup};

/// Runs until `stop` turns true.
pub async fn run(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    if !ctx.cfg.rollups {
        return;
    }
    loop {
        let flag = stop.clone();
        let t0 = std::time::Instant::now();
        match rollup::refresh(&ctx.pool, &ctx.cfg, &move || *flag.borrow()).await {
            Ok(r) if r.days + r.blocks + r.marks > 0 => info!(
                days = r.days,
                blocks = r.blocks,
                marks = r.marks,
                ms = t0.elapsed().as_millis() as u64,
                "rollups brought up to date"
            ),
            Ok(_) => {}
            Err(e) => warn!(
                error = format!("{e:#}"),
                "building rollups failed; will try again"
            ),
        }
        tokio::select! {
            _ = tokio::time::sleep(ctx.cfg.rollup_interval) => {}
            _ = stop.changed() => return,
        }
    }
}
