//! The body of `POST` and `PATCH /v1/destinations`: one shape for the three types, each
//! field checked by `exportd_core::destinations::spec`, the hosts it names against the
//! network here (no loopback, private, link-local or metadata address unless the operator
//! allows them), and the secret sealed for the account.

use exportd_core::{
    Shared,
    destinations::spec::{self, Draft, Kind, Settings},
    secrets::{Sealed, Sealer},
};

use super::seal_slack_url;
use crate::error::{ApiError, ApiResult};

/// The body of `POST` and `PATCH /v1/destinations`.
pub type DestinationBody = Draft;

/// The type named in a create.
pub fn kind(body: &DestinationBody) -> ApiResult<Kind> {
    let given = body.kind.as_deref().unwrap_or_default();
    Kind::parse(given).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_destination_type",
            format!(
                "type must be \"slack\", \"s3\" or \"sftp\", got {:?}",
                given.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// Checks the body over the settings a destination of type `kind` has (`before`; default
/// for a new one) and seals its new secret. Returns the settings to store and the sealed
/// secret, when the body gives one.
pub async fn settle(
    ctx: &Shared,
    sealer: &Sealer,
    account_id: i64,
    kind: Kind,
    body: &DestinationBody,
    before: Option<&Settings>,
) -> ApiResult<(Settings, Option<Sealed>)> {
    if kind == Kind::Slack {
        if body.has_file_fields() {
            return Err(ApiError::unprocessable(
                "unknown_field",
                "a Slack destination takes only name and webhook_url",
            ));
        }
        return match (&body.webhook_url, before) {
            (Some(url), _) => {
                let (s, sealed) = seal_slack_url(ctx, sealer, account_id, url).await?;
                Ok((s, Some(sealed)))
            }
            (None, Some(b)) => Ok((b.clone(), None)),
            (None, None) => Err(ApiError::unprocessable(
                "invalid_webhook_url",
                "a Slack destination needs webhook_url",
            )),
        };
    }
    if body.webhook_url.is_some() {
        return Err(ApiError::unprocessable(
            "unknown_field",
            format!(
                "webhook_url does not apply to an {} destination",
                kind.as_str()
            ),
        ));
    }
    let (settings, secret) = spec::check(
        kind,
        body,
        before.unwrap_or(&Settings::default()),
        before.is_some(),
    )
    .map_err(|e| ApiError::unprocessable(e.code, e.message))?;
    reachable(ctx, &settings).await?;
    Ok((
        settings,
        secret.map(|s| sealer.seal(account_id, s.as_bytes())),
    ))
}

/// The SFTP host or S3 endpoint resolves, and only to addresses exportd may reach.
async fn reachable(ctx: &Shared, s: &Settings) -> ApiResult<()> {
    let (field, host, port) = match (&s.host, &s.endpoint) {
        (Some(h), _) => ("invalid_host", h.clone(), s.port.unwrap_or(22)),
        (None, Some(e)) => {
            let u = url::Url::parse(e).map_err(|_| {
                ApiError::unprocessable("invalid_endpoint", "endpoint must be a URL")
            })?;
            let host = u.host_str().unwrap_or_default().to_owned();
            (
                "invalid_endpoint",
                host,
                u.port_or_known_default().unwrap_or(443),
            )
        }
        (None, None) => return Ok(()),
    };
    exportd_core::destinations::resolve_checked(&host, port, ctx.cfg.webhook_allow_private)
        .await
        .map(|_| ())
        .map_err(|e| ApiError::unprocessable(field, e.message))
}
