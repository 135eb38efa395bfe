//! Export state changes for the in-app stream. Postgres records each change (a trigger on
//! `exports`, deferred to the commit and taken one commit of the account at a time, so an
//! account's event ids become visible in order); after a change is committed, its writer
//! publishes the account id on Redis so every API process wakes up the account's streams
//! at once.

use apalis_redis::ConnectionManager;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use crate::Config;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({"id": 1187, "export_id": 42, "status": "running", "progress": 45, "at": "2026-11-01T09:00:02Z"}))]
pub struct ExportEvent {
    pub id: i64,
    pub export_id: i64,
    pub status: String,
    pub progress: i16,
    pub at: DateTime<Utc>,
}

/// The channel every state change is announced on; the message is the account id.
pub fn channel(cfg: &Config) -> String {
    format!("{}:events", cfg.queue_prefix)
}

/// Wakes the streams of `account_id`. Best effort: streams also poll, so a lost message
/// only delays an event by seconds.
pub async fn publish(conn: &mut ConnectionManager, cfg: &Config, account_id: i64) {
    let r: Result<i64, _> = redis::cmd("PUBLISH")
        .arg(channel(cfg))
        .arg(account_id)
        .query_async(conn)
        .await;
    if let Err(e) = r {
        tracing::debug!(error = %e, "publishing an export event failed");
    }
}

/// Events of an account after `after_id`, oldest first.
pub async fn since(
    db: impl PgExecutor<'_>,
    account_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<ExportEvent>, sqlx::Error> {
    sqlx::query_as("SELECT id, export_id, status, progress, at FROM export_events WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3")
        .bind(account_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// The newest event id of an account (0 when none): a fresh stream starts after it.
pub async fn latest(db: impl PgExecutor<'_>, account_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM export_events WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(db)
        .await
}
