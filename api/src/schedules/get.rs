//! `GET /v1/schedules` and `GET /v1/schedules/{id}`.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use exportd_core::{Shared, schedules};

use super::{ScheduleList, ScheduleView};
use crate::{
    auth::Admin,
    error::{ApiResult, ErrorBody},
};

/// The account's monthly schedules.
#[utoipa::path(get, path = "/v1/schedules", tag = "schedules",
    responses((status = 200, description = "The schedules", body = ScheduleList)))]
pub async fn list(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
) -> ApiResult<Json<ScheduleList>> {
    let rows = schedules::list_for_account(&ctx.pool, caller.account_id).await?;
    let mut items = Vec::with_capacity(rows.len());
    for s in &rows {
        items.push(super::view(&ctx, s).await?);
    }
    Ok(Json(ScheduleList { items }))
}

/// One schedule, with its last runs.
#[utoipa::path(get, path = "/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, description = "The schedule's id")),
    responses(
        (status = 200, description = "The schedule", body = ScheduleView),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub async fn get(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleView>> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    Ok(Json(super::view(&ctx, &s).await?))
}
