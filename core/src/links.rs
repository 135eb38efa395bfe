//! Signed download links: `/v1/exports/{id}/download?kid=…&expires=…&sig=…`, an
//! HMAC-SHA256 over the export id and the expiry. Emails carry these, never presigned
//! storage URLs, so a link lives as long as the file does.
//!
//! Keys carry an id (the first 8 hex digits of the key's SHA-256), so they rotate without
//! breaking links already sent: new links are signed with the current key
//! (`EXPORTD_SECRET`), and links signed with a previous one (`EXPORTD_SECRET_PREVIOUS`) keep
//! working until they expire. This key signs links only: webhooks are signed with each
//! account's own secret.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// One signing key and its id.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    secret: SecretString,
}

impl Key {
    pub fn new(secret: SecretString) -> Key {
        let id = hex::encode(&Sha256::digest(secret.expose_secret().as_bytes())[..4]);
        Key { id, secret }
    }

    /// The MAC of a message; each use names itself at the message's start (`download:`,
    /// `handover:`), so a signature made for one use is worthless for another.
    fn mac(&self, message: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.secret.expose_secret().as_bytes())
            .expect("any key length");
        mac.update(message.as_bytes());
        mac
    }
}

/// The current key and the previous ones still accepted.
#[derive(Debug, Clone)]
pub struct Keys {
    pub current: Key,
    pub previous: Vec<Key>,
}

impl Keys {
    pub fn new(current: SecretString, previous: Vec<SecretString>) -> Keys {
        Keys {
            current: Key::new(current),
            previous: previous.into_iter().map(Key::new).collect(),
        }
    }

    /// The signature of a link to `export_id` valid until `expires` (unix seconds), with
    /// the current key.
    pub fn sign(&self, export_id: i64, expires: i64) -> String {
        self.sign_message(&format!("download:{export_id}:{expires}"))
    }

    /// The hex signature of `message` with the current key.
    pub fn sign_message(&self, message: &str) -> String {
        hex::encode(self.current.mac(message).finalize().into_bytes())
    }

    /// True when `sig` signs `message` under the key `kid` (any accepted key when `None`),
    /// compared in constant time.
    pub fn verify_message(&self, kid: Option<&str>, message: &str, sig: &str) -> bool {
        let Ok(bytes) = hex::decode(sig) else {
            return false;
        };
        std::iter::once(&self.current)
            .chain(&self.previous)
            .filter(|k| kid.is_none_or(|id| id == k.id))
            .any(|k| k.mac(message).verify_slice(&bytes).is_ok())
    }

    /// True when `sig` is the signature of (`export_id`, `expires`) under the key `kid`
    /// (any accepted key when the link names none), compared in constant time.
    pub fn verify(&self, kid: Option<&str>, export_id: i64, expires: i64, sig: &str) -> bool {
        self.verify_message(kid, &format!("download:{export_id}:{expires}"), sig)
    }

    /// The full link to put in an email, the feed or a webhook.
    pub fn download_url(&self, public_url: &str, export_id: i64, expires: i64) -> String {
        let sig = self.sign(export_id, expires);
        format!(
            "{public_url}/v1/exports/{export_id}/download?kid={}&expires={expires}&sig={sig}",
            self.current.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(current: &str, previous: &[&str]) -> Keys {
        Keys::new(
            SecretString::from(current),
            previous.iter().map(|p| SecretString::from(*p)).collect(),
        )
    }

    #[test]
    fn a_changed_id_expiry_or_secret_breaks_the_signature() {
        let s = keys("k1", &[]);
        let sig = s.sign(7, 1000);
        assert!(s.verify(None, 7, 1000, &sig));
        assert!(s.verify(Some(&s.current.id), 7, 1000, &sig));
        assert!(!s.verify(Some("00000000"), 7, 1000, &sig));
        assert!(!s.verify(None, 8, 1000, &sig));
        assert!(!s.verify(None, 7, 1001, &sig));
        assert!(!keys("k2", &[]).verify(None, 7, 1000, &sig));
        assert!(!s.verify(None, 7, 1000, "zz"));
    }

    #[test]
    fn links_signed_with_a_previous_key_keep_working_and_new_ones_use_the_new_key() {
        let old = keys("old-key", &[]);
        let old_sig = old.sign(7, 1000);
        let rotated = keys("new-key", &["old-key"]);
        assert!(rotated.verify(Some(&old.current.id), 7, 1000, &old_sig));
        assert_ne!(rotated.sign(7, 1000), old_sig);
        assert!(
            rotated
                .download_url("http://x", 7, 1000)
                .contains(&rotated.current.id)
        );
        // Dropped from the previous keys: its links stop working.
        assert!(!keys("new-key", &[]).verify(Some(&old.current.id), 7, 1000, &old_sig));
    }
}
