//! API tokens: only a token's sha256 is stored (`api_tokens.token_sha256`).

use chrono_tz::Tz;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row, postgres::PgRow};

use crate::{
    domain::Plan,
    ids::{AccountId, UserId},
    stored,
};

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub account_id: i64,
    pub role: String,
    pub email: Option<String>,
    /// The account's plan and timezone, read with the token (`None`: the account is gone).
    pub plan: Option<Plan>,
    pub timezone: Option<Tz>,
}

/// From `user_id, account_id, role, email, plan, timezone`; a plan or timezone this build
/// does not know is an error naming the account.
impl<'r> sqlx::FromRow<'r, PgRow> for Caller {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        let account_id: i64 = row.try_get("account_id")?;
        Ok(Caller {
            user_id: row.try_get("user_id")?,
            account_id,
            role: row.try_get("role")?,
            email: row.try_get("email")?,
            plan: stored::parsed_opt(row, "accounts", account_id, "plan", Plan::parse)?,
            timezone: stored::parsed_opt(row, "accounts", account_id, "timezone", stored::tz)?,
        })
    }
}

impl Caller {
    /// The caller's account, typed for signatures that also take another id.
    pub fn account(&self) -> AccountId {
        AccountId(self.account_id)
    }

    /// The caller, typed.
    pub fn user(&self) -> UserId {
        UserId(self.user_id)
    }

    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a token for a user and returns it; it is shown once and never stored in clear.
pub async fn create_token(pool: &PgPool, user_id: i64) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("exd_{}", hex::encode(bytes));
    sqlx::query(
        "INSERT INTO api_tokens (user_id, token_sha256) SELECT id, $2 FROM users WHERE id = $1",
    )
    .bind(user_id)
    .bind(hash_token(&token))
    .execute(pool)
    .await
    .and_then(|r| {
        if r.rows_affected() == 1 {
            Ok(())
        } else {
            Err(sqlx::Error::RowNotFound)
        }
    })?;
    Ok(token)
}

/// The caller behind a bearer token, if the token exists and is not revoked.
pub async fn caller_for_token(pool: &PgPool, token: &str) -> Result<Option<Caller>, sqlx::Error> {
    caller_for_digest(pool, &hash_token(token)).await
}

/// The caller behind a token's sha256 ([`hash_token`]), if it exists and is not revoked.
pub async fn caller_for_digest(
    pool: &PgPool,
    digest: &[u8],
) -> Result<Option<Caller>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id AS user_id, u.account_id, u.role, u.email, a.plan, a.timezone
           FROM api_tokens t JOIN users u ON u.id = t.user_id
           LEFT JOIN accounts a ON a.id = u.account_id
          WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL",
    )
    .bind(digest)
    .fetch_optional(pool)
    .await
}
