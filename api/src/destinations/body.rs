//! The body of `POST` and `PATCH /v1/destinations`: one shape for the three types, each
//! field checked by `exportd_core::destinations::spec`, the hosts it names against the
//! network here (no loopback, private, link-local or metadata address unless the operator
//! allows them), and the secret sealed for the account.

use exportd_core::{
    Shared,
    destinations::spec::{self, Draft, Kind, Settings},
    secrets::{Sealed, Sealer},
    webhooks::{TargetError, resolve_host},
};
use serde::Deserialize;

use super::seal_slack_url;
use crate::error::{ApiError, ApiResult};

/// A destination's fields. `type` and `name` are required to create one; a change gives
/// only what changes (the type stays). Secrets (`webhook_url`, `secret_access_key`,
/// `private_key`, `password`) are sealed and never shown again.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "sftp", "name": "Warehouse drop", "host": "sftp.acme.example", "port": 22,
    "user": "exportd", "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n…",
    "host_key": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", "directory": "incoming"}))]
pub struct DestinationBody {
    /// `slack`, `s3` or `sftp`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// 1 to 100 characters.
    pub name: Option<String>,
    /// Slack: the channel's incoming-webhook URL (https).
    pub webhook_url: Option<String>,
    /// S3: the bucket's name.
    pub bucket: Option<String>,
    /// S3: its region (default `us-east-1`).
    pub region: Option<String>,
    /// S3: a key prefix such as `exportd/` (at most 512 bytes); `""` for none.
    pub prefix: Option<String>,
    /// S3: an S3-compatible service's base URL (MinIO, R2, Wasabi); `""` for AWS.
    pub endpoint: Option<String>,
    /// S3, role mode (recommended): the role exportd assumes, with the external id it shows.
    pub role_arn: Option<String>,
    /// S3, key mode: an access key allowed `s3:PutObject` on the bucket…
    pub access_key_id: Option<String>,
    /// …and its secret.
    pub secret_access_key: Option<String>,
    /// SFTP: the server's host name or address.
    pub host: Option<String>,
    /// SFTP: its port (default 22).
    pub port: Option<i64>,
    /// SFTP: the user to log in as.
    pub user: Option<String>,
    /// SFTP: a private key in OpenSSH or PEM format, without a passphrase (at most 16 KB)…
    pub private_key: Option<String>,
    /// …or a password.
    pub password: Option<String>,
    /// SFTP: the server's host key fingerprint as `ssh-keygen -lf` prints it (`SHA256:…`);
    /// a server showing another key is refused.
    pub host_key: Option<String>,
    /// SFTP: the directory files go to (default: the login directory).
    pub directory: Option<String>,
    /// S3 and SFTP: the file name template; placeholders `{kind}` `{from}` `{to}` `{id}`
    /// `{ext}`, `{id}` required (default `{kind}_{from}_{to}_{id}.{ext}`).
    pub file_name: Option<String>,
}

impl DestinationBody {
    fn draft(&self) -> Draft {
        Draft {
            bucket: self.bucket.clone(),
            region: self.region.clone(),
            prefix: self.prefix.clone(),
            endpoint: self.endpoint.clone(),
            role_arn: self.role_arn.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            private_key: self.private_key.clone(),
            password: self.password.clone(),
            host_key: self.host_key.clone(),
            directory: self.directory.clone(),
            file_name: self.file_name.clone(),
        }
    }

    /// Whether the body gives any field of an S3 or SFTP destination.
    fn has_file_fields(&self) -> bool {
        let d = self.draft();
        [
            d.bucket,
            d.region,
            d.prefix,
            d.endpoint,
            d.role_arn,
            d.access_key_id,
            d.secret_access_key,
            d.host,
            d.user,
            d.private_key,
            d.password,
            d.host_key,
            d.directory,
            d.file_name,
        ]
        .iter()
        .any(Option::is_some)
            || d.port.is_some()
    }
}

/// The type named in a create.
pub fn kind(body: &DestinationBody) -> ApiResult<Kind> {
    let given = body.kind.as_deref().unwrap_or_default();
    Kind::parse(given).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_destination_type",
            format!("type must be \"slack\", \"s3\" or \"sftp\", got {given:?}"),
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
        &body.draft(),
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
    match resolve_host(&host, port, ctx.cfg.webhook_allow_private).await {
        Ok(_) => Ok(()),
        Err(TargetError::Private { ip, .. }) => Err(ApiError::unprocessable(
            field,
            format!(
                "{host} is {ip}, a loopback, private, link-local or metadata address; only public addresses are allowed"
            ),
        )),
        Err(_) => Err(ApiError::unprocessable(
            field,
            format!("{host} does not resolve"),
        )),
    }
}
