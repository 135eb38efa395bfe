//! The dispatcher: every poll interval, hands exports that wait in Postgres to Redis, by
//! turns across accounts ([`queue::dispatch_fair`]). The API hands over after each accepted
//! export too, but skips when a dispatch is under way; whatever it skipped (or could not
//! push: Redis full or down, process gone) goes here within a poll interval. The reconciler
//! covers the slower cases: jobs Redis lost, expired leases.

use exportd_core::queue::{self, OnBusy};

use crate::Ctx;

/// Pushes what is waiting; returns how many were pushed.
pub async fn pass(ctx: &Ctx) -> anyhow::Result<usize> {
    Ok(queue::dispatch_fair(&ctx.pool, &mut ctx.redis.clone(), &ctx.cfg, OnBusy::Wait).await?)
}
