//! Webhooks: each account's signing secret (Standard Webhooks, `whsec_` + base64), and the
//! rules a target must meet. A target is checked when it is requested and again when it is
//! sent to: an http(s) URL of at most [`MAX_URL_BYTES`], with no credentials in it, whose
//! every address is public, unless an operator allows private ones
//! (`EXPORTD_WEBHOOK_ALLOW_PRIVATE=true`). The sender connects only to the addresses
//! checked and follows no redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::Rng;
use sqlx::PgExecutor;

/// Longest webhook URL accepted.
pub const MAX_URL_BYTES: usize = 2048;

/// How long a rotated-out secret still signs deliveries beside the new one.
pub const ROTATION_GRACE_HOURS: i64 = 24;

/// A new secret: 32 random bytes, as Standard Webhooks writes them.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(b)
    )
}

/// When an account's secret was made and last rotated.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretInfo {
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
}

/// Makes the account's secret, or rotates it (the old one signs too for a grace period).
/// Returns the new secret: the only time it is shown.
pub async fn rotate(db: impl PgExecutor<'_>, account_id: i64) -> Result<String, sqlx::Error> {
    let secret = new_secret();
    sqlx::query(
        "INSERT INTO webhook_secrets (account_id, secret) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE
            SET previous_secret = webhook_secrets.secret, secret = EXCLUDED.secret, rotated_at = now()",
    )
    .bind(account_id)
    .bind(&secret)
    .execute(db)
    .await?;
    Ok(secret)
}

pub async fn info(
    db: impl PgExecutor<'_>,
    account_id: i64,
) -> Result<Option<SecretInfo>, sqlx::Error> {
    sqlx::query_as("SELECT created_at, rotated_at FROM webhook_secrets WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(db)
        .await
}

/// The secrets that sign the account's deliveries now: the current one, and the previous
/// one during its grace period. Empty when the account has none.
pub async fn signing_secrets(
    db: impl PgExecutor<'_>,
    account_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT secret, CASE WHEN rotated_at > now() - make_interval(hours => $2) THEN previous_secret END
           FROM webhook_secrets WHERE account_id = $1",
    )
    .bind(account_id)
    .bind(ROTATION_GRACE_HOURS as i32)
    .fetch_optional(db)
    .await?;
    Ok(row
        .map(|(s, p)| std::iter::once(s).chain(p).collect())
        .unwrap_or_default())
}

/// Why a webhook target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the webhook URL is {0} bytes; at most 2048 are accepted")]
    TooLong(usize),
    #[error("the webhook must be an http(s) URL with a host and no credentials")]
    Shape,
    #[error("the webhook host {0:?} does not resolve")]
    Unresolved(String),
    #[error(
        "the webhook host {host:?} resolves to {ip}, a loopback, private, link-local, multicast or metadata address; only public addresses are allowed"
    )]
    Private { host: String, ip: IpAddr },
}

/// Checks what can be checked without the network; returns the parsed URL.
pub fn check_shape(url: &str) -> Result<url::Url, TargetError> {
    if url.len() > MAX_URL_BYTES {
        return Err(TargetError::TooLong(url.len()));
    }
    let u = url::Url::parse(url).map_err(|_| TargetError::Shape)?;
    let ok = matches!(u.scheme(), "http" | "https")
        && u.host().is_some()
        && u.username().is_empty()
        && u.password().is_none();
    ok.then_some(u).ok_or(TargetError::Shape)
}

/// Whether an address may be a webhook target without the operator's leave: a public
/// unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata included
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 of any v4, private included
}

/// Resolves the target and checks every address it resolves to; returns the addresses
/// to connect to (the caller pins its connection to them).
pub async fn resolve(url: &url::Url, allow_private: bool) -> Result<Vec<SocketAddr>, TargetError> {
    let host = url.host_str().ok_or(TargetError::Shape)?;
    let port = url.port_or_known_default().ok_or(TargetError::Shape)?;
    resolve_host(host, port, allow_private).await
}

/// Resolves `host` (a name or an address literal, IPv6 bracketed or not) and checks every
/// address: only public ones unless `allow_private`. For any outside target: webhooks,
/// Slack, a customer's S3 endpoint or SFTP server.
pub async fn resolve_host(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, TargetError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let lookup = tokio::net::lookup_host((bare, port));
            match tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await {
                Ok(Ok(a)) => a.collect(),
                _ => Vec::new(),
            }
        }
    };
    if addrs.is_empty() {
        return Err(TargetError::Unresolved(host.to_owned()));
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(TargetError::Private {
            host: host.to_owned(),
            ip: bad.ip(),
        });
    }
    Ok(addrs)
}

/// Why a post to an outside target failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostError {
    pub message: String,
    pub permanent: bool,
}

impl PostError {
    pub fn permanent(message: impl Into<String>) -> PostError {
        PostError {
            message: message.into(),
            permanent: true,
        }
    }

    pub fn transient(message: impl Into<String>) -> PostError {
        PostError {
            message: message.into(),
            permanent: false,
        }
    }
}

/// A client for `url` that connects only to the addresses the host resolves to now, each
/// checked by [`resolve`] (so a name cannot be re-pointed between check and connection),
/// follows no redirect, and gives up after `timeout`. A name that does not resolve is
/// worth trying again; a refused address or shape is not.
pub async fn pinned_client(
    url: &str,
    allow_private: bool,
    timeout: std::time::Duration,
) -> Result<(reqwest::Client, url::Url), PostError> {
    let parsed = check_shape(url).map_err(|e| PostError::permanent(e.to_string()))?;
    let addrs = match resolve(&parsed, allow_private).await {
        Ok(a) => a,
        Err(e @ TargetError::Unresolved(_)) => return Err(PostError::transient(e.to_string())),
        Err(e) => return Err(PostError::permanent(e.to_string())),
    };
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(&host, &addrs)
        .user_agent(concat!("exportd/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| PostError::permanent(format!("http client: {e}")))?;
    Ok((client, parsed))
}

/// Whether an answer refuses for good: a redirect (not followed; the receiver must give
/// the final address) or a 4xx other than 408 and 429.
pub fn refuses_for_good(status: reqwest::StatusCode) -> bool {
    status.is_redirection()
        || (status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_private_link_local_and_metadata_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn shapes_other_than_a_plain_http_url_are_refused() {
        assert!(check_shape("https://hooks.example.com/x").is_ok());
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert_eq!(check_shape(bad).unwrap_err(), TargetError::Shape, "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2100));
        assert!(matches!(check_shape(&long), Err(TargetError::TooLong(_))));
    }

    #[tokio::test]
    async fn a_literal_private_address_is_refused_unless_allowed() {
        let u = check_shape("http://127.0.0.1:6379/").unwrap();
        assert!(matches!(
            resolve(&u, false).await,
            Err(TargetError::Private { .. })
        ));
        assert_eq!(resolve(&u, true).await.unwrap().len(), 1);
        let u = check_shape("http://[::1]:80/").unwrap();
        assert!(resolve(&u, false).await.is_err());
        let u = check_shape("http://localhost:80/").unwrap();
        assert!(resolve(&u, false).await.is_err(), "a name for loopback too");
    }
}
