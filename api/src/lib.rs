//! The HTTP API of exportd (axum): exports, health. Every handler is scoped to the
//! caller's account.

pub mod auth;
pub mod error;
pub mod exports;
pub mod health;

use std::{future::Future, sync::Arc};

use axum::{Router, extract::DefaultBodyLimit, routing::get};
use exportd_worker::Ctx;

/// Requests larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(ctx: Arc<Ctx>) -> Router {
    Router::new()
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
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(ctx)
}

/// Serves the API on `listener` until `shutdown` resolves, then drains open requests.
pub async fn serve(
    ctx: Arc<Ctx>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(ctx))
        .with_graceful_shutdown(shutdown)
        .await
}
