//! The handlers of `/v1/destinations`.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use exportd_core::{
    Shared,
    destinations::{self, MAX_PER_ACCOUNT},
    slack,
};
use serde::{Deserialize, Serialize};

use super::{DestinationView, check_name, load, not_found, parse_id, seal_slack_url, sealer};
use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
    extract::JsonBody,
};

/// A new destination.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "slack", "name": "Canal de ventas", "webhook_url": "https://hooks.slack.com/services/T000/B000/XXXX"}))]
pub struct CreateDestination {
    /// `slack`.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1 to 100 characters.
    pub name: String,
    /// Slack: the channel's incoming-webhook URL (https). Kept sealed; never shown again.
    pub webhook_url: Option<String>,
}

/// The fields to change; the others stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ventas (nuevo canal)"}))]
pub struct UpdateDestination {
    pub name: Option<String>,
    pub webhook_url: Option<String>,
}

/// The account's destinations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"items": [{"id": 3, "type": "slack", "name": "Canal de ventas", "host": "hooks.slack.com",
    "created_at": "2026-12-01T12:00:00Z", "updated_at": "2026-12-01T12:00:00Z"}]}))]
pub struct DestinationList {
    pub items: Vec<DestinationView>,
}

/// What a test delivery did: delivered, or why not, in words an admin can act on, and
/// whether trying again later may help (an outage) or not (a removed webhook).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"delivered": false, "retryable": false,
    "reason": "the webhook no longer exists (removed, or its app uninstalled): make a new incoming webhook and save it here (Slack answered 404: no_service)"}))]
pub struct TestResult {
    pub delivered: bool,
    /// When not delivered: whether the same test may work later.
    pub retryable: Option<bool>,
    /// When not delivered: why.
    pub reason: Option<String>,
}

/// Creates a destination.
#[utoipa::path(post, path = "/v1/destinations", tag = "destinations", request_body = CreateDestination,
    responses(
        (status = 201, description = "Created", body = DestinationView),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`unknown_destination_type`, `invalid_destination_name`, `invalid_webhook_url`, `too_many_destinations`, `unknown_field`", body = ErrorBody),
        (status = 503, description = "`destinations_unavailable`: no EXPORTD_ENCRYPTION_KEY", body = ErrorBody),
    ))]
pub async fn create(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    JsonBody(req): JsonBody<CreateDestination>,
) -> ApiResult<(StatusCode, Json<DestinationView>)> {
    let sealer = sealer(&ctx)?;
    if req.kind != "slack" {
        return Err(ApiError::unprocessable(
            "unknown_destination_type",
            format!("type must be \"slack\", got {:?}", req.kind),
        ));
    }
    let name = check_name(&req.name)?;
    let url = req.webhook_url.as_deref().ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_webhook_url",
            "a Slack destination needs webhook_url",
        )
    })?;
    let (settings, sealed) = seal_slack_url(&ctx, sealer, caller.account_id, url).await?;
    if destinations::count(&ctx.pool, caller.account()).await? >= MAX_PER_ACCOUNT {
        return Err(ApiError::unprocessable(
            "too_many_destinations",
            format!("an account has at most {MAX_PER_ACCOUNT} destinations; delete one first"),
        ));
    }
    let d = destinations::insert(
        &ctx.pool,
        caller.account(),
        caller.user(),
        "slack",
        &name,
        &settings,
        &sealed,
    )
    .await?;
    tracing::info!(
        destination.id = d.id,
        account.id = caller.account_id,
        "destination created"
    );
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// The account's destinations.
#[utoipa::path(get, path = "/v1/destinations", tag = "destinations",
    responses((status = 200, description = "The destinations", body = DestinationList)))]
pub async fn list(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
) -> ApiResult<Json<DestinationList>> {
    let items = destinations::list(&ctx.pool, caller.account()).await?;
    Ok(Json(DestinationList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// One destination.
#[utoipa::path(get, path = "/v1/destinations/{id}", tag = "destinations",
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 200, description = "The destination", body = DestinationView),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub async fn get(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<DestinationView>> {
    Ok(Json(load(&ctx, caller.account_id, &id).await?.into()))
}

/// Renames a destination, or gives it a new webhook URL.
#[utoipa::path(patch, path = "/v1/destinations/{id}", tag = "destinations", request_body = UpdateDestination,
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 200, description = "The destination after the change", body = DestinationView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`invalid_destination_name`, `invalid_webhook_url`, `unknown_field`", body = ErrorBody),
        (status = 503, description = "`destinations_unavailable`", body = ErrorBody),
    ))]
pub async fn update(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateDestination>,
) -> ApiResult<Json<DestinationView>> {
    let sealer = sealer(&ctx)?;
    let d = load(&ctx, caller.account_id, &id).await?;
    let name = match &req.name {
        Some(n) => check_name(n)?,
        None => d.name.clone(),
    };
    let (settings, sealed) = match &req.webhook_url {
        Some(url) => {
            let (settings, sealed) = seal_slack_url(&ctx, sealer, caller.account_id, url).await?;
            (settings, Some(sealed))
        }
        None => (d.settings.clone(), None),
    };
    let d = destinations::update(
        &ctx.pool,
        caller.account(),
        d.id,
        &name,
        &settings,
        sealed.as_ref(),
    )
    .await?
    .ok_or_else(not_found)?;
    Ok(Json(d.into()))
}

/// Deletes a destination. Deliveries to it not yet made fail, saying so; the exports stay.
#[utoipa::path(delete, path = "/v1/destinations/{id}", tag = "destinations",
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub async fn delete(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if !destinations::delete(&ctx.pool, caller.account(), parse_id(&id)?).await? {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a test message to the destination now; what failed, in words an admin can act
/// on, when it does not arrive.
#[utoipa::path(post, path = "/v1/destinations/{id}/test", tag = "destinations",
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 200, description = "What happened: delivered, or why not", body = TestResult),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`destinations_unavailable`", body = ErrorBody),
    ))]
pub async fn test(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<TestResult>> {
    let sealer = sealer(&ctx)?;
    let (d, sealed) = destinations::with_secret(&ctx.pool, caller.account(), parse_id(&id)?)
        .await?
        .ok_or_else(not_found)?;
    let url = match sealer.open_text(caller.account_id, &sealed) {
        Ok(u) => u,
        Err(why) => {
            return Ok(Json(TestResult {
                delivered: false,
                retryable: Some(false),
                reason: Some(why),
            }));
        }
    };
    let locale = exportd_core::accounts::get(&ctx.pool, caller.account_id)
        .await?
        .map(|a| a.locale)
        .unwrap_or(exportd_core::domain::Locale::Es);
    let sent = slack::post(
        &url,
        ctx.cfg.webhook_allow_private,
        &slack::test_payload(&d.name, locale),
    )
    .await;
    Ok(Json(match sent {
        Ok(()) => TestResult {
            delivered: true,
            retryable: None,
            reason: None,
        },
        Err(e) => TestResult {
            delivered: false,
            retryable: Some(!e.permanent),
            reason: Some(e.message),
        },
    }))
}
