//! `/healthz`: the process is alive. `/readyz`: Postgres, Redis and storage answer, and
//! where a replica is set, its state and lag (reports read the primary while it is not
//! usable, so it does not make the process unready).

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use exportd_core::Shared;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Alive {
    /// `ok`.
    pub status: &'static str,
}

/// Whether each dependency answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"status": "unavailable", "postgres": {"ok": true}, "redis": {"ok": true}, "storage": {"ok": false, "error": "s3: NoSuchBucket"}}))]
pub struct Ready {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    pub postgres: Check,
    pub redis: Check,
    pub storage: Check,
    /// The streaming replica of `DATABASE_READ_URL`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<exportd_core::replica::State>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"ok": false, "error": "s3: NoSuchBucket"}))]
pub struct Check {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<Result<(), String>> for Check {
    fn from(r: Result<(), String>) -> Check {
        Check {
            ok: r.is_ok(),
            error: r.err(),
        }
    }
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "Alive", body = Alive)))]
pub async fn healthz() -> Json<Alive> {
    Json(Alive { status: "ok" })
}

/// Postgres, Redis and storage answer (a missing bucket or bad credentials show here).
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready", body = Ready),
        (status = 503, description = "A dependency does not answer", body = Ready),
    ))]
pub async fn readyz(State(ctx): State<Arc<Shared>>) -> (StatusCode, Json<Ready>) {
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
    let replica = match &ctx.replica {
        Some(r) => Some(exportd_core::replica::state(&ctx.pool, r).await),
        None => None,
    };
    let ok = pg.is_ok() && redis.is_ok() && storage.is_ok();
    let body = Ready {
        status: if ok { "ready" } else { "unavailable" },
        postgres: pg.into(),
        redis: redis.into(),
        storage: storage.into(),
        replica,
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
