//! Notifications: one row per (export, channel, recipient), unique. Rows are created in the
//! same transaction that finishes the export, so a finished export always has them; sending
//! marks a row sent, and a retry sends only what is not sent yet.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, Postgres, Transaction};

/// Who to tell when an export is ready, as requested.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"emails": ["admin@example.com"], "webhook": "https://hooks.example.com/exportd", "in_app": true}))]
pub struct NotifySpec {
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub webhook: Option<String>,
    #[serde(default)]
    pub in_app: Option<bool>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub export_id: i64,
    pub account_id: i64,
    pub user_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub event: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, export_id, account_id, user_id, channel, recipient, event, status, attempts, last_error, sent_at, read_at, created_at";

/// Creates the rows for a finished export (`event` is `succeeded` or `failed`). With no
/// recipients named, the requesting admin is emailed and notified in-app. Existing rows
/// are kept as they are, so a second call sends nothing twice.
pub async fn create_for_export(
    tx: &mut Transaction<'_, Postgres>,
    export_id: i64,
    account_id: i64,
    requested_by: Option<i64>,
    spec: &NotifySpec,
    event: &str,
) -> Result<(), sqlx::Error> {
    let requester: Option<(i64, Option<String>)> = match requested_by {
        Some(uid) => {
            sqlx::query_as("SELECT id, email FROM users WHERE id = $1 AND account_id = $2")
                .bind(uid)
                .bind(account_id)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => None,
    };
    let named = !spec.emails.is_empty() || spec.webhook.is_some() || spec.in_app.is_some();
    let mut rows: Vec<(&str, String, Option<i64>)> = Vec::new();
    if named {
        rows.extend(
            spec.emails
                .iter()
                .map(|e| ("email", e.trim().to_lowercase(), None)),
        );
        if let Some(url) = &spec.webhook {
            rows.push(("webhook", url.clone(), None));
        }
        if spec.in_app == Some(true)
            && let Some((uid, _)) = &requester
        {
            rows.push(("in_app", format!("user:{uid}"), Some(*uid)));
        }
    } else if let Some((uid, email)) = &requester {
        if let Some(email) = email.as_deref().filter(|e| !e.is_empty()) {
            rows.push(("email", email.trim().to_lowercase(), Some(*uid)));
        }
        rows.push(("in_app", format!("user:{uid}"), Some(*uid)));
    }
    for (channel, recipient, user_id) in rows {
        // In-app rows are delivered by being stored: they are sent on creation.
        let status = if channel == "in_app" {
            "sent"
        } else {
            "pending"
        };
        sqlx::query(
            "INSERT INTO notifications (export_id, account_id, user_id, channel, recipient, event, status, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 = 'sent' THEN now() END)
             ON CONFLICT (export_id, channel, recipient) DO NOTHING",
        )
        .bind(export_id)
        .bind(account_id)
        .bind(user_id)
        .bind(channel)
        .bind(&recipient)
        .bind(event)
        .bind(status)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Notification>, sqlx::Error> {
    crate::db::one(
        db,
        format!("SELECT {COLUMNS} FROM notifications WHERE id = $1"),
        id,
    )
    .await
}

/// Takes a pending row for sending: returns it only if no other sender took it in the last
/// `hold_secs`. This keeps two deliveries of one job from sending twice at once.
pub async fn take_for_sending(
    db: impl PgExecutor<'_>,
    id: i64,
    hold_secs: f64,
) -> Result<Option<Notification>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE notifications SET attempts = attempts + 1, run_after = now() + make_interval(secs => $2)
          WHERE id = $1 AND status = 'pending' AND run_after <= now()
        RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(hold_secs)
    .fetch_optional(db)
    .await
}

pub async fn mark_sent(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1 AND status = 'pending'")
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Records a failed attempt: retried after `delay_secs`, or failed for good when `give_up`.
pub async fn mark_attempt_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    error: &str,
    delay_secs: f64,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications
            SET last_error = $2, status = CASE WHEN $4 THEN 'failed' ELSE status END,
                run_after = now() + make_interval(secs => $3), dispatched_at = NULL
          WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(error)
    .bind(delay_secs)
    .bind(give_up)
    .execute(db)
    .await
    .map(|_| ())
}

/// The pending rows of an export, to push right after it finished.
pub async fn pending_for_export(
    db: impl PgExecutor<'_>,
    export_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM notifications WHERE export_id = $1 AND status = 'pending' ORDER BY id",
    )
    .bind(export_id)
    .fetch_all(db)
    .await
}
