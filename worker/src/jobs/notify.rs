//! The `notify` job: send one notification row over its channel ([`crate::notify`]). A row
//! already sent, or taken by another delivery of the same job moments ago, is left alone,
//! so each recipient hears once however often the job is delivered.

use std::{sync::Arc, time::Duration};

use apalis::prelude::{BoxDynError, Data};
use exportd_core::{
    exports,
    notifications::{self, Notification, Status},
    queue::SendNotification,
    telemetry,
};
use tracing::{info, instrument, warn};

use crate::{Ctx, notify::DeliveryError};

/// How long a row taken for sending is held from other deliveries.
const HOLD_SECS: f64 = 60.0;

pub async fn handle(job: SendNotification, ctx: Data<Arc<Ctx>>) -> Result<(), BoxDynError> {
    let ctx: Arc<Ctx> = (*ctx).clone();
    // On a task of its own, so that a send the server accepted is always recorded: a
    // queue worker restarted mid-send would otherwise drop it before `mark_sent`, and the
    // recipient would hear twice.
    super::detached(async move { run(&ctx, job.notification_id).await })
        .await
        .map_err(|e| {
            tracing::error!(
                notification.id = job.notification_id,
                error = format!("{e:#}"),
                "notify job failed"
            );
            e.into()
        })
}

#[instrument(skip_all, fields(notification.id = id))]
pub async fn run(ctx: &Ctx, id: i64) -> anyhow::Result<()> {
    let Some(n) = notifications::take_for_sending(&ctx.pool, id, HOLD_SECS).await? else {
        tracing::debug!("already sent, being sent, or gone");
        return Ok(());
    };
    let Some(export) = exports::get(&ctx.pool, n.export_id).await? else {
        return Ok(());
    };
    let result = crate::notify::send(ctx, &n, &export).await;
    // The send happened: record it, through a short database outage too (within the hold,
    // so no other delivery sends it again meanwhile).
    super::persist(Duration::from_secs_f64(HOLD_SECS * 0.75), "a send", || {
        record(ctx, &n, &result)
    })
    .await
}

/// Records one attempt and its outcome on the notification row.
async fn record(
    ctx: &Ctx,
    n: &Notification,
    result: &Result<Option<String>, DeliveryError>,
) -> anyhow::Result<()> {
    let mut tx = ctx.pool.begin().await?;
    sqlx::query("INSERT INTO notification_attempts (notification_id, attempt, ok, error) VALUES ($1, $2, $3, $4)")
        .bind(n.id)
        .bind(n.attempts)
        .bind(result.is_ok())
        .bind(result.as_ref().err().map(|e| e.message.clone()))
        .execute(&mut *tx)
        .await?;
    let channel = n.channel.as_str();
    match result {
        Ok(written) => {
            notifications::mark_sent(&mut *tx, n.id, written.as_deref()).await?;
            let tell = tell_undelivered(&mut tx, n).await?;
            tx.commit().await?;
            if tell {
                super::push_notifications(ctx, n.export_id).await;
            }
            telemetry::notification(channel, Status::Sent.as_str());
            info!(channel, attempt = n.attempts, "notification sent");
        }
        Err(e) => {
            let delay =
                super::backoff_secs(ctx.cfg.retry_base, n.attempts, super::NOTIFY_BACKOFF_CAP);
            // Retries outlast real outages: up to a day by default, on a growing schedule.
            let give_up = e.permanent
                || n.attempts >= ctx.cfg.max_attempts
                || !super::within_window(n.created_at, ctx.cfg.notify_retry_window, delay);
            notifications::mark_attempt_failed(&mut *tx, n.id, &e.message, delay, give_up).await?;
            let tell = give_up && tell_undelivered(&mut tx, n).await?;
            tx.commit().await?;
            if tell {
                super::push_notifications(ctx, n.export_id).await;
            }
            // A retry to come leaves the row pending; giving up marks it failed.
            let outcome = if give_up {
                Status::Failed.as_str()
            } else {
                "retry"
            };
            telemetry::notification(channel, outcome);
            warn!(channel, attempt = n.attempts, give_up, error = %e.message, "notification not sent");
        }
    }
    Ok(())
}

/// A destination's delivery settled: if it was the export's last and one failed, its
/// email recipients are told ([`exports::tell_undelivered`]).
async fn tell_undelivered(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    n: &Notification,
) -> Result<bool, sqlx::Error> {
    if exportd_core::destinations::parse_recipient(&n.recipient).is_none() {
        return Ok(false);
    }
    exports::tell_undelivered(tx, n.account_id, n.export_id).await
}
