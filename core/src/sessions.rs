//! Sign-in sessions of the admin web page (`web_sessions`), and the one-time sign-in links
//! with which the platform hands a signed-in user over to it.
//!
//! A session is a random id in an HttpOnly cookie; only its sha256 is stored. Each session
//! has a CSRF token that state-changing requests made with the cookie must echo. A
//! hand-over link is `/web/handover?user=…&expires=…&nonce=…&kid=…&sig=…`, an HMAC with
//! the link-signing key over `handover:{user}:{expires}:{nonce}`; it works once, and for at
//! most [`MAX_HANDOVER_SECS`].

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sqlx::PgPool;

use crate::{
    auth::{Caller, hash_token},
    links::Keys,
};

/// How long a session lasts from sign-in.
pub const SESSION_HOURS: i64 = 12;
/// Longest life of a hand-over link.
pub const MAX_HANDOVER_SECS: i64 = 600;

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A new session: the cookie's value, and the session's CSRF token.
pub struct NewSession {
    pub id: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// Opens a session for a user; sessions past their time are swept on the way.
pub async fn create(pool: &PgPool, user_id: i64) -> Result<NewSession, sqlx::Error> {
    sqlx::query("DELETE FROM web_sessions WHERE expires_at < now()")
        .execute(pool)
        .await?;
    let s = NewSession {
        id: random_hex(32),
        csrf: random_hex(32),
        expires_at: Utc::now() + Duration::hours(SESSION_HOURS),
    };
    sqlx::query(
        "INSERT INTO web_sessions (id_sha256, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(hash_token(&s.id))
    .bind(user_id)
    .bind(&s.csrf)
    .bind(s.expires_at)
    .execute(pool)
    .await?;
    Ok(s)
}

/// The caller behind a session cookie, and the session's CSRF token, while it lasts.
pub async fn caller(pool: &PgPool, id: &str) -> Result<Option<(Caller, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        caller: Caller,
        csrf_token: String,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT u.id AS user_id, u.account_id, u.role, u.email, a.plan, a.timezone, s.csrf_token
           FROM web_sessions s JOIN users u ON u.id = s.user_id
           LEFT JOIN accounts a ON a.id = u.account_id
          WHERE s.id_sha256 = $1 AND s.expires_at > now()",
    )
    .bind(hash_token(id))
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.caller, r.csrf_token)))
}

/// Ends a session.
pub async fn delete(pool: &PgPool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM web_sessions WHERE id_sha256 = $1")
        .bind(hash_token(id))
        .execute(pool)
        .await
        .map(|_| ())
}

fn handover_message(user_id: i64, expires: i64, nonce: &str) -> String {
    format!("handover:{user_id}:{expires}:{nonce}")
}

/// A one-time sign-in link for a user, valid for `secs` (at most [`MAX_HANDOVER_SECS`]).
pub fn handover_url(keys: &Keys, public_url: &str, user_id: i64, secs: i64) -> String {
    let expires = Utc::now().timestamp() + secs.clamp(1, MAX_HANDOVER_SECS);
    let nonce = random_hex(16);
    let sig = keys.sign_message(&handover_message(user_id, expires, &nonce));
    format!(
        "{public_url}/web/handover?user={user_id}&expires={expires}&nonce={nonce}&kid={}&sig={sig}",
        keys.current.id
    )
}

/// Why a hand-over link is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum HandoverError {
    /// Forged, altered, or signed with a key no longer accepted.
    Invalid,
    Expired,
    /// Its nonce was used already.
    Used,
}

/// Checks a hand-over link and burns its nonce: the user it signs in, once.
pub async fn redeem_handover(
    pool: &PgPool,
    keys: &Keys,
    user_id: i64,
    expires: i64,
    nonce: &str,
    kid: Option<&str>,
    sig: &str,
) -> Result<Result<i64, HandoverError>, sqlx::Error> {
    if nonce.len() != 32
        || !keys.verify_message(kid, &handover_message(user_id, expires, nonce), sig)
    {
        return Ok(Err(HandoverError::Invalid));
    }
    let now = Utc::now().timestamp();
    if expires < now || expires > now + MAX_HANDOVER_SECS {
        return Ok(Err(HandoverError::Expired));
    }
    sqlx::query("DELETE FROM web_handovers_used WHERE expires_at < now()")
        .execute(pool)
        .await?;
    let fresh = sqlx::query(
        "INSERT INTO web_handovers_used (nonce, expires_at) VALUES ($1, to_timestamp($2))
         ON CONFLICT DO NOTHING",
    )
    .bind(nonce)
    .bind(expires as f64)
    .execute(pool)
    .await?
    .rows_affected()
        == 1;
    Ok(if fresh {
        Ok(user_id)
    } else {
        Err(HandoverError::Used)
    })
}
