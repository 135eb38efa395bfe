//! The handlers of `/v1/destinations`.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use exportd_core::{
    Shared,
    destinations::{
        self, MAX_PER_ACCOUNT,
        deliver::Target,
        spec::{Kind, Settings},
    },
    slack,
};
use serde::Serialize;

use super::{
    DestinationView,
    body::{self, DestinationBody},
    check_name, load, not_found, parse_id, sealer,
};
use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
    extract::JsonBody,
};

/// The account's destinations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"items": [{"id": 3, "type": "slack", "name": "Canal de ventas", "host": "hooks.slack.com",
    "created_at": "2026-12-01T12:00:00Z", "updated_at": "2026-12-01T12:00:00Z"}]}))]
pub struct DestinationList {
    pub items: Vec<DestinationView>,
}

/// What a test delivery did: delivered (and, for a file, where), or why not, in words an
/// admin can act on, and whether trying again later may help (an outage) or not (a host
/// key mismatch).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"delivered": false, "retryable": false,
    "reason": "host key mismatch: sftp.acme.example showed SHA256:Qm…, but the destination pins SHA256:uN…; if the server's key was changed on purpose, save its new fingerprint"}))]
pub struct TestResult {
    pub delivered: bool,
    /// When a probe file was written: where (it is removed again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// When not delivered: whether the same test may work later.
    pub retryable: Option<bool>,
    /// When not delivered: why.
    pub reason: Option<String>,
}

impl TestResult {
    fn failed(retryable: bool, reason: String) -> TestResult {
        TestResult {
            delivered: false,
            written: None,
            retryable: Some(retryable),
            reason: Some(reason),
        }
    }
}

/// Creates a destination.
#[utoipa::path(post, path = "/v1/destinations", tag = "destinations", request_body = DestinationBody,
    responses(
        (status = 201, description = "Created", body = DestinationView),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`unknown_destination_type`, `invalid_destination_name`, `too_many_destinations`, `unknown_field`, `invalid_credentials`, or `invalid_<field>` naming the field refused: `invalid_webhook_url`, `invalid_bucket`, `invalid_region`, `invalid_prefix`, `invalid_endpoint`, `invalid_role_arn`, `invalid_access_key_id`, `invalid_secret_access_key`, `invalid_host`, `invalid_port`, `invalid_user`, `invalid_private_key`, `invalid_password`, `invalid_host_key`, `invalid_directory`, `invalid_file_name`", body = ErrorBody),
        (status = 503, description = "`destinations_unavailable`: no EXPORTD_ENCRYPTION_KEY", body = ErrorBody),
    ))]
pub async fn create(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    JsonBody(req): JsonBody<DestinationBody>,
) -> ApiResult<(StatusCode, Json<DestinationView>)> {
    let sealer = sealer(&ctx)?;
    let kind = body::kind(&req)?;
    let name = check_name(req.name.as_deref().unwrap_or_default())?;
    let (settings, sealed) =
        body::settle(&ctx, sealer, caller.account_id, kind, &req, None).await?;
    // Role mode keeps no secret: an empty one is sealed, so every row has one.
    let sealed = sealed.unwrap_or_else(|| sealer.seal(caller.account_id, b""));
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
        kind.as_str(),
        &name,
        &serde_json::to_value(&settings).map_err(anyhow::Error::from)?,
        &sealed,
    )
    .await?;
    tracing::info!(
        destination.id = d.id,
        destination.kind = kind.as_str(),
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

/// Changes a destination: only the fields given; its type stays. A new secret replaces
/// the old; without one, the old is kept.
#[utoipa::path(patch, path = "/v1/destinations/{id}", tag = "destinations", request_body = DestinationBody,
    params(("id" = String, Path, description = "The destination's id")),
    responses(
        (status = 200, description = "The destination after the change", body = DestinationView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "as for create; `type_fixed` when `type` would change", body = ErrorBody),
        (status = 503, description = "`destinations_unavailable`", body = ErrorBody),
    ))]
pub async fn update(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DestinationBody>,
) -> ApiResult<Json<DestinationView>> {
    let sealer = sealer(&ctx)?;
    let d = load(&ctx, caller.account_id, &id).await?;
    let kind = Kind::parse(&d.kind)
        .ok_or_else(|| anyhow::anyhow!("destination {} has type {:?}", d.id, d.kind))?;
    if req.kind.as_deref().is_some_and(|k| k != d.kind) {
        return Err(ApiError::unprocessable(
            "type_fixed",
            "a destination's type cannot change; make a new destination instead",
        ));
    }
    let name = match &req.name {
        Some(n) => check_name(n)?,
        None => d.name.clone(),
    };
    let before: Settings = d.parsed().map_err(anyhow::Error::from)?;
    let (settings, sealed) =
        body::settle(&ctx, sealer, caller.account_id, kind, &req, Some(&before)).await?;
    let d = destinations::update(
        &ctx.pool,
        caller.account(),
        d.id,
        &name,
        &serde_json::to_value(&settings).map_err(anyhow::Error::from)?,
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

/// Tests the destination now: a test message to Slack, or a small probe file written to
/// the bucket or server (and removed again). Says what failed in words an admin can act
/// on: no such bucket, access denied, host key mismatch, authentication failed, directory
/// missing.
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
    let secret = match sealer.open_text(caller.account_id, &sealed) {
        Ok(s) => s,
        Err(why) => return Ok(Json(TestResult::failed(false, why))),
    };
    let sent = if d.kind == Kind::Slack.as_str() {
        let locale = exportd_core::accounts::get(&ctx.pool, caller.account_id)
            .await?
            .map(|a| a.locale)
            .unwrap_or(exportd_core::domain::Locale::Es);
        slack::post(
            &secret,
            ctx.cfg.webhook_allow_private,
            &slack::test_payload(&d.name, locale),
        )
        .await
        .map(|()| None)
    } else {
        async { Target::new(&d, &secret, &ctx.cfg)?.probe().await }
            .await
            .map(Some)
    };
    Ok(Json(match sent {
        Ok(written) => TestResult {
            delivered: true,
            written,
            retryable: None,
            reason: None,
        },
        Err(e) => TestResult::failed(!e.permanent, e.message),
    }))
}
