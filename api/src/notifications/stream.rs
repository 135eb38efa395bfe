//! `GET /v1/notifications/stream`: Server-Sent Events, one `export` event each time an
//! export of the caller's account changes state, pushed as soon as the change is announced
//! on Redis. Each event's id is its row in `export_events`, numbered in the order the
//! changes committed (migration 0027), so reading after the last id sent misses none; a
//! client reconnecting with `Last-Event-ID` gets every event it missed. A user has at most
//! `EXPORTD_MAX_STREAMS_PER_USER` streams open; a stream ends when the server shuts down,
//! and when its token is revoked (or its session ends) or its user is no longer an admin (checked every
//! `EXPORTD_STREAM_RECHECK_SECS`).

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::sse::{Event, KeepAlive, Sse},
};
use exportd_core::events;
use futures::Stream;
use tokio::sync::{broadcast, mpsc};

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult},
    state::AppState,
};

/// Streams also poll this often, in case an announcement was lost.
const POLL: Duration = Duration::from_secs(5);

/// Server-Sent Events: an `export` event each time an export of the account changes state
/// (its data is the export event: id, export id, status, progress). Reconnect with
/// `Last-Event-ID` to get every event missed.
#[utoipa::path(get, path = "/v1/notifications/stream", tag = "notifications",
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received")),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 429, description = "`too_many_streams`", body = crate::error::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let account = caller.account_id;
    let pool = state.ctx.pool.clone();
    let slot = state
        .open_stream(caller.user_id, state.ctx.cfg.max_streams_per_user)
        .ok_or_else(|| ApiError::Known {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_streams",
            message: format!(
                "you have {} event streams open already; close one first",
                state.ctx.cfg.max_streams_per_user
            ),
            retry_after: Some(10),
        })?;
    let cred = crate::auth::credential(&headers)?.ok_or_else(ApiError::unauthorized)?;
    let ctx = state.ctx.clone();
    let mut stopping = state.stopping.clone();
    let recheck = state.ctx.cfg.stream_recheck;
    let start = match headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
    {
        Some(id) => id,
        None => events::latest(&pool, account).await?,
    };
    let mut wake = state.events.subscribe();
    let (tx, rx) = mpsc::channel::<Event>(64);
    tokio::spawn(async move {
        let _slot = slot;
        let mut last = start;
        let mut checked = tokio::time::Instant::now();
        loop {
            if checked.elapsed() >= recheck {
                checked = tokio::time::Instant::now();
                match crate::auth::resolve(&ctx, &cred).await {
                    Ok(Some((c, _))) if c.is_admin() => {}
                    Ok(_) => return,
                    Err(e) => tracing::warn!(error = %e, "re-checking a stream's token failed"),
                }
            }
            match events::since(&pool, account, last, 500).await {
                Ok(evs) => {
                    for e in evs {
                        last = e.id;
                        let ev = Event::default()
                            .id(e.id.to_string())
                            .event("export")
                            .json_data(&e)
                            .expect("events serialize");
                        if tx.send(ev).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading export events failed"),
            }
            // Wait for this account's next announcement, the poll, or the client leaving.
            let deadline = tokio::time::sleep(POLL.min(recheck));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    r = wake.recv() => match r {
                        Ok(a) if a != account => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                        _ => break,
                    },
                    _ = &mut deadline => break,
                    _ = tx.closed() => return,
                    _ = stopping.wait_for(|s| *s) => return,
                }
            }
        }
    });
    let out = futures::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
    );
    Ok(Sse::new(out).keep_alive(KeepAlive::default()))
}
