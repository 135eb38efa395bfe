//! `/v1/destinations`: an account's places for its finished files, for admins only. Today
//! a destination is a Slack channel (`"type": "slack"`, its incoming-webhook URL). The URL
//! is a secret: sealed with the operator's key, never shown again, not in errors or logs;
//! the JSON shows its host. Table access is in `exportd_core::destinations`.

pub mod routes;

use chrono::{DateTime, Utc};
use exportd_core::{
    Shared,
    destinations::Destination,
    ids::AccountId,
    secrets::{Sealed, Sealer},
    slack,
};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// A destination, without its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 3, "type": "slack", "name": "Canal de ventas", "host": "hooks.slack.com",
    "created_at": "2026-12-01T12:00:00Z", "updated_at": "2026-12-01T12:00:00Z"}))]
pub struct DestinationView {
    pub id: i64,
    /// `slack`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// Where it posts (the webhook's host); the URL itself is never shown.
    pub host: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Destination> for DestinationView {
    fn from(d: Destination) -> Self {
        DestinationView {
            id: d.id,
            kind: d.kind,
            name: d.name,
            host: d.settings["host"].as_str().map(str::to_owned),
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

pub fn not_found() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such destination in this account",
    )
}

/// The operator's sealer; without `EXPORTD_ENCRYPTION_KEY` no secret can be kept.
pub fn sealer(ctx: &Shared) -> ApiResult<&Sealer> {
    ctx.cfg.sealer.as_ref().ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "destinations_unavailable",
            "destinations keep secrets, and this server has no key to seal them: an operator must set EXPORTD_ENCRYPTION_KEY",
        )
    })
}

/// A name of 1 to 100 characters, without control characters.
pub fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            "invalid_destination_name",
            format!("name must be 1 to 100 characters without control characters, got {n}"),
        ));
    }
    Ok(name.to_owned())
}

/// Checks a Slack incoming-webhook URL (at most 2048 bytes) and seals it for the account;
/// returns what may be shown (its host) and the sealed secret.
pub async fn seal_slack_url(
    ctx: &Shared,
    sealer: &Sealer,
    account_id: i64,
    url: &str,
) -> ApiResult<(serde_json::Value, Sealed)> {
    let host = slack::check_url(url, ctx.cfg.webhook_allow_private)
        .await
        .map_err(|why| ApiError::unprocessable("invalid_webhook_url", why))?;
    Ok((
        serde_json::json!({ "host": host }),
        sealer.seal(account_id, url.as_bytes()),
    ))
}

/// A destination id from the path; one that is not a number is no destination.
pub fn parse_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| not_found())
}

pub async fn load(ctx: &Shared, account_id: i64, id: &str) -> ApiResult<Destination> {
    exportd_core::destinations::get(&ctx.pool, AccountId(account_id), parse_id(id)?)
        .await?
        .ok_or_else(not_found)
}
