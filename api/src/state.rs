//! The router's state: the connections shared with the worker, the API's own coalesced
//! hand-over of accepted exports to the queue, and the fan-out of export events that one
//! Redis subscriber per API process feeds to every open stream.

use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use exportd_core::Shared;
use futures::StreamExt;
use tokio::sync::broadcast;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Arc<Shared>,
    /// The coalesced hand-over of accepted exports to the queue.
    pub handoff: Arc<exportd_core::queue::Handoff>,
    /// Account ids whose exports changed state.
    pub events: broadcast::Sender<i64>,
}

impl FromRef<AppState> for Arc<Shared> {
    fn from_ref(s: &AppState) -> Arc<Shared> {
        s.ctx.clone()
    }
}

impl AppState {
    pub fn new(ctx: Arc<Shared>) -> AppState {
        AppState {
            ctx,
            handoff: Default::default(),
            events: broadcast::channel(1024).0,
        }
    }

    /// Listens on Redis for export events until the returned task is aborted, reconnecting
    /// after errors.
    pub fn spawn_listener(&self) -> tokio::task::JoinHandle<()> {
        let (ctx, tx) = (self.ctx.clone(), self.events.clone());
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&ctx, &tx).await {
                    tracing::warn!(error = %e, "event listener lost Redis; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }
}

async fn listen(ctx: &Shared, tx: &broadcast::Sender<i64>) -> Result<(), redis::RedisError> {
    let client = redis::Client::open(ctx.cfg.redis_url.as_str())?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub
        .subscribe(exportd_core::events::channel(&ctx.cfg))
        .await?;
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        if let Ok(account_id) = msg.get_payload::<i64>() {
            let _ = tx.send(account_id);
        }
    }
    Ok(())
}
