//! The HTTP API of exportd (axum): exports, notifications, health. Every handler is scoped to the
//! caller's account.

pub mod account;
pub mod auth;
pub mod destinations;
pub mod error;
pub mod exports;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod schedules;
pub mod state;
pub mod token_cache;
pub mod validate;
pub mod web;
pub mod webhooks;

use std::{future::Future, sync::Arc};

use exportd_core::Shared;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
use state::AppState;

/// Requests larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A destination's body may carry a private key: it is let through to 256 KB, so that a key
/// over its own limit (16 KB) is refused by name (`invalid_private_key`), not by size.
pub const MAX_DESTINATION_BODY_BYTES: usize = 256 * 1024;

pub fn router(state: AppState) -> Router {
    Router::<AppState>::new()
        .route(
            "/v1/exports",
            get(exports::list::list).post(exports::create::create),
        )
        .route(
            "/v1/exports/{id}",
            get(exports::get::get).delete(exports::delete::delete),
        )
        .route("/v1/exports/{id}/cancel", post(exports::cancel::cancel))
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
        .route("/v1/schedules/{id}/run", post(schedules::run::run))
        .route(
            "/v1/destinations",
            get(destinations::routes::list)
                .post(destinations::routes::create)
                .layer(DefaultBodyLimit::max(MAX_DESTINATION_BODY_BYTES)),
        )
        .route(
            "/v1/destinations/{id}",
            get(destinations::routes::get)
                .patch(destinations::routes::update)
                .delete(destinations::routes::delete)
                .layer(DefaultBodyLimit::max(MAX_DESTINATION_BODY_BYTES)),
        )
        .route(
            "/v1/destinations/{id}/test",
            post(destinations::routes::test),
        )
        .route(
            "/v1/webhook-secret",
            get(webhooks::secret::get).post(webhooks::secret::rotate),
        )
        .route("/v1/me", get(account::me))
        .route("/v1/kinds", get(account::kinds))
        .route("/", get(web::index))
        .route("/web/session", post(web::sign_in_with_token))
        .route("/web/handover", get(web::handover))
        .route("/web/signout", post(web::sign_out))
        .route("/assets/{name}", get(web::assets::asset))
        .route("/favicon.ico", get(web::assets::favicon))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(openapi::docs))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .fallback(extract::no_route)
        .method_not_allowed_fallback(extract::no_method)
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves `/metrics` alone on `listener`: a worker process's own figures.
pub async fn serve_metrics(
    ctx: Arc<Shared>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let router = Router::new()
        .route("/metrics", get(metrics::metrics))
        .with_state(ctx);
    axum::serve(listener, router).await
}

/// Serves the API on `listener` until `shutdown` resolves, then drains open requests.
pub async fn serve(
    ctx: Arc<Shared>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let state = AppState::new(ctx, stopping);
    let events = state.spawn_listener();
    // Event streams never end by themselves: they are told to, or graceful shutdown would
    // wait for them forever.
    let r = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await;
    events.abort();
    r
}
