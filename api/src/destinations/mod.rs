//! `/v1/destinations`: an account's places for its finished files, for admins only: a
//! Slack channel (`slack`), the customer's S3 bucket (`s3`) or SFTP server (`sftp`). The
//! secret (a webhook URL, a secret access key, a private key or password) is sealed with the
//! operator's key and never shown again, not in answers, errors or logs. Table access and
//! the checks of every field are in `exportd_core::destinations`.

pub mod body;
pub mod routes;

use chrono::{DateTime, Utc};
use exportd_core::{
    Shared,
    destinations::{Destination, spec::Settings},
    ids::AccountId,
    secrets::{Sealed, Sealer},
    slack,
};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// A destination, without its secret: its type and the settings that may be shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 4, "type": "s3", "name": "Data lake", "bucket": "acme-exports",
    "region": "eu-west-1", "prefix": "exportd/", "role_arn": "arn:aws:iam::123456789012:role/exportd-writer",
    "external_id": "exportd-5f0c8e1a9b7d4c2e8f6a1b3c5d7e9f01", "file_name": "{kind}_{from}_{to}_{id}.{ext}",
    "created_at": "2026-12-01T12:00:00Z", "updated_at": "2026-12-01T12:00:00Z"}))]
pub struct DestinationView {
    pub id: i64,
    /// `slack`, `s3` or `sftp`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// What the type shows: Slack's host; the bucket, region, prefix, endpoint, role and its
    /// external id or the access key's id; the SFTP host, port, user, auth, pinned host key
    /// and directory; the file name template.
    #[serde(flatten)]
    pub settings: Settings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Destination> for DestinationView {
    fn from(d: Destination) -> Self {
        // Settings are written only through `spec::check`, so they read back; an unreadable
        // row shows none rather than failing the whole list.
        let settings = d.parsed().unwrap_or_default();
        DestinationView {
            id: d.id,
            kind: d.kind,
            name: d.name,
            settings,
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
) -> ApiResult<(Settings, Sealed)> {
    let host = slack::check_url(url, ctx.cfg.webhook_allow_private)
        .await
        .map_err(|why| ApiError::unprocessable("invalid_webhook_url", why))?;
    Ok((
        Settings {
            host: Some(host),
            ..Settings::default()
        },
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
