//! `GET` and `POST /v1/webhook-secret`.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use exportd_core::{Shared, webhooks};
use serde_json::{Value, json};

use crate::{auth::Admin, error::ApiResult};

/// Makes the secret, or rotates it: the previous one keeps signing beside it for a day.
pub async fn rotate(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let secret = webhooks::rotate(&ctx.pool, caller.account_id).await?;
    let info = webhooks::info(&ctx.pool, caller.account_id).await?;
    tracing::info!(
        account.id = caller.account_id,
        "webhook secret made or rotated"
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "secret": secret,
            "created_at": info.as_ref().map(|i| i.created_at),
            "rotated_at": info.and_then(|i| i.rotated_at),
            "previous_valid_hours": webhooks::ROTATION_GRACE_HOURS,
        })),
    ))
}

pub async fn get(State(ctx): State<Arc<Shared>>, Admin(caller): Admin) -> ApiResult<Json<Value>> {
    let info = webhooks::info(&ctx.pool, caller.account_id).await?;
    Ok(Json(json!({
        "configured": info.is_some(),
        "created_at": info.as_ref().map(|i| i.created_at),
        "rotated_at": info.and_then(|i| i.rotated_at),
    })))
}
