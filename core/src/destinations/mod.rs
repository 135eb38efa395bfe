//! Destinations: an account's places for its finished files besides exportd's bucket: a
//! Slack channel, the customer's S3 bucket, or their SFTP server. Every query is scoped by
//! account. The secret (a Slack webhook URL, an access key's secret, an SSH private key or
//! password) is stored sealed ([`crate::secrets`]) and opened only by the sender and the
//! test. What a type takes is in [`spec`]; writing files is in [`deliver`].

pub mod deliver;
pub mod naming;
pub mod s3;
pub mod sftp;
pub mod spec;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row, postgres::PgRow};

use crate::{
    ids::{AccountId, UserId},
    secrets::Sealed,
};

/// A destination as shown: never its secret.
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub name: String,
    pub settings: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl<'r> sqlx::FromRow<'r, PgRow> for Destination {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Destination {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            kind: row.try_get("kind")?,
            name: row.try_get("name")?,
            settings: row.try_get("settings")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

impl Destination {
    /// Its settings, typed ([`spec::Settings`]).
    pub fn parsed(&self) -> Result<spec::Settings, serde_json::Error> {
        serde_json::from_value(self.settings.clone())
    }
}

const COLUMNS: &str = "id, account_id, kind, name, settings, created_at, updated_at";

/// The most destinations an account keeps.
pub const MAX_PER_ACCOUNT: i64 = 20;

pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    created_by: UserId,
    kind: &str,
    name: &str,
    settings: &Value,
    secret: &Sealed,
) -> Result<Destination, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO destinations (account_id, created_by, kind, name, settings, secret, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    )))
    .bind(account_id)
    .bind(created_by)
    .bind(kind)
    .bind(name)
    .bind(settings)
    .bind(&secret.bytes)
    .bind(&secret.key_id)
    .fetch_one(db)
    .await
}

/// Changes the name, the shown settings and, when given, the secret.
pub async fn update(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: i64,
    name: &str,
    settings: &Value,
    secret: Option<&Sealed>,
) -> Result<Option<Destination>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE destinations SET name = $3, settings = $4, secret = coalesce($5, secret),
                key_id = coalesce($6, key_id), updated_at = now()
          WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(account_id)
    .bind(name)
    .bind(settings)
    .bind(secret.map(|s| &s.bytes))
    .bind(secret.map(|s| &s.key_id))
    .fetch_optional(db)
    .await
}

pub async fn get(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: i64,
) -> Result<Option<Destination>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM destinations WHERE id = $1 AND account_id = $2");
    crate::db::one2(db, sql, id, account_id).await
}

pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<Destination>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM destinations WHERE account_id = $1 ORDER BY id"
    )))
    .bind(account_id)
    .fetch_all(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>, account_id: AccountId) -> Result<i64, sqlx::Error> {
    crate::db::count_for_account(db, "destinations", account_id.0).await
}

/// Deletes an account's destination; false when it was not the account's. Deliveries to
/// it not yet made fail, saying it was deleted.
pub async fn delete(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: i64,
) -> Result<bool, sqlx::Error> {
    crate::db::delete_for_account(db, "destinations", id, account_id.0).await
}

/// The destination with its sealed secret, for the sender.
pub async fn with_secret(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: i64,
) -> Result<Option<(Destination, Sealed)>, sqlx::Error> {
    let row: Option<PgRow> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, secret, key_id FROM destinations WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(account_id)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        let d = <Destination as sqlx::FromRow<PgRow>>::from_row(&r)?;
        let sealed = Sealed {
            key_id: r.try_get("key_id")?,
            bytes: r.try_get("secret")?,
        };
        Ok((d, sealed))
    })
    .transpose()
}

/// Of `ids`, those that are not the account's destinations.
pub async fn not_owned(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT i FROM unnest($2::int8[]) AS i
          WHERE NOT EXISTS (SELECT 1 FROM destinations d WHERE d.id = i AND d.account_id = $1)",
    )
    .bind(account_id)
    .bind(ids)
    .fetch_all(db)
    .await
}

/// How the delivery of an export to one destination went.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({"destination": 4, "type": "sftp", "status": "sent", "attempts": 2,
    "error": null, "written": "sftp://exportd@sftp.acme.example:22/incoming/sessions_detail_2026-11-01_2026-11-30_812.csv (48213 bytes)",
    "sent_at": "2026-12-01T06:00:41Z"}))]
pub struct Delivery {
    pub destination: i64,
    /// `slack`, `s3` or `sftp`.
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: String,
    /// `pending` (being tried, or waiting for a retry), `sent` or `failed` (for good).
    pub status: String,
    pub attempts: i32,
    /// The last attempt's failure, in words.
    pub error: Option<String>,
    /// What was written where (S3 and SFTP).
    pub written: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The deliveries of an export of the account, by destination.
pub async fn deliveries(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    export_id: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    sqlx::query_as(
        "SELECT substr(recipient, 13)::int8 AS destination, channel AS type, status, attempts,
                last_error AS error, written, sent_at
           FROM notifications
          WHERE export_id = $1 AND account_id = $2 AND recipient LIKE 'destination:%'
          ORDER BY 1",
    )
    .bind(export_id)
    .bind(account_id)
    .fetch_all(db)
    .await
}

/// The destinations of an account's export whose delivery failed for good: each one's name
/// (or number, if deleted since) and type. Not why: that is for the account's admins, in
/// `GET /v1/exports/{id}`.
pub async fn undelivered(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    export_id: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT coalesce(d.name, '#' || substr(n.recipient, 13)), n.channel
           FROM notifications n
           LEFT JOIN destinations d ON d.id = substr(n.recipient, 13)::int8 AND d.account_id = n.account_id
          WHERE n.export_id = $1 AND n.account_id = $2 AND n.recipient LIKE 'destination:%'
            AND n.status = 'failed'
          ORDER BY n.id",
    )
    .bind(export_id)
    .bind(account_id)
    .fetch_all(db)
    .await
}

/// Resolves a destination's host (an SFTP server, an S3 endpoint) and checks every address
/// it resolves to; the addresses, or why not in words: a refused address is for good, a
/// name that does not resolve now may later.
pub async fn resolve_checked(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<std::net::SocketAddr>, crate::webhooks::PostError> {
    use crate::webhooks::{PostError, TargetError, resolve_host};
    match resolve_host(host, port, allow_private).await {
        Ok(addrs) => Ok(addrs),
        Err(TargetError::Private { ip, .. }) => Err(PostError::permanent(format!(
            "{host} is {ip}, a loopback, private, link-local or metadata address; only public addresses are allowed"
        ))),
        Err(_) => Err(PostError::transient(format!("{host} does not resolve"))),
    }
}

/// The recipient a delivery row names for destination `id`.
pub fn recipient(id: i64) -> String {
    format!("destination:{id}")
}

/// The destination a delivery row's recipient names.
pub fn parse_recipient(recipient: &str) -> Option<i64> {
    recipient.strip_prefix("destination:")?.parse().ok()
}
