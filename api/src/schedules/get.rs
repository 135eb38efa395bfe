//! `GET /v1/schedules` and `GET /v1/schedules/{id}`.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use exportd_worker::Ctx;
use serde_json::{Value, json};

use super::{COLUMNS, Schedule};
use crate::{auth::Admin, error::ApiResult};

pub async fn list(State(ctx): State<Arc<Ctx>>, Admin(caller): Admin) -> ApiResult<Json<Value>> {
    let rows: Vec<Schedule> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM schedules WHERE account_id = $1 ORDER BY id"
    )))
    .bind(caller.account_id)
    .fetch_all(&ctx.pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for s in &rows {
        items.push(super::view(&ctx, s).await?);
    }
    Ok(Json(json!({"items": items})))
}

pub async fn get(
    State(ctx): State<Arc<Ctx>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    Ok(Json(super::view(&ctx, &s).await?))
}
