//! The notification rows of a finished export: one per (channel, recipient) it names, and
//! one per destination it delivers to, made in the transaction that finishes it, so a
//! finished export always has them.

use sqlx::{Postgres, Transaction};

use super::Export;
use crate::notifications::{Channel, Event, Status};

/// Creates the rows for a finished `export`, for the recipients it names (`notify`). With
/// none named, the requesting admin is emailed and notified in-app. Existing rows are kept
/// as they are, so a second call sends nothing twice.
pub async fn create_notifications(
    tx: &mut Transaction<'_, Postgres>,
    export: &Export,
    event: Event,
) -> Result<(), sqlx::Error> {
    let spec = &export.notify;
    let requester: Option<(i64, Option<String>)> = match export.requested_by {
        Some(uid) => {
            sqlx::query_as("SELECT id, email FROM users WHERE id = $1 AND account_id = $2")
                .bind(uid)
                .bind(export.account_id)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => None,
    };
    let named = !spec.emails.is_empty() || spec.webhook.is_some() || spec.in_app.is_some();
    let mut rows: Vec<(Channel, String, Option<i64>)> = Vec::new();
    if named {
        rows.extend(
            spec.emails
                .iter()
                .map(|e| (Channel::Email, e.trim().to_lowercase(), None)),
        );
        if let Some(url) = &spec.webhook {
            rows.push((Channel::Webhook, url.clone(), None));
        }
        if spec.in_app == Some(true)
            && let Some((uid, _)) = &requester
        {
            rows.push((Channel::InApp, format!("user:{uid}"), Some(*uid)));
        }
    } else if let Some((uid, email)) = &requester {
        if let Some(email) = email.as_deref().filter(|e| !e.is_empty()) {
            rows.push((Channel::Email, email.trim().to_lowercase(), Some(*uid)));
        }
        rows.push((Channel::InApp, format!("user:{uid}"), Some(*uid)));
    }
    // The destinations get the file when there is one, each over its type's channel. One
    // deleted meanwhile gets nothing: there is nowhere to deliver.
    if event == Event::Succeeded && !export.deliver.is_empty() {
        let kinds: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, kind FROM destinations WHERE account_id = $1 AND id = ANY($2) ORDER BY id",
        )
        .bind(export.account_id)
        .bind(&export.deliver)
        .fetch_all(&mut **tx)
        .await?;
        rows.extend(kinds.into_iter().filter_map(|(id, kind)| {
            Some((
                Channel::from(crate::destinations::spec::Kind::parse(&kind)?),
                crate::destinations::recipient(id),
                None,
            ))
        }));
    }
    for (channel, recipient, user_id) in rows {
        // In-app rows are delivered by being stored: they are sent on creation.
        let status = match channel {
            Channel::InApp => Status::Sent,
            Channel::Email | Channel::Webhook | Channel::Slack | Channel::S3 | Channel::Sftp => {
                Status::Pending
            }
        };
        sqlx::query(
            "INSERT INTO notifications (export_id, account_id, user_id, channel, recipient, event, status, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END)
             ON CONFLICT (export_id, channel, recipient, event) DO NOTHING",
        )
        .bind(export.id)
        .bind(export.account_id)
        .bind(user_id)
        .bind(channel)
        .bind(&recipient)
        .bind(event)
        .bind(status)
        .bind(status == Status::Sent)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Once every destination of an export has settled and at least one will not get the
/// file: one email to each of the export's email recipients saying so (the file itself is
/// ready and linked). Called after each destination's delivery settles; the export's row
/// is locked first, so that of two deliveries settling at once the later one sees the
/// other's outcome. Returns whether rows were made.
pub async fn tell_undelivered(
    tx: &mut Transaction<'_, Postgres>,
    account_id: i64,
    export_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query("SELECT 1 FROM exports WHERE id = $1 AND account_id = $2 FOR UPDATE")
        .bind(export_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    let made = sqlx::query(
        "INSERT INTO notifications (export_id, account_id, user_id, channel, recipient, event, status)
         SELECT export_id, account_id, user_id, channel, recipient, $3, $4
           FROM notifications
          WHERE export_id = $1 AND account_id = $2 AND channel = $5 AND event = $6
            AND NOT EXISTS (SELECT 1 FROM notifications d WHERE d.export_id = $1
                               AND d.recipient LIKE 'destination:%' AND d.status = $4)
            AND EXISTS (SELECT 1 FROM notifications d WHERE d.export_id = $1
                           AND d.recipient LIKE 'destination:%' AND d.status = $7)
         ON CONFLICT (export_id, channel, recipient, event) DO NOTHING",
    )
    .bind(export_id)
    .bind(account_id)
    .bind(Event::DeliveryFailed)
    .bind(Status::Pending)
    .bind(Channel::Email)
    .bind(Event::Succeeded)
    .bind(Status::Failed)
    .execute(&mut **tx)
    .await?;
    Ok(made.rows_affected() > 0)
}
