//! A webhook receiver for the suite: answers 500 while `failing` is set, and otherwise
//! verifies each delivery with the Standard Webhooks library and counts it per export.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};

#[derive(Default)]
pub struct Receiver {
    pub failing: AtomicBool,
    /// Deliveries answered 500.
    pub refused: AtomicUsize,
    /// Deliveries whose signature did not verify (answered 401).
    pub forged: AtomicUsize,
    accepted: Mutex<HashMap<i64, usize>>,
    secrets: Mutex<Vec<String>>,
}

impl Receiver {
    /// Serves on a free port; returns the receiver and its URL.
    pub async fn start() -> anyhow::Result<(Arc<Receiver>, String)> {
        let rx = Arc::new(Receiver::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let app = Router::new()
            .route("/hook", post(deliver))
            .with_state(rx.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok((rx, url))
    }

    /// Accepts deliveries signed with `secret` (an account's `whsec_…`).
    pub fn trust(&self, secret: String) {
        self.secrets.lock().unwrap().push(secret);
    }

    /// Verified deliveries accepted, per export.
    pub fn accepted(&self) -> HashMap<i64, usize> {
        self.accepted.lock().unwrap().clone()
    }
}

async fn deliver(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if rx.failing.load(Ordering::SeqCst) {
        rx.refused.fetch_add(1, Ordering::Relaxed);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let verified = rx.secrets.lock().unwrap().iter().any(|s| {
        standardwebhooks::Webhook::new(s)
            .map(|wh| wh.verify(&body, &headers).is_ok())
            .unwrap_or(false)
    });
    if !verified {
        rx.forged.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    let export = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["export_id"].as_i64());
    if let Some(id) = export {
        *rx.accepted.lock().unwrap().entry(id).or_default() += 1;
    }
    StatusCode::NO_CONTENT
}
