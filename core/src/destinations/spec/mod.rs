//! What a destination is: its type, the settings that may be shown, and the secret kept
//! sealed beside them. Every field is checked here, with a limit and an error naming it,
//! for the API's create and change alike.

use serde::{Deserialize, Serialize};

mod fields;
mod types;

use types::{check_s3, check_sftp};

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
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
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

/// Never prints a secret: the type, the name, and which fields are given.
impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |v: &Option<String>| v.as_ref().map(|_| "(given)");
        f.debug_struct("Draft")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("webhook_url", &secret(&self.webhook_url))
            .field("secret_access_key", &secret(&self.secret_access_key))
            .field("private_key", &secret(&self.private_key))
            .field("password", &secret(&self.password))
            .field("host", &self.host)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
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

pub(crate) fn refuse(code: &'static str, message: impl Into<String>) -> FieldError {
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
