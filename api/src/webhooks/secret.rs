//! `GET` and `POST /v1/webhook-secret`.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use exportd_core::{Shared, webhooks};
use serde::Serialize;

use crate::{auth::Admin, error::ApiResult};

/// A new secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "created_at": "2026-11-01T09:00:00Z", "rotated_at": null, "previous_valid_hours": 24}))]
pub struct NewSecret {
    /// `whsec_…`, for the Standard Webhooks libraries.
    pub secret: String,
    pub created_at: Option<DateTime<Utc>>,
    pub rotated_at: Option<DateTime<Utc>>,
    /// How long the previous secret keeps signing beside the new one.
    pub previous_valid_hours: i64,
}

/// Whether the account has a secret, never the secret itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"configured": true, "created_at": "2026-11-01T09:00:00Z", "rotated_at": null}))]
pub struct SecretInfo {
    pub configured: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub rotated_at: Option<DateTime<Utc>>,
}

/// Makes the account's webhook signing secret, or rotates it: the previous one keeps
/// signing beside it for a day.
#[utoipa::path(post, path = "/v1/webhook-secret", tag = "webhooks",
    responses((status = 201, description = "The new secret, shown once", body = NewSecret)))]
pub async fn rotate(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
) -> ApiResult<(StatusCode, Json<NewSecret>)> {
    let secret = webhooks::rotate(&ctx.pool, caller.account_id).await?;
    let info = webhooks::info(&ctx.pool, caller.account_id).await?;
    tracing::info!(
        account.id = caller.account_id,
        "webhook secret made or rotated"
    );
    Ok((
        StatusCode::CREATED,
        Json(NewSecret {
            secret,
            created_at: info.as_ref().map(|i| i.created_at),
            rotated_at: info.and_then(|i| i.rotated_at),
            previous_valid_hours: webhooks::ROTATION_GRACE_HOURS,
        }),
    ))
}

/// Whether the account has a webhook secret.
#[utoipa::path(get, path = "/v1/webhook-secret", tag = "webhooks",
    responses((status = 200, description = "The secret's dates", body = SecretInfo)))]
pub async fn get(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
) -> ApiResult<Json<SecretInfo>> {
    let info = webhooks::info(&ctx.pool, caller.account_id).await?;
    Ok(Json(SecretInfo {
        configured: info.is_some(),
        created_at: info.as_ref().map(|i| i.created_at),
        rotated_at: info.and_then(|i| i.rotated_at),
    }))
}
