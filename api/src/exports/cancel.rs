//! `POST /v1/exports/{id}/cancel`: stops a queued or running export (a running worker
//! notices at its next heartbeat and stops writing; nothing is sent). It never deletes a
//! file: on an export that has already finished it answers `409 already_finished` and
//! changes nothing, so a page showing a stale "queued" cannot destroy a finished report.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use exportd_core::exports::ExportView;
use exportd_core::{Shared, domain::Status};

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
};

fn already_finished(status: Status) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "already_finished",
        format!(
            "the export already finished ({status}); nothing was cancelled or deleted (DELETE /v1/exports/{{id}} deletes a file)"
        ),
    )
}

/// Cancels a queued or running export. An export that has finished is left as it is.
#[utoipa::path(post, path = "/v1/exports/{id}/cancel", tag = "exports",
    params(("id" = String, Path, description = "The export's id", example = "42")),
    responses(
        (status = 200, description = "The export, now `cancelled`", body = ExportView),
        (status = 404, description = "`not_found`: no such export in this account", body = ErrorBody),
        (status = 409, description = "`already_finished`: the export had succeeded, failed, been cancelled or expired; nothing changed", body = ErrorBody),
    ))]
pub async fn cancel(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ExportView>> {
    let export = super::load(&ctx, caller.account(), super::parse_id(&id)?).await?;
    if export.is_terminal() {
        return Err(already_finished(export.status));
    }
    let after = super::cancel_export(&ctx, caller.account(), &export)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // It may have finished between the read and the update.
    if after.status != Status::Cancelled {
        return Err(already_finished(after.status));
    }
    Ok(Json(super::view(&ctx, caller.account(), &after).await?))
}
