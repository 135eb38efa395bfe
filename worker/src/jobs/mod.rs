//! Job handlers, one per file, all registered in [`monitor`]; plus the reconciler loop.
//!
//! Error policy: a handler returns `Ok` whenever it has recorded the outcome in Postgres,
//! including a failure or a retry to come; Postgres counts attempts and schedules retries,
//! and every apalis task has a single attempt. A row that has gone is logged and skipped.

pub mod dispatch;
pub mod generate;
pub mod notify;
pub mod reconcile;
pub mod rollup;
pub mod schedule;
pub mod sweep;

use std::{sync::Arc, time::Duration};

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use exportd_core::queue::{GenerateExport, QueueName, SendNotification, redis_config};

use crate::Ctx;

/// Backoff after failed attempt `attempt` (1-based): base, 2×base, 4×base … at most five
/// minutes.
pub fn backoff_secs(base: Duration, attempt: i32) -> f64 {
    (base.as_secs_f64() * 2f64.powi((attempt - 1).clamp(0, 16))).min(300.0)
}

/// Registers every worker of this process. Worker names carry the process's unique
/// instance id, since apalis keeps a name registered for minutes after a stop.
pub fn monitor(ctx: Arc<Ctx>) -> Monitor {
    let c = ctx.clone();
    let generate = move |restarts: usize| {
        let backend = RedisStorage::<GenerateExport>::new(c.redis.clone())
            .with_config(redis_config(&c.cfg, QueueName::Generate))
            .poll_with_interval(c.cfg.poll_interval);
        WorkerBuilder::new(format!("{}-generate-{restarts}", c.instance))
            .backend(backend)
            .data(c.clone())
            .concurrency(c.cfg.worker_concurrency.max(1))
            .build(generate::handle)
    };
    let c = ctx.clone();
    let notify = move |restarts: usize| {
        let backend = RedisStorage::<SendNotification>::new(c.redis.clone())
            .with_config(redis_config(&c.cfg, QueueName::Notify))
            .poll_with_interval(c.cfg.poll_interval);
        WorkerBuilder::new(format!("{}-notify-{restarts}", c.instance))
            .backend(backend)
            .data(c.clone())
            .concurrency(8)
            .build(notify::handle)
    };
    Monitor::new()
        .register(generate)
        .register(notify)
        // A Redis error stops an apalis worker: restart it rather than lose the process.
        .should_restart(|w, e| {
            tracing::warn!(worker = %w.name(), error = %e, "worker stopped; restarting");
            true
        })
        .shutdown_timeout(Duration::from_secs(30))
}

/// Runs this process's workers, the reconciler, the scheduler, the dispatcher and the
/// rollup builder until `shutdown` resolves; then stops taking jobs, lets running ones
/// finish (up to 30 s) and returns.
pub async fn run_worker(
    ctx: Arc<Ctx>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let reconciler = reconcile::spawn(ctx.clone(), stop_rx.clone());
    let scheduler = tokio::spawn(schedule::run(ctx.clone(), stop_rx.clone()));
    let dispatcher = tokio::spawn(dispatch::run(ctx.clone(), stop_rx.clone()));
    let rollups = tokio::spawn(rollup::run(ctx.clone(), stop_rx));
    tracing::info!(instance = %ctx.instance, "worker started");
    let result = monitor(ctx)
        .run_with_signal(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing running jobs");
            Ok(())
        })
        .await;
    let _ = stop_tx.send(true);
    let _ = reconciler.await;
    let _ = scheduler.await;
    let _ = dispatcher.await;
    let _ = rollups.await;
    result.map_err(|e| anyhow::anyhow!("worker monitor: {e}"))
}
