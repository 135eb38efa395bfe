//! What each file destination type takes: S3 (a bucket, and a role or an access key) and
//! SFTP (a server, a user with a key or a password, its pinned host key, a directory).

use super::{Draft, FieldError, Settings, fields::*, refuse};
use crate::destinations::naming;

fn not_for(kind: &str, given: &[(&str, bool)]) -> Result<(), FieldError> {
    match given.iter().find(|(_, set)| *set) {
        Some((name, _)) => Err(refuse(
            "unknown_field",
            format!("{name} does not apply to an {kind} destination"),
        )),
        None => Ok(()),
    }
}

pub(super) fn check_s3(
    d: &Draft,
    before: &Settings,
    has_secret: bool,
) -> Result<(Settings, Option<String>), FieldError> {
    not_for(
        "s3",
        &[
            ("host", d.host.is_some()),
            ("port", d.port.is_some()),
            ("user", d.user.is_some()),
            ("private_key", d.private_key.is_some()),
            ("password", d.password.is_some()),
            ("host_key", d.host_key.is_some()),
            ("directory", d.directory.is_some()),
        ],
    )?;
    let mut s = before.clone();
    if let Some(b) = &d.bucket {
        s.bucket = Some(bucket(b)?);
    }
    s.bucket
        .as_ref()
        .ok_or_else(|| refuse("invalid_bucket", "bucket is required"))?;
    if let Some(r) = &d.region {
        s.region = Some(region(r)?);
    }
    s.region.get_or_insert_with(|| "us-east-1".to_owned());
    if let Some(p) = &d.prefix {
        s.prefix = Some(
            path("invalid_prefix", "prefix", p, 512)?
                .trim_start_matches('/')
                .to_owned(),
        )
        .filter(|p| !p.is_empty());
    }
    if let Some(e) = &d.endpoint {
        s.endpoint = if e.is_empty() {
            None
        } else {
            Some(endpoint(e)?)
        };
    }
    let mut secret = None;
    match (&d.role_arn, &d.access_key_id) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                "invalid_credentials",
                "give either role_arn (exportd assumes your role) or access_key_id with secret_access_key, not both",
            ));
        }
        (Some(arn), None) => {
            if d.secret_access_key.is_some() {
                return Err(refuse(
                    "invalid_credentials",
                    "a role needs no secret_access_key: exportd assumes it with the external id",
                ));
            }
            s.role_arn = Some(role_arn(arn)?);
            s.access_key_id = None;
            if s.external_id.is_none() {
                s.external_id = Some(new_external_id());
            }
            secret = Some(String::new());
        }
        (None, Some(id)) => {
            s.access_key_id = Some(access_key_id(id)?);
            s.role_arn = None;
            s.external_id = None;
            let key = d.secret_access_key.as_deref().ok_or_else(|| {
                refuse(
                    "invalid_secret_access_key",
                    "access_key_id needs its secret_access_key",
                )
            })?;
            secret = Some(secret_access_key(key)?);
        }
        (None, None) => {
            if let Some(key) = &d.secret_access_key {
                if s.access_key_id.is_none() {
                    return Err(refuse(
                        "invalid_credentials",
                        "secret_access_key goes with an access_key_id",
                    ));
                }
                secret = Some(secret_access_key(key)?);
            }
        }
    }
    // The kept secret goes only where it went before: a new endpoint needs it given again.
    if s.access_key_id.is_some() && secret.is_none() && s.endpoint != before.endpoint {
        return Err(refuse(
            "invalid_credentials",
            "a new endpoint needs the secret_access_key again: exportd does not send a kept secret to another service",
        ));
    }
    if s.role_arn.is_none() && (s.access_key_id.is_none() || !(has_secret || secret.is_some())) {
        return Err(refuse(
            "invalid_credentials",
            "an S3 destination needs role_arn (recommended: exportd assumes your role with an external id) or access_key_id with secret_access_key",
        ));
    }
    file_name(d, &mut s)?;
    Ok((s, secret))
}

pub(super) fn check_sftp(
    d: &Draft,
    before: &Settings,
    has_secret: bool,
) -> Result<(Settings, Option<String>), FieldError> {
    not_for(
        "sftp",
        &[
            ("bucket", d.bucket.is_some()),
            ("region", d.region.is_some()),
            ("prefix", d.prefix.is_some()),
            ("endpoint", d.endpoint.is_some()),
            ("role_arn", d.role_arn.is_some()),
            ("access_key_id", d.access_key_id.is_some()),
            ("secret_access_key", d.secret_access_key.is_some()),
        ],
    )?;
    let mut s = before.clone();
    if let Some(h) = &d.host {
        s.host = Some(host(h)?);
    }
    s.host
        .as_ref()
        .ok_or_else(|| refuse("invalid_host", "host is required"))?;
    if let Some(p) = d.port {
        s.port =
            Some(u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
                refuse("invalid_port", format!("port must be 1 to 65535, got {p}"))
            })?);
    }
    s.port.get_or_insert(22);
    if let Some(u) = &d.user {
        s.user = Some(user(u)?);
    }
    s.user
        .as_ref()
        .ok_or_else(|| refuse("invalid_user", "user is required"))?;
    if let Some(k) = &d.host_key {
        s.host_key = Some(host_key(k)?);
    }
    s.host_key.as_ref().ok_or_else(|| {
        refuse(
            "invalid_host_key",
            "host_key is required: the server's SHA256 fingerprint, as `ssh-keygen -lf` prints it (SHA256:…)",
        )
    })?;
    if let Some(dir) = &d.directory {
        s.directory = Some(path("invalid_directory", "directory", dir, 1024)?);
    }
    s.directory.get_or_insert_with(|| ".".to_owned());
    let secret = match (&d.private_key, &d.password) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                "invalid_credentials",
                "give either private_key or password, not both",
            ));
        }
        (Some(k), None) => {
            s.auth = Some("key".into());
            Some(private_key(k)?)
        }
        (None, Some(p)) => {
            if p.is_empty() || p.len() > 1024 {
                return Err(refuse(
                    "invalid_password",
                    "password must be 1 to 1024 bytes",
                ));
            }
            s.auth = Some("password".into());
            Some(p.clone())
        }
        // The kept secret goes only where it went before.
        (None, None)
            if has_secret
                && (&s.host, s.port, &s.user) != (&before.host, before.port, &before.user) =>
        {
            return Err(refuse(
                "invalid_credentials",
                "a new host, port or user needs the private key or password again: exportd does not send a kept secret to another server",
            ));
        }
        (None, None) if has_secret => None,
        (None, None) => {
            return Err(refuse(
                "invalid_credentials",
                "an SFTP destination needs private_key (OpenSSH format, without a passphrase) or password",
            ));
        }
    };
    file_name(d, &mut s)?;
    Ok((s, secret))
}

/// The file name template given, or the one kept, or the default.
fn file_name(d: &Draft, s: &mut Settings) -> Result<(), FieldError> {
    if let Some(f) = &d.file_name {
        s.file_name = Some(naming::check(f).map_err(|m| refuse("invalid_file_name", m))?);
    }
    s.file_name
        .get_or_insert_with(|| naming::DEFAULT.to_owned());
    Ok(())
}
