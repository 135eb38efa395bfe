//! `GET /metrics`: the Prometheus text of this process's counters and histograms (exports
//! by kind, format and outcome, queue wait, run time, rows, bytes, notifications, HTTP
//! requests by route and status with latency, dispatch depth). A scrape reads memory,
//! never the database. With `EXPORTD_METRICS_TOKEN` set, it wants that bearer token.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use exportd_core::{Shared, telemetry};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// This process's counters and histograms in the Prometheus text format. With
/// `EXPORTD_METRICS_TOKEN` set, it wants that token as a bearer token.
#[utoipa::path(get, path = "/metrics", tag = "health", security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text", content_type = "text/plain", body = String),
        (status = 401, description = "`unauthorized`: `EXPORTD_METRICS_TOKEN` is set and was not sent", body = crate::error::ErrorBody),
    ))]
pub async fn metrics(State(ctx): State<Arc<Shared>>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(want) = &ctx.cfg.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compared as digests, so the time taken says nothing about the token.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(want.as_bytes()) {
            return Err(ApiError::unauthorized());
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::render(),
    )
        .into_response())
}

/// Counts every routed request by route template, method and status, with its latency
/// (to the response head: an event stream counts when it opens).
pub async fn track(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    telemetry::http_request(&route, &method, res.status().as_u16(), started.elapsed());
    res
}
