//! `DELETE /v1/schedules/{id}`: stops future runs; the exports it produced stay.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use exportd_worker::Ctx;

use crate::{auth::Admin, error::ApiResult};

pub async fn delete(
    State(ctx): State<Arc<Ctx>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    sqlx::query("DELETE FROM schedules WHERE id = $1 AND account_id = $2")
        .bind(s.id)
        .bind(caller.account_id)
        .execute(&ctx.pool)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
