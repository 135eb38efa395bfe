//! Send one notification row: an email or a signed webhook. A row already sent, or taken
//! by another delivery of the same job moments ago, is left alone, so each recipient hears
//! once however often the job is delivered.

use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use exportd_core::{
    accounts::{self, Account},
    exports::{self, Export},
    notifications::{self, Notification},
    queue::SendNotification,
    webhooks,
};
use std::time::Duration;

use tracing::{info, instrument, warn};

use crate::{
    Ctx,
    mail::{self, ExportEmail},
    reports,
    webhook::DeliveryError,
};

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
    // An account deleted since still gets its failure notice, in the default locale.
    let account = match accounts::get(&ctx.pool, export.account_id).await? {
        Some(a) => a,
        None => Account {
            id: export.account_id,
            name: String::new(),
            plan: exportd_core::domain::Plan::Free,
            timezone: export.timezone.parse().unwrap_or(chrono_tz::UTC),
            locale: exportd_core::domain::Locale::Es,
        },
    };
    let result = match n.channel.as_str() {
        "email" => send_email(ctx, &n, &export, &account).await,
        "webhook" => send_webhook(ctx, &n, &export).await,
        _ => Ok(()),
    };
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
    result: &Result<(), DeliveryError>,
) -> anyhow::Result<()> {
    let mut tx = ctx.pool.begin().await?;
    sqlx::query("INSERT INTO notification_attempts (notification_id, attempt, ok, error) VALUES ($1, $2, $3, $4)")
        .bind(n.id)
        .bind(n.attempts)
        .bind(result.is_ok())
        .bind(result.as_ref().err().map(|e| e.message.clone()))
        .execute(&mut *tx)
        .await?;
    match result {
        Ok(()) => {
            notifications::mark_sent(&mut *tx, n.id).await?;
            tx.commit().await?;
            exportd_core::telemetry::notification(&n.channel, "sent");
            info!(channel = %n.channel, attempt = n.attempts, "notification sent");
        }
        Err(e) => {
            let delay =
                super::backoff_secs(ctx.cfg.retry_base, n.attempts, super::NOTIFY_BACKOFF_CAP);
            // Retries outlast real outages: up to a day by default, on a growing schedule.
            let give_up = e.permanent
                || n.attempts >= ctx.cfg.max_attempts
                || !super::within_window(n.created_at, ctx.cfg.notify_retry_window, delay);
            notifications::mark_attempt_failed(&mut *tx, n.id, &e.message, delay, give_up).await?;
            tx.commit().await?;
            exportd_core::telemetry::notification(
                &n.channel,
                if give_up { "failed" } else { "retry" },
            );
            warn!(channel = %n.channel, attempt = n.attempts, give_up, error = %e.message, "notification not sent");
        }
    }
    Ok(())
}

fn link(ctx: &Ctx, export: &Export) -> Option<String> {
    export.download_link(&ctx.cfg.public_url, &ctx.cfg.keys)
}

async fn send_email(
    ctx: &Ctx,
    n: &Notification,
    export: &Export,
    account: &Account,
) -> Result<(), DeliveryError> {
    let tz: chrono_tz::Tz = export.timezone.parse().unwrap_or(account.timezone);
    let succeeded = n.event == "succeeded";
    let options = exportd_core::kinds::ReportOptions::from_stored(&export.options);
    let filters = reports::filters_in_words(
        &ctx.pool,
        export.kind,
        export.account_id,
        account.locale,
        &options,
    )
    .await
    .map_err(|e| DeliveryError {
        message: format!("naming the filters: {e}"),
        permanent: false,
    })?;
    let email = ExportEmail {
        export_id: export.id,
        report: report_title(export, account),
        from: export.range_from.to_string(),
        to: export.range_to.to_string(),
        timezone: export.timezone.clone(),
        size: succeeded.then(|| mail::human_size(export.file_bytes.unwrap_or(0))),
        expires: export
            .expires_at
            .filter(|_| succeeded)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()),
        link: if succeeded { link(ctx, export) } else { None },
        error: (!succeeded).then(|| {
            export
                .error
                .clone()
                .unwrap_or_else(|| "unknown error".into())
        }),
        filters,
    };
    let rendered = mail::render(account.locale, &email).map_err(|e| DeliveryError {
        message: e.to_string(),
        permanent: true,
    })?;
    ctx.mailer
        .send(
            &n.recipient,
            &rendered,
            &format!("export-{}-notification-{}", export.id, n.id),
        )
        .await
        .map_err(|e| DeliveryError {
            message: e.to_string(),
            permanent: e.is_permanent(),
        })
}

/// The report's name; a scheduled run also names the month it covers
/// ("Informe global — septiembre 2026").
fn report_title(export: &Export, account: &Account) -> String {
    let name = reports::report(export.kind).title(account.locale);
    match export.schedule_id {
        Some(_) => {
            use chrono::Datelike;
            let month = mail::month_name(account.locale, export.range_from.month());
            format!("{name} — {month} {}", export.range_from.year())
        }
        None => name.to_owned(),
    }
}

async fn send_webhook(ctx: &Ctx, n: &Notification, export: &Export) -> Result<(), DeliveryError> {
    let body = serde_json::json!({
        "event": format!("export.{}", n.event),
        "export_id": export.id,
        "status": export.status,
        "link": link(ctx, export),
        "file": export.view().file,
        "expires_at": export.expires_at,
        "error": export.view().error,
        "notification_id": n.id,
    });
    let body = serde_json::to_vec(&body).expect("json serializes");
    let secrets = webhooks::signing_secrets(&ctx.pool, export.account_id)
        .await
        .map_err(|e| DeliveryError {
            message: format!("reading the webhook secret: {e}"),
            permanent: false,
        })?;
    crate::webhook::deliver(
        &n.recipient,
        ctx.cfg.webhook_allow_private,
        &secrets,
        &format!("msg_exportd_{}", n.id),
        body,
        Duration::from_secs(15),
    )
    .await
}
