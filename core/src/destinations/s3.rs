//! S3 destinations: the file is copied from exportd's storage into the customer's bucket,
//! streamed (never held in memory), with a CRC32 checksum the bucket verifies.
//!
//! Credentials are either a role exportd assumes through STS with the destination's
//! external id (AWS's guard against the confused deputy), or an access key pair. Every
//! connection goes through a resolver that refuses loopback, private, link-local and
//! metadata addresses unless the operator allows them, so a name re-pointed after the check
//! still cannot reach them; an endpoint given as an address literal is checked before use.

use std::{net::IpAddr, time::Duration};

use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    error::{ProvideErrorMetadata, SdkError},
    primitives::ByteStream,
    types::ChecksumAlgorithm,
};
use aws_smithy_http_client::{Builder, tls};
use aws_smithy_runtime_api::client::{
    dns::{DnsFuture, ResolveDns, ResolveDnsError},
    http::SharedHttpClient,
};
use secrecy::ExposeSecret;

use super::spec::Settings;
use crate::{
    config::StsConfig,
    webhooks::{PostError, resolve_host},
};

/// Resolves names for the SDK and keeps only allowed addresses.
#[derive(Debug, Clone)]
struct Checked {
    allow_private: bool,
}

impl ResolveDns for Checked {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        DnsFuture::new(async move {
            resolve_host(name, 443, self.allow_private)
                .await
                .map(|addrs| addrs.into_iter().map(|a| a.ip()).collect::<Vec<IpAddr>>())
                .map_err(ResolveDnsError::new)
        })
    }
}

fn http_client(allow_private: bool) -> SharedHttpClient {
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_with_resolver(Checked { allow_private })
}

/// How a destination reaches its bucket.
pub struct Access<'a> {
    pub settings: &'a Settings,
    /// Key mode: the secret access key; role mode: empty.
    pub secret: &'a str,
    /// Names the role session, for the customer's CloudTrail.
    pub destination_id: i64,
    pub sts: &'a StsConfig,
    pub allow_private: bool,
    pub timeout: Duration,
}

/// A client for the destination's bucket, with the role assumed when it has one.
pub async fn client(a: &Access<'_>) -> Result<Client, PostError> {
    let s = a.settings;
    let region = s.region.clone().unwrap_or_else(|| "us-east-1".into());
    let host = match &s.endpoint {
        Some(e) => url::Url::parse(e)
            .ok()
            .and_then(|u| Some((u.host_str()?.to_owned(), u.port_or_known_default()?)))
            .ok_or_else(|| PostError::permanent("the endpoint is not a URL"))?,
        None => (format!("s3.{region}.amazonaws.com"), 443),
    };
    super::resolve_checked(&host.0, host.1, a.allow_private).await?;
    let credentials = match &s.role_arn {
        Some(arn) => assume(a, arn).await?,
        None => Credentials::new(
            s.access_key_id.clone().unwrap_or_default(),
            a.secret,
            None,
            None,
            "destination",
        ),
    };
    let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
        .connect_timeout(a.timeout.min(Duration::from_secs(10)))
        .operation_attempt_timeout(a.timeout)
        .build();
    let mut b = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client(a.allow_private))
        .timeout_config(timeouts)
        .region(Region::new(region))
        .credentials_provider(credentials);
    if let Some(endpoint) = &s.endpoint {
        b = b.endpoint_url(endpoint).force_path_style(true);
    }
    Ok(Client::from_conf(b.build()))
}

/// Assumes the customer's role with the destination's external id, for one hour.
async fn assume(a: &Access<'_>, arn: &str) -> Result<Credentials, PostError> {
    let sts = a.sts;
    let (Some(id), Some(secret)) = (&sts.access_key_id, &sts.secret_access_key) else {
        return Err(PostError::permanent(
            "this server has no AWS identity to assume roles with: an operator must set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the destination must use an access key",
        ));
    };
    let external_id = a.settings.external_id.as_deref().ok_or_else(|| {
        PostError::permanent("the destination has no external id; save its role again")
    })?;
    let timeouts = aws_sdk_sts::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build();
    let mut b = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .region(aws_sdk_sts::config::Region::new(sts.region.clone()))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            id,
            secret.expose_secret(),
            None,
            None,
            "exportd",
        ));
    if let Some(e) = &sts.endpoint {
        b = b.endpoint_url(e);
    }
    let out = aws_sdk_sts::Client::from_conf(b.build())
        .assume_role()
        .role_arn(arn)
        .role_session_name(format!("exportd-destination-{}", a.destination_id))
        .external_id(external_id)
        .duration_seconds(3600)
        .send()
        .await
        .map_err(|e| {
            let code = e.code().unwrap_or_default().to_owned();
            let status = e.raw_response().map(|r| r.status().as_u16());
            let trust = format!(
                "exportd could not assume the role {arn}: its trust policy must let exportd's AWS account assume it with the external id {external_id} ({code})"
            );
            match code.as_str() {
                "InvalidClientTokenId" | "SignatureDoesNotMatch" => PostError::permanent(format!(
                    "STS refused exportd's own AWS identity ({code}): an operator must fix AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                )),
                "Throttling" | "" => PostError::transient(format!(
                    "STS could not be asked to assume {arn} ({}); it will be tried again",
                    if code.is_empty() { "no answer" } else { &code }
                )),
                _ if status.is_some_and(|st| st >= 500) => PostError::transient(format!(
                    "STS answered {code}; it will be tried again"
                )),
                _ => PostError::permanent(trust),
            }
        })?;
    let c = out
        .credentials()
        .ok_or_else(|| PostError::transient("STS answered without credentials"))?;
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "assumed-role",
    ))
}

/// The object key of `name` under the destination's prefix.
pub fn key(s: &Settings, name: &str) -> String {
    match s.prefix.as_deref() {
        Some(p) if !p.is_empty() && !p.ends_with('/') => format!("{p}/{name}"),
        Some(p) => format!("{p}{name}"),
        None => name.to_owned(),
    }
}

/// Writes `body` (`len` bytes) to `key`, with a CRC32 the bucket checks; returns where it
/// went and the checksum, as the delivery row records them.
pub async fn put(
    client: &Client,
    s: &Settings,
    key: &str,
    body: ByteStream,
    len: i64,
    content_type: &str,
) -> Result<String, PostError> {
    let bucket = s.bucket.as_deref().unwrap_or_default();
    let sent = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_length(len)
        .content_type(content_type)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        // Written once: an object already there is an earlier attempt's, whole (S3 writes
        // objects whole or not at all), so a retry does not write it again.
        .if_none_match("*")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(out) => Ok(format!(
            "s3://{bucket}/{key} ({len} bytes, crc32 {})",
            out.checksum_crc32().unwrap_or("-")
        )),
        Err(e) if e.code() == Some("PreconditionFailed") => {
            Ok(format!("s3://{bucket}/{key} ({len} bytes, already there)"))
        }
        Err(e) => Err(explain(e, s)),
    }
}

/// Removes the probe a test wrote; a refusal is not an error (a drop may allow only puts).
pub async fn remove(client: &Client, s: &Settings, key: &str) {
    let _ = client
        .delete_object()
        .bucket(s.bucket.as_deref().unwrap_or_default())
        .key(key)
        .send()
        .await;
}

/// An S3 error in words an admin can act on, and whether a retry can help: the known
/// refusals in words; otherwise by status, a 4xx for good (but 408, 429 and S3's
/// `RequestTimeout` and `SlowDown`), a 5xx or no answer worth a retry.
fn explain<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    s: &Settings,
) -> PostError {
    let bucket = s.bucket.as_deref().unwrap_or_default();
    let region = s.region.as_deref().unwrap_or("us-east-1");
    let code = e.code().unwrap_or_default().to_owned();
    let status = e.raw_response().map(|r| r.status().as_u16());
    match code.as_str() {
        "NoSuchBucket" => PostError::permanent(format!(
            "no such bucket: {bucket} does not exist (in {region}); check its name and region"
        )),
        "AccessDenied" | "AllAccessDisabled" => PostError::permanent(format!(
            "access denied: the credentials may not write to {bucket}; allow s3:PutObject on it{}",
            s.prefix
                .as_deref()
                .map(|p| format!(" under {p}"))
                .unwrap_or_default()
        )),
        // A role's credentials are fresh at the next attempt.
        "ExpiredToken" | "InvalidToken" if s.role_arn.is_some() => PostError::transient(format!(
            "the assumed role's credentials were refused ({code})"
        )),
        "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken" | "ExpiredToken" => {
            PostError::permanent(format!(
                "access denied: the bucket does not accept these credentials ({code}); check the access key"
            ))
        }
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => PostError::permanent(format!(
            "the bucket {bucket} is not in {region}; set the destination's region to the bucket's"
        )),
        "RequestTimeout" | "SlowDown" | "InternalError" | "ServiceUnavailable" => {
            PostError::transient(format!("S3 answered {code}; it will be tried again"))
        }
        _ => match status {
            Some(st) if (400..500).contains(&st) && st != 408 && st != 429 => PostError::permanent(
                format!("S3 refused the file ({st} {code}); a retry will not help"),
            ),
            Some(st) => {
                PostError::transient(format!("S3 answered {st} {code}; it will be tried again"))
            }
            None => PostError::transient(format!(
                "the bucket could not be reached: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            )),
        },
    }
}
