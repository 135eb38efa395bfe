//! Reading settings: the lookup that treats a blank value as unset, typed parsing with an
//! error that names the setting, and the link keys, which have no default.

use std::str::FromStr;

use secrecy::SecretString;

use crate::links::{Keys, MIN_KEY_BYTES};

/// A setting that could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid value for {name}: {value:?} ({reason})")]
pub struct ConfigError {
    name: String,
    value: String,
    reason: String,
}

impl ConfigError {
    pub(super) fn new(name: &str, value: &str, reason: &str) -> Self {
        ConfigError {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

pub(super) struct Env<'a, F: Fn(&str) -> Option<String>>(pub(super) &'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    pub(super) fn opt(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }
    pub(super) fn string(&self, name: &str, default: &str) -> String {
        self.opt(name).unwrap_or_else(|| default.to_owned())
    }
    pub(super) fn parse<T: FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.opt(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::new(name, &v, &e.to_string())),
        }
    }
}

/// The link keys: `EXPORTD_SECRET` (at least 32 bytes) and `EXPORTD_SECRET_PREVIOUS`
/// (comma-separated, each at least 32 bytes). Without a secret there is no default: in
/// development mode a random key is made for this process; otherwise serving is refused.
pub(super) fn link_keys<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    dev: bool,
) -> Result<(Keys, Option<ConfigError>), ConfigError> {
    let previous: Vec<SecretString> = env
        .opt("EXPORTD_SECRET_PREVIOUS")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| {
                    if k.len() < MIN_KEY_BYTES {
                        Err(ConfigError::new(
                            "EXPORTD_SECRET_PREVIOUS",
                            "(hidden)",
                            "keys of at least 32 bytes, separated by commas",
                        ))
                    } else {
                        Ok(SecretString::from(k.to_owned()))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let problem = |why: &str| {
        Some(ConfigError::new(
            "EXPORTD_SECRET",
            "(hidden)",
            &format!(
                "{why}: set a random value of at least 32 bytes (e.g. `openssl rand -hex 32`), or EXPORTD_DEV=true for development"
            ),
        ))
    };
    let (current, problem) = match env.opt("EXPORTD_SECRET") {
        Some(s) if s.len() >= MIN_KEY_BYTES => (s, None),
        Some(_) if !dev => (random_key(), problem("shorter than 32 bytes")),
        None if !dev => (random_key(), problem("not set")),
        _ => (random_key(), None),
    };
    Ok((Keys::new(SecretString::from(current), previous), problem))
}

fn random_key() -> String {
    use rand::Rng;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}
