//! The composition root: the one place that starts exportd's parts over one set of
//! connections. `exportd api`, `exportd worker` and `exportd all`, the test harness and the
//! benchmarks all start the service through these functions, so what is tested and
//! measured is what runs.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use exportd_core::{Config, Shared};
use exportd_worker::Ctx;
use tokio::{net::TcpListener, sync::broadcast, task::JoinHandle};

/// Reads nothing: connects to Postgres, Redis and storage with `cfg`.
pub async fn connect(cfg: Config) -> anyhow::Result<Arc<Shared>> {
    Shared::connect(cfg)
        .await
        .context("connecting to Postgres, Redis and storage")
}

/// Binds the API's address.
pub async fn listen(addr: &str) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!(listen = %addr, "API listening");
    Ok(listener)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

/// Logs to stderr, filtered by `EXPORTD_LOG` (default `info,sqlx=warn`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EXPORTD_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// `exportd api`: serves the HTTP API on `listener` until `shutdown` resolves, then drains
/// open requests.
pub async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    exportd_api::serve(shared, listener, shutdown)
        .await
        .context("serving the API")
}

/// `exportd worker`: runs job workers and the periodic passes until `shutdown` resolves,
/// then lets running jobs finish. With `EXPORTD_WORKER_METRICS_LISTEN` set, also serves
/// this worker's `/metrics` there.
pub async fn work(
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Some(addr) = shared.cfg.worker_metrics_listen.clone() {
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding EXPORTD_WORKER_METRICS_LISTEN={addr}"))?;
        tokio::spawn(exportd_api::serve_metrics(shared.clone(), listener));
        tracing::info!(%addr, "serving this worker's metrics");
    }
    let ctx = Ctx::new(&shared)?;
    exportd_worker::jobs::run_worker(ctx, shutdown).await
}

/// `exportd all`: the API and this process's workers until `shutdown` resolves.
pub async fn serve_with_workers(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut service = Service::new();
    service.api(shared.clone(), listener);
    service.worker(Ctx::new(&shared)?);
    shutdown.await;
    service.shutdown().await
}

/// Parts of the service running in this process, stopped together: what a test or a
/// benchmark starts, one part at a time, and stops at its end.
pub struct Service {
    stop: broadcast::Sender<()>,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

impl Default for Service {
    fn default() -> Self {
        Self::new()
    }
}

impl Service {
    pub fn new() -> Self {
        Service {
            stop: broadcast::channel(1).0,
            tasks: Vec::new(),
        }
    }

    fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            let _ = rx.recv().await;
        }
    }

    /// Serves the API on `listener`.
    pub fn api(&mut self, shared: Arc<Shared>, listener: TcpListener) {
        let stopped = self.stopped();
        self.tasks
            .push(tokio::spawn(serve(shared, listener, stopped)));
    }

    /// Runs a worker with `ctx` (each worker has its own instance name).
    pub fn worker(&mut self, ctx: Arc<Ctx>) {
        let stopped = self.stopped();
        self.tasks
            .push(tokio::spawn(exportd_worker::jobs::run_worker(ctx, stopped)));
    }

    /// Stops every part, lets each finish what it is doing, and returns the first error.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        let mut first = Ok(());
        for task in self.tasks {
            let done = task
                .await
                .context("a part of the service panicked")
                .and_then(|r| r);
            if first.is_ok() {
                first = done;
            }
        }
        first
    }
}
