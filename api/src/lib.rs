//! The HTTP API of exportd (axum): exports, notifications, health. Every handler is scoped to the
//! caller's account.

pub mod auth;
pub mod error;
pub mod exports;
pub mod health;
pub mod metrics;
pub mod notifications;
pub mod schedules;
pub mod state;
pub mod validate;

use std::{future::Future, sync::Arc};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
use exportd_worker::Ctx;
use state::AppState;

/// Requests larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::<AppState>::new()
        .route(
            "/v1/exports",
            get(exports::list::list).post(exports::create::create),
        )
        .route(
            "/v1/exports/{id}",
            get(exports::get::get).delete(exports::cancel::cancel),
        )
        .route(
            "/v1/exports/{id}/download",
            get(exports::download::download),
        )
        .route("/v1/notifications", get(notifications::feed::list))
        .route(
            "/v1/notifications/read",
            post(notifications::feed::read_all),
        )
        .route(
            "/v1/notifications/{id}/read",
            post(notifications::feed::read_one),
        )
        .route(
            "/v1/notifications/stream",
            get(notifications::stream::stream),
        )
        .route(
            "/v1/schedules",
            get(schedules::get::list).post(schedules::create::create),
        )
        .route(
            "/v1/schedules/{id}",
            get(schedules::get::get)
                .patch(schedules::update::update)
                .delete(schedules::delete::delete),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the API and runs this process's workers, reconciler and scheduler until
/// `shutdown` resolves; then drains open requests and lets running jobs finish.
pub async fn serve_with_workers(
    ctx: Arc<Ctx>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    let (mut a, mut b) = (stop.subscribe(), stop.subscribe());
    let api = tokio::spawn(serve(ctx.clone(), listener, async move {
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

/// Serves the API on `listener` until `shutdown` resolves, then drains open requests.
pub async fn serve(
    ctx: Arc<Ctx>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState::new(ctx);
    let events = state.spawn_listener();
    let r = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    events.abort();
    r
}
