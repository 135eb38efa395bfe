//! `GET /v1/exports/{id}`: status, progress, error, file, expiry, who asked and who is told,
//! and how each destination's delivery went.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use exportd_core::Shared;
use exportd_core::exports::ExportView;

use crate::{
    auth::Admin,
    error::{ApiResult, ErrorBody},
};

/// An export: status, progress, the failure reason, the file and when it expires.
#[utoipa::path(get, path = "/v1/exports/{id}", tag = "exports",
    params(("id" = String, Path, description = "The export's id", example = "42")),
    responses(
        (status = 200, description = "The export", body = ExportView),
        (status = 404, description = "`not_found`: no such export in this account", body = ErrorBody),
    ))]
pub async fn get(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ExportView>> {
    let export = super::load(&ctx, caller.account(), super::parse_id(&id)?).await?;
    let mut view = super::view(&ctx, caller.account(), &export).await?;
    if !export.deliver.is_empty() {
        view.deliveries = Some(
            exportd_core::destinations::deliveries(&ctx.pool, caller.account(), export.id).await?,
        );
    }
    Ok(Json(view))
}
