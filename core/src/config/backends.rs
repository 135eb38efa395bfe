//! The swappable backends' settings: S3 storage when `S3_BUCKET` is set (else a local
//! directory), SMTP mail when `SMTP_HOST` is set (else an outbox directory).

use secrecy::SecretString;

use super::env::{ConfigError, Env};

/// S3 storage, used when `S3_BUCKET` is set.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub force_path_style: bool,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
}

/// exportd's own AWS identity for assuming customers' roles (S3 destinations in role mode):
/// the access key pair in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, and STS at
/// `EXPORTD_STS_ENDPOINT` (AWS's regional STS when unset).
#[derive(Debug, Clone)]
pub struct StsConfig {
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
}

/// SMTP mail, used when `SMTP_HOST` is set.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub tls: SmtpTls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

/// S3 storage from `S3_BUCKET` and the variables beside it; `None` when it is not set.
pub(super) fn s3<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
) -> Option<Result<S3Config, ConfigError>> {
    env.opt("S3_BUCKET")
        .map(|bucket| -> Result<S3Config, ConfigError> {
            Ok(S3Config {
                bucket,
                endpoint: env.opt("S3_ENDPOINT"),
                force_path_style: env.parse("S3_FORCE_PATH_STYLE", false)?,
                region: env.string("AWS_REGION", "us-east-1"),
                access_key_id: env.opt("AWS_ACCESS_KEY_ID"),
                secret_access_key: env.opt("AWS_SECRET_ACCESS_KEY").map(SecretString::from),
            })
        })
}

/// The identity that assumes customers' roles.
pub(super) fn sts<F: Fn(&str) -> Option<String>>(env: &Env<'_, F>) -> StsConfig {
    StsConfig {
        endpoint: env.opt("EXPORTD_STS_ENDPOINT").filter(|e| !e.is_empty()),
        region: env.string("AWS_REGION", "us-east-1"),
        access_key_id: env.opt("AWS_ACCESS_KEY_ID"),
        secret_access_key: env.opt("AWS_SECRET_ACCESS_KEY").map(SecretString::from),
    }
}

/// SMTP mail from `SMTP_HOST` and the variables beside it; `None` when it is not set.
pub(super) fn smtp<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
) -> Option<Result<SmtpConfig, ConfigError>> {
    env.opt("SMTP_HOST")
        .map(|host| -> Result<SmtpConfig, ConfigError> {
            let tls = match env.string("SMTP_TLS", "none").as_str() {
                "none" => SmtpTls::None,
                "starttls" => SmtpTls::StartTls,
                "tls" => SmtpTls::Tls,
                other => {
                    return Err(ConfigError::new("SMTP_TLS", other, "none, starttls or tls"));
                }
            };
            let default_port = match tls {
                SmtpTls::None => 25,
                SmtpTls::StartTls => 587,
                SmtpTls::Tls => 465,
            };
            Ok(SmtpConfig {
                host,
                port: env.parse("SMTP_PORT", default_port)?,
                username: env.opt("SMTP_USERNAME"),
                password: env.opt("SMTP_PASSWORD").map(SecretString::from),
                tls,
            })
        })
}
