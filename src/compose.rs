//! The one place that runs the API and the workers in one process (`exportd all` and the
//! demo): each side gets its own state over the same shared connections.

use std::{future::Future, sync::Arc};

use exportd_core::Shared;

/// Serves the API and runs this process's workers and periodic passes until `shutdown`
/// resolves; then drains open requests and lets running jobs finish.
pub async fn serve_with_workers(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let ctx = exportd_worker::Ctx::new(&shared)?;
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    let (mut a, mut b) = (stop.subscribe(), stop.subscribe());
    let api = tokio::spawn(exportd_api::serve(shared, listener, async move {
        let _ = a.recv().await;
    }));
    let worker = tokio::spawn(exportd_worker::jobs::run_worker(ctx, async move {
        let _ = b.recv().await;
    }));
    shutdown.await;
    let _ = stop.send(());
    api.await?
        .map_err(|e| anyhow::Error::new(e).context("serving the API"))?;
    worker.await?
}
