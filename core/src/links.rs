//! Signed download links: `/v1/exports/{id}/download?expires=…&sig=…`, an HMAC-SHA256 over
//! the export id and the expiry under the server secret. Emails carry these, never
//! presigned storage URLs, so a link lives as long as the file does.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &SecretString, export_id: i64, expires: i64) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.expose_secret().as_bytes()).expect("any key length");
    mac.update(format!("download:{export_id}:{expires}").as_bytes());
    mac
}

/// The signature of a link to `export_id` valid until `expires` (unix seconds).
pub fn sign(secret: &SecretString, export_id: i64, expires: i64) -> String {
    hex::encode(mac(secret, export_id, expires).finalize().into_bytes())
}

/// True when `sig` is the signature of (`export_id`, `expires`), compared in constant time.
pub fn verify(secret: &SecretString, export_id: i64, expires: i64, sig: &str) -> bool {
    match hex::decode(sig) {
        Ok(bytes) => mac(secret, export_id, expires).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// The full link to put in an email or a webhook.
pub fn download_url(
    public_url: &str,
    secret: &SecretString,
    export_id: i64,
    expires: i64,
) -> String {
    let sig = sign(secret, export_id, expires);
    format!("{public_url}/v1/exports/{export_id}/download?expires={expires}&sig={sig}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_id_expiry_or_secret_breaks_the_signature() {
        let s = SecretString::from("k1");
        let sig = sign(&s, 7, 1000);
        assert!(verify(&s, 7, 1000, &sig));
        assert!(!verify(&s, 8, 1000, &sig));
        assert!(!verify(&s, 7, 1001, &sig));
        assert!(!verify(&SecretString::from("k2"), 7, 1000, &sig));
        assert!(!verify(&s, 7, 1000, "zz"));
    }
}
