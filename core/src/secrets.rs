//! Secrets at rest: AES-256-GCM under the operator's keys. `EXPORTD_ENCRYPTION_KEY` is
//! `id:base64(32 bytes)`, or several, comma-separated, newest first: the first seals, any
//! opens what it sealed, so a key is rotated by putting a new one first and re-saving.
//! Each secret is bound to its account (the associated data), so a sealed value moved to
//! another account's row does not open.

use std::fmt;

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng, Payload},
};
use base64::Engine;

/// The keys, by id; the first seals.
#[derive(Clone)]
pub struct Sealer {
    keys: Vec<(String, Aes256Gcm)>,
}

/// Never prints a key.
impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "Sealer {{ key ids: {ids:?} }}")
    }
}

/// A secret as stored: the id of the key that sealed it, then nonce and ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

const NONCE: usize = 12;

/// A new key for `EXPORTD_ENCRYPTION_KEY`: `id:` and 32 random bytes in base64.
pub fn new_key(id: &str) -> String {
    use rand::Rng;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    format!(
        "{id}:{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

impl Sealer {
    /// Reads `id:base64key[,id:base64key…]`; the reason, without the key, when it cannot.
    pub fn parse(value: &str) -> Result<Sealer, String> {
        let mut keys = Vec::new();
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, key) = part
                .split_once(':')
                .ok_or("each key is written id:base64, e.g. k1:… (32 bytes, base64)")?;
            if id.is_empty()
                || id.len() > 32
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!(
                    "the key id {id:?} must be 1 to 32 letters, digits, - or _"
                ));
            }
            let raw = base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|_| format!("the key {id} is not base64"))?;
            let cipher = Aes256Gcm::new_from_slice(&raw)
                .map_err(|_| format!("the key {id} is {} bytes; AES-256 needs 32", raw.len()))?;
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("the key id {id} is given twice"));
            }
            keys.push((id.to_owned(), cipher));
        }
        if keys.is_empty() {
            return Err("no key given".into());
        }
        Ok(Sealer { keys })
    }

    /// Seals `secret` for account `account_id` with the newest key.
    pub fn seal(&self, account_id: i64, secret: &[u8]) -> Sealed {
        let (id, cipher) = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = account_id.to_be_bytes();
        let ct = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .expect("AES-GCM seals any length this service stores");
        let mut bytes = nonce.to_vec();
        bytes.extend(ct);
        Sealed {
            key_id: id.clone(),
            bytes,
        }
    }

    /// Opens a secret sealed for `account_id`; why not, when it cannot (an unknown key
    /// id, or a value altered or moved to another account).
    pub fn open(&self, account_id: i64, sealed: &Sealed) -> Result<Vec<u8>, String> {
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(id, _)| *id == sealed.key_id)
            .ok_or_else(|| format!("the secret was sealed with key {:?}, which EXPORTD_ENCRYPTION_KEY no longer has", sealed.key_id))?;
        if sealed.bytes.len() < NONCE {
            return Err("the stored secret is cut short".into());
        }
        let (nonce, ct) = sealed.bytes.split_at(NONCE);
        let aad = account_id.to_be_bytes();
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| "the stored secret does not open: altered, or not this account's".into())
    }
}

impl Sealer {
    /// Opens a secret that was text (a URL, a password); why not, when it cannot.
    pub fn open_text(&self, account_id: i64, sealed: &Sealed) -> Result<String, String> {
        String::from_utf8(self.open(account_id, sealed)?)
            .map_err(|_| "the stored secret is not text".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> String {
        base64::engine::general_purpose::STANDARD.encode([b; 32])
    }

    #[test]
    fn a_secret_opens_for_its_account_only_and_across_a_rotation() {
        let old = Sealer::parse(&format!("k1:{}", key(1))).unwrap();
        let sealed = old.seal(7, b"https://hooks.slack.com/services/T/B/x");
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.bytes.windows(5).any(|w| w == b"hooks"));
        assert_eq!(
            old.open(7, &sealed).unwrap(),
            b"https://hooks.slack.com/services/T/B/x"
        );
        assert!(old.open(8, &sealed).is_err(), "another account's row");
        let rotated = Sealer::parse(&format!("k2:{}, k1:{}", key(2), key(1))).unwrap();
        assert!(rotated.open(7, &sealed).is_ok(), "the old key still opens");
        assert_eq!(rotated.seal(7, b"x").key_id, "k2", "the new key seals");
        let mut bent = sealed.clone();
        bent.bytes[NONCE] ^= 1;
        assert!(old.open(7, &bent).is_err());
        let other = Sealer::parse(&format!("k3:{}", key(3))).unwrap();
        assert!(other.open(7, &sealed).unwrap_err().contains("k1"));
    }

    #[test]
    fn malformed_keys_are_refused_without_echoing_them() {
        for bad in [
            "",
            "nokey",
            "k1:notbase64!!",
            &format!(
                "k1:{}",
                base64::engine::general_purpose::STANDARD.encode([0u8; 16])
            ),
            &format!("k1:{},k1:{}", key(1), key(2)),
        ] {
            let e = Sealer::parse(bad).unwrap_err();
            assert!(!e.contains(&key(1)), "{e}");
        }
        assert!(format!("{:?}", Sealer::parse(&format!("k1:{}", key(1))).unwrap()).contains("k1"));
    }
}
