//! `/healthz`: the process is alive. `/readyz`: Postgres, Redis and storage answer.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use exportd_core::Shared;
use serde_json::{Value, json};

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(ctx): State<Arc<Shared>>) -> (StatusCode, Json<Value>) {
    let pg = sqlx::query("SELECT 1")
        .execute(&ctx.pool)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let mut conn = ctx.redis.clone();
    let redis = redis::cmd("PING")
        .query_async::<String>(&mut conn)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let storage = ctx.storage.check().await.map_err(|e| e.to_string());
    let ok = pg.is_ok() && redis.is_ok() && storage.is_ok();
    let show = |r: Result<(), String>| {
        r.map_or_else(
            |e| json!({"ok": false, "error": e}),
            |_| json!({"ok": true}),
        )
    };
    let body = json!({"status": if ok { "ready" } else { "unavailable" }, "postgres": show(pg), "redis": show(redis), "storage": show(storage)});
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}
