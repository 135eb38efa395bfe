//! `DELETE /v1/schedules/{id}`: stops future runs; the exports it produced stay.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use exportd_core::{Shared, ids::ScheduleId, schedules};

use crate::{
    auth::Admin,
    error::{ApiResult, ErrorBody},
};

/// Deletes a schedule; the exports it produced stay.
#[utoipa::path(delete, path = "/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, description = "The schedule's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub async fn delete(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    if !schedules::delete(&ctx.pool, caller.account(), ScheduleId(s.id)).await? {
        return Err(super::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}
