//! `DELETE /v1/exports/{id}`: deletes the file of a finished export (it turns `expired`).
//! On a queued or running export it cancels it, as it always has; `POST
//! /v1/exports/{id}/cancel` is the action that only ever cancels.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use exportd_core::exports::ExportView;
use exportd_core::{Shared, domain::Status, ids::ExportId};

use crate::{
    auth::Admin,
    error::{ApiResult, ErrorBody},
};

/// Deletes the file of a finished export; on a queued or running export, cancels it.
#[utoipa::path(delete, path = "/v1/exports/{id}", tag = "exports",
    params(("id" = String, Path, description = "The export's id", example = "42")),
    responses(
        (status = 200, description = "The export after the change: `cancelled`, or `expired` once its file is deleted", body = ExportView),
        (status = 404, description = "`not_found`: no such export in this account", body = ErrorBody),
    ))]
pub async fn delete(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ExportView>> {
    let export = super::load(&ctx, caller.account(), super::parse_id(&id)?).await?;
    if !export.is_terminal() {
        let after = super::cancel_export(&ctx, caller.account(), &export).await?;
        let shown = after.unwrap_or(export);
        return Ok(Json(super::view(&ctx, caller.account(), &shown).await?));
    }
    if export.status == Status::Succeeded {
        if let Some(key) = &export.file_key {
            ctx.storage
                .delete(key)
                .await
                .map_err(|e| anyhow::Error::new(e).context("deleting the file"))?;
        }
        if exportd_core::exports::expire(&ctx.pool, export.id).await? {
            exportd_core::events::publish(&mut ctx.redis.clone(), &ctx.cfg, caller.account_id)
                .await;
        }
    }
    let after = super::load(&ctx, caller.account(), ExportId(export.id)).await?;
    Ok(Json(super::view(&ctx, caller.account(), &after).await?))
}
