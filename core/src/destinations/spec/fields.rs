//! One field of a destination at a time: its limit, and the error naming it.

use super::{FieldError, MAX_PRIVATE_KEY_BYTES, refuse};

/// A new external id: 16 random bytes in hex, after `exportd-`.
pub(super) fn new_external_id() -> String {
    use rand::Rng;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    format!("exportd-{}", hex::encode(b))
}

pub(super) fn bucket(b: &str) -> Result<String, FieldError> {
    let ok = (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && b.as_bytes()[0].is_ascii_alphanumeric()
        && b.as_bytes()[b.len() - 1].is_ascii_alphanumeric()
        && !b.contains("..");
    ok.then(|| b.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_bucket",
            "bucket must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
        )
    })
}

pub(super) fn region(r: &str) -> Result<String, FieldError> {
    let ok = (1..=32).contains(&r.len())
        && r.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    ok.then(|| r.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_region",
            "region must be an AWS region name such as eu-west-1",
        )
    })
}

/// A relative path of at most `max` bytes: no `..` segment, no control characters.
pub(super) fn path(
    code: &'static str,
    field: &str,
    p: &str,
    max: usize,
) -> Result<String, FieldError> {
    let ok = p.len() <= max
        && !p.chars().any(char::is_control)
        && !p.split('/').any(|seg| seg == "..")
        && !p.contains('\\');
    ok.then(|| p.to_owned()).ok_or_else(|| {
        refuse(
            code,
            format!("{field} must be at most {max} bytes, without `..`, backslashes or control characters"),
        )
    })
}

pub(super) fn endpoint(e: &str) -> Result<String, FieldError> {
    let u = crate::webhooks::check_shape(e).map_err(|_| {
        refuse(
            "invalid_endpoint",
            "endpoint must be an http(s) URL of an S3-compatible service, without credentials",
        )
    })?;
    if u.path() != "/" || u.query().is_some() {
        return Err(refuse(
            "invalid_endpoint",
            "endpoint is the service's base URL, without a path (the bucket is given apart)",
        ));
    }
    Ok(e.trim_end_matches('/').to_owned())
}

pub(super) fn role_arn(a: &str) -> Result<String, FieldError> {
    let ok = a.len() <= 2048
        && a.strip_prefix("arn:")
            .and_then(|r| r.split_once(":iam::"))
            .is_some_and(|(partition, rest)| {
                partition.starts_with("aws")
                    && rest.split_once(":role/").is_some_and(|(acct, name)| {
                        acct.len() == 12
                            && acct.bytes().all(|c| c.is_ascii_digit())
                            && !name.is_empty()
                    })
            });
    ok.then(|| a.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_role_arn",
            "role_arn must be an IAM role ARN: arn:aws:iam::123456789012:role/name",
        )
    })
}

pub(super) fn access_key_id(id: &str) -> Result<String, FieldError> {
    let ok = (16..=128).contains(&id.len()) && id.bytes().all(|c| c.is_ascii_alphanumeric());
    ok.then(|| id.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_access_key_id",
            "access_key_id must be 16 to 128 letters and digits",
        )
    })
}

pub(super) fn secret_access_key(k: &str) -> Result<String, FieldError> {
    let ok = (1..=128).contains(&k.len()) && k.bytes().all(|c| c.is_ascii_graphic());
    ok.then(|| k.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_secret_access_key",
            "secret_access_key must be 1 to 128 printable characters",
        )
    })
}

/// A host name or an address literal; whether its addresses are allowed is checked
/// against the network by the caller.
pub(super) fn host(h: &str) -> Result<String, FieldError> {
    let bare = h.trim_start_matches('[').trim_end_matches(']');
    let name_ok = (1..=253).contains(&bare.len())
        && bare.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    (name_ok || bare.parse::<std::net::IpAddr>().is_ok())
        .then(|| bare.to_owned())
        .ok_or_else(|| refuse("invalid_host", "host must be a host name or an IP address"))
}

pub(super) fn user(u: &str) -> Result<String, FieldError> {
    let ok = (1..=64).contains(&u.len())
        && u.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-@".contains(&c));
    ok.then(|| u.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_user",
            "user must be 1 to 64 letters, digits, dots, hyphens, underscores or @",
        )
    })
}

pub(super) fn host_key(k: &str) -> Result<String, FieldError> {
    let ok = k.strip_prefix("SHA256:").is_some_and(|b64| {
        b64.len() == 43
            && b64
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    });
    ok.then(|| k.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_host_key",
            "host_key must be the server's SHA256 fingerprint as `ssh-keygen -lf` prints it: SHA256: and 43 base64 characters",
        )
    })
}

pub(super) fn private_key(k: &str) -> Result<String, FieldError> {
    if k.len() > MAX_PRIVATE_KEY_BYTES {
        return Err(refuse(
            "invalid_private_key",
            format!(
                "private_key is {} bytes; at most {MAX_PRIVATE_KEY_BYTES} are accepted",
                k.len()
            ),
        ));
    }
    russh::keys::decode_secret_key(k, None).map_err(|_| {
        refuse(
            "invalid_private_key",
            "private_key must be a private key in OpenSSH or PEM format, without a passphrase",
        )
    })?;
    Ok(k.to_owned())
}
