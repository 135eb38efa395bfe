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
    /// Turns true when the server shuts down: open event streams end.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// Admin callers of bearer tokens seen lately (`POST /v1/exports`).
    pub tokens: Arc<crate::token_cache::TokenCache>,
    /// Writes the exports of concurrent `POST /v1/exports` with one commit.
    pub commits: Arc<crate::exports::commit::Committer>,
    /// Event streams open per user.
    pub streams: Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>,
}

/// One open stream of a user; counted until dropped.
pub struct StreamSlot {
    user: i64,
    streams: Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut m = self.streams.lock().expect("not poisoned");
        if let Some(n) = m.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.user);
            }
        }
    }
}

impl FromRef<AppState> for Arc<Shared> {
    fn from_ref(s: &AppState) -> Arc<Shared> {
        s.ctx.clone()
    }
}

impl AppState {
    pub fn new(ctx: Arc<Shared>, stopping: tokio::sync::watch::Receiver<bool>) -> AppState {
        AppState {
            commits: Arc::new(crate::exports::commit::Committer::spawn(ctx.clone())),
            ctx,
            handoff: Default::default(),
            events: broadcast::channel(1024).0,
            stopping,
            tokens: Default::default(),
            streams: Default::default(),
        }
    }

    /// Takes one of the user's stream slots; `None` when they have `max` open already.
    pub fn open_stream(&self, user: i64, max: usize) -> Option<StreamSlot> {
        let mut m = self.streams.lock().expect("not poisoned");
        let n = m.entry(user).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            user,
            streams: self.streams.clone(),
        })
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
