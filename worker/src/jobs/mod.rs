//! Queue jobs and periodic passes, one per file, all registered here: queue jobs in
//! [`monitor`], periodic passes in [`passes`], each run by the one loop [`every`].
//!
//! Error policy: a handler returns `Ok` whenever it has recorded the outcome in Postgres,
//! including a failure or a retry to come; Postgres counts attempts and schedules retries,
//! and every apalis task has a single attempt. A row that has gone is logged and skipped.

pub mod dispatch;
pub mod generate;
pub mod generate_error;
pub mod lease;
pub mod notify;
pub mod progress;
pub mod reconcile;
pub mod rollup;
pub mod schedule;
pub mod sweep;

use std::{sync::Arc, time::Duration};

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use exportd_core::queue::{GenerateExport, QueueName, SendNotification, redis_config};

use futures::future::BoxFuture;
use tokio::sync::watch;

use crate::Ctx;

/// Backoff after failed attempt `attempt` (1-based): base, 2×base, 4×base … at most `cap`
/// (seconds, then minutes, then hours, as Stripe and Svix retry).
pub fn backoff_secs(base: Duration, attempt: i32, cap: Duration) -> f64 {
    (base.as_secs_f64() * 2f64.powi((attempt - 1).clamp(0, 20))).min(cap.as_secs_f64())
}

/// The longest wait between two attempts at an export.
pub const EXPORT_BACKOFF_CAP: Duration = Duration::from_secs(300);
/// The longest wait between two attempts at a notification.
pub const NOTIFY_BACKOFF_CAP: Duration = Duration::from_secs(3_600);

/// Runs a job's work on a task of its own and waits for it. Dropping the returned future
/// (a queue worker restarting) does not stop the work: it runs to its end, so a side
/// effect (an email accepted, a file uploaded) is always followed by its record.
pub async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::spawn(work)
        .await
        .map_err(|e| anyhow::anyhow!("the job's task ended abnormally: {e}"))?
}

/// Retries `op` on error, 250 ms doubling to 2 s apart, for up to `within`: for the record
/// of something that already happened (a file stored, an email accepted), which must not
/// be lost to a database that is down for a few seconds.
pub async fn persist<T, F, Fut>(within: Duration, what: &str, mut op: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    let mut pause = Duration::from_millis(250);
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if tokio::time::Instant::now() + pause < deadline => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    retry_in_ms = pause.as_millis() as u64,
                    "recording {what} failed; trying again"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether a job first tried at `since` is still within its retry window, with one more
/// wait of `delay_secs` to come.
pub fn within_window(
    since: chrono::DateTime<chrono::Utc>,
    window: Duration,
    delay_secs: f64,
) -> bool {
    let elapsed = (chrono::Utc::now() - since).to_std().unwrap_or_default();
    elapsed.as_secs_f64() + delay_secs <= window.as_secs_f64()
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

/// A periodic pass: one run of it, over a context it keeps.
type Pass = Box<dyn FnMut() -> BoxFuture<'static, anyhow::Result<()>> + Send>;

/// Registers every periodic pass of this process: name, period, pass.
pub fn passes(ctx: &Arc<Ctx>, stop: &watch::Receiver<bool>) -> Vec<(&'static str, Duration, Pass)> {
    let cfg = &ctx.cfg;
    let mut v: Vec<(&'static str, Duration, Pass)> = Vec::new();
    let c = ctx.clone();
    v.push((
        "dispatch",
        cfg.poll_interval,
        Box::new(move || {
            let c = c.clone();
            Box::pin(async move { dispatch::pass(&c).await.map(drop) })
        }),
    ));
    let (c, mut n) = (ctx.clone(), 0u64);
    v.push((
        "reconcile",
        cfg.reconcile_interval,
        Box::new(move || {
            let (c, vacuum) = (c.clone(), n.is_multiple_of(10));
            n += 1;
            Box::pin(async move { reconcile::tick(&c, vacuum).await.map(drop) })
        }),
    ));
    if !cfg.scheduler_interval.is_zero() {
        let c = ctx.clone();
        v.push((
            "schedule",
            cfg.scheduler_interval,
            Box::new(move || {
                let c = c.clone();
                Box::pin(async move { schedule::tick(&c, chrono::Utc::now()).await.map(drop) })
            }),
        ));
    }
    if cfg.rollups {
        let (c, stop) = (ctx.clone(), stop.clone());
        v.push((
            "rollup",
            cfg.rollup_interval,
            Box::new(move || {
                let (c, stop) = (c.clone(), stop.clone());
                Box::pin(async move { rollup::pass(&c, &move || *stop.borrow()).await })
            }),
        ));
    }
    v
}

/// Runs `pass` every `period` until `stop` turns true; a failed pass is logged and tried
/// again at the next period.
pub async fn every(
    name: &'static str,
    period: Duration,
    mut pass: Pass,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = pass().await {
            tracing::warn!(
                pass = name,
                error = format!("{e:#}"),
                "periodic pass failed; will try again"
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Runs this process's queue workers and periodic passes until `shutdown` resolves; then
/// stops taking jobs, lets running ones finish (up to 30 s) and returns.
pub async fn run_worker(
    ctx: Arc<Ctx>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let loops: Vec<_> = passes(&ctx, &stop_rx)
        .into_iter()
        .map(|(name, period, pass)| tokio::spawn(every(name, period, pass, stop_rx.clone())))
        .collect();
    tracing::info!(instance = %ctx.instance, "worker started");
    let result = monitor(ctx)
        .run_with_signal(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing running jobs");
            Ok(())
        })
        .await;
    let _ = stop_tx.send(true);
    for l in loops {
        let _ = l.await;
    }
    result.map_err(|e| anyhow::anyhow!("worker monitor: {e}"))
}

/// Pushes the export's pending notifications now; what does not fit under the cap or
/// fails to push is dispatched by the reconciler.
pub(crate) async fn push_notifications(ctx: &Ctx, export_id: i64) {
    let result = async {
        let ids = exportd_core::notifications::pending_for_export(&ctx.pool, export_id).await?;
        exportd_core::queue::dispatch(
            &ctx.pool,
            &mut ctx.redis.clone(),
            &ctx.cfg,
            exportd_core::queue::QueueName::Notify,
            &ids,
        )
        .await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(
            error = format!("{e:#}"),
            "pushing notifications failed; the reconciler will dispatch them"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_from_seconds_to_their_cap_and_an_outage_of_an_hour_is_outlasted() {
        let base = Duration::from_secs(2);
        let delays: Vec<f64> = (1..=12)
            .map(|a| backoff_secs(base, a, EXPORT_BACKOFF_CAP))
            .collect();
        assert_eq!(&delays[..4], &[2.0, 4.0, 8.0, 16.0]);
        assert!(delays.iter().all(|d| *d <= 300.0));
        assert_eq!(backoff_secs(base, 30, NOTIFY_BACKOFF_CAP), 3600.0);
        // The attempts of an export span its whole hour, not half a minute.
        let mut waited = 0.0;
        let mut attempt = 1;
        while waited + backoff_secs(base, attempt, EXPORT_BACKOFF_CAP) <= 3600.0 {
            waited += backoff_secs(base, attempt, EXPORT_BACKOFF_CAP);
            attempt += 1;
        }
        assert!(
            waited > 3000.0 && attempt < 100,
            "{attempt} attempts over {waited}s"
        );
        let started = chrono::Utc::now() - chrono::Duration::minutes(59);
        assert!(within_window(started, Duration::from_secs(3600), 30.0));
        assert!(!within_window(started, Duration::from_secs(3600), 120.0));
    }
}
