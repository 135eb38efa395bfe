//! What a destination is: its type, the settings that may be shown, and the secret kept
//! sealed beside them. Every field is checked here, with a limit and an error naming it,
//! for the API's create and change alike.

use serde::{Deserialize, Serialize};

use super::naming;

/// The types of destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Slack,
    S3,
    Sftp,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::S3 => "s3",
            Kind::Sftp => "sftp",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Slack, Kind::S3, Kind::Sftp]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A destination's settings that may be shown (stored as JSON beside the sealed secret).
/// Which fields are set depends on the type; the secret is never among them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"host": "sftp.acme.example", "port": 22, "user": "exportd", "auth": "key",
    "host_key": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", "directory": "incoming",
    "file_name": "{kind}_{from}_{to}_{id}.{ext}"}))]
pub struct Settings {
    /// Slack: the webhook's host. SFTP: the server's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// S3: the key prefix, e.g. `exports/`; empty for the bucket's root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// S3: an S3-compatible endpoint (MinIO, R2, Wasabi); none for AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// S3, role mode: the role exportd assumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// S3, role mode: the external id the role's trust policy must require. Made by exportd,
    /// one per destination, so that no other customer can name this role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// S3, key mode: the access key's id (its secret is sealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// SFTP: `key` or `password`, which the sealed secret is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// SFTP: the server's host key fingerprint, `SHA256:…` as `ssh-keygen -lf` prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// S3 and SFTP: the file name template ([`naming`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

/// What an admin gives for a destination, on create or change (the body of `POST` and
/// `PATCH /v1/destinations`): one shape for the three types, every field optional here;
/// [`check`] says which a type needs. `type` and `name` are required to create one; a
/// change gives only what changes. Secrets (`webhook_url`, `secret_access_key`,
/// `private_key`, `password`) are sealed and never shown again.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DestinationBody, example = json!({"type": "sftp", "name": "Warehouse drop", "host": "sftp.acme.example", "port": 22,
    "user": "exportd", "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n…",
    "host_key": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", "directory": "incoming"}))]
pub struct Draft {
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

impl Draft {
    /// Whether the draft gives any field of an S3 or SFTP destination.
    pub fn has_file_fields(&self) -> bool {
        [
            &self.bucket,
            &self.region,
            &self.prefix,
            &self.endpoint,
            &self.role_arn,
            &self.access_key_id,
            &self.secret_access_key,
            &self.host,
            &self.user,
            &self.private_key,
            &self.password,
            &self.host_key,
            &self.directory,
            &self.file_name,
        ]
        .iter()
        .any(|f| f.is_some())
            || self.port.is_some()
    }
}

/// A field refused: its machine code (`invalid_<field>`) and why, for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        code,
        message: message.into(),
    }
}

/// The largest private key accepted (an RSA 8192 key in OpenSSH format is under 7 KB).
pub const MAX_PRIVATE_KEY_BYTES: usize = 16 * 1024;

/// Checks a draft of type `kind` over the settings it had (`before`, for a change; default
/// for a new one) and whether it has a secret kept. Returns the settings to store and the
/// new secret, if the draft gives one. Fields of another type are refused by name.
pub fn check(
    kind: Kind,
    draft: &Draft,
    before: &Settings,
    has_secret: bool,
) -> Result<(Settings, Option<String>), FieldError> {
    match kind {
        Kind::Slack => Err(refuse(
            "unknown_field",
            "a Slack destination takes only name and webhook_url",
        )),
        Kind::S3 => check_s3(draft, before, has_secret),
        Kind::Sftp => check_sftp(draft, before, has_secret),
    }
}

fn not_for(kind: &str, given: &[(&str, bool)]) -> Result<(), FieldError> {
    match given.iter().find(|(_, set)| *set) {
        Some((name, _)) => Err(refuse(
            "unknown_field",
            format!("{name} does not apply to an {kind} destination"),
        )),
        None => Ok(()),
    }
}

fn check_s3(
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
    if s.role_arn.is_none() && (s.access_key_id.is_none() || !(has_secret || secret.is_some())) {
        return Err(refuse(
            "invalid_credentials",
            "an S3 destination needs role_arn (recommended: exportd assumes your role with an external id) or access_key_id with secret_access_key",
        ));
    }
    file_name(d, &mut s)?;
    Ok((s, secret))
}

fn check_sftp(
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

/// A new external id: 16 random bytes in hex, after `exportd-`.
fn new_external_id() -> String {
    use rand::Rng;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    format!("exportd-{}", hex::encode(b))
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

fn bucket(b: &str) -> Result<String, FieldError> {
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

fn region(r: &str) -> Result<String, FieldError> {
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
fn path(code: &'static str, field: &str, p: &str, max: usize) -> Result<String, FieldError> {
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

fn endpoint(e: &str) -> Result<String, FieldError> {
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

fn role_arn(a: &str) -> Result<String, FieldError> {
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

fn access_key_id(id: &str) -> Result<String, FieldError> {
    let ok = (16..=128).contains(&id.len()) && id.bytes().all(|c| c.is_ascii_alphanumeric());
    ok.then(|| id.to_owned()).ok_or_else(|| {
        refuse(
            "invalid_access_key_id",
            "access_key_id must be 16 to 128 letters and digits",
        )
    })
}

fn secret_access_key(k: &str) -> Result<String, FieldError> {
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
fn host(h: &str) -> Result<String, FieldError> {
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

fn user(u: &str) -> Result<String, FieldError> {
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

fn host_key(k: &str) -> Result<String, FieldError> {
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

fn private_key(k: &str) -> Result<String, FieldError> {
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
