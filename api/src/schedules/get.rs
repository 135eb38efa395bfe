//! `GET /v1/schedules` and `GET /v1/schedules/{id}`.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use exportd_core::{Shared, schedules};
use serde_json::{Value, json};

use crate::{auth::Admin, error::ApiResult};

pub async fn list(State(ctx): State<Arc<Shared>>, Admin(caller): Admin) -> ApiResult<Json<Value>> {
    let rows = schedules::list_for_account(&ctx.pool, caller.account_id).await?;
    let mut items = Vec::with_capacity(rows.len());
    for s in &rows {
        items.push(super::view(&ctx, s).await?);
    }
    Ok(Json(json!({"items": items})))
}

pub async fn get(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    Ok(Json(super::view(&ctx, &s).await?))
}
