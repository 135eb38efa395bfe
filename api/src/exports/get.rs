//! `GET /v1/exports/{id}`: status, progress, error, file, expiry.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use exportd_core::Shared;
use exportd_core::exports::ExportView;

use crate::{auth::Admin, error::ApiResult};

pub async fn get(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ExportView>> {
    let export = super::load(&ctx, caller.account_id, super::parse_id(&id)?).await?;
    Ok(Json(export.view()))
}
