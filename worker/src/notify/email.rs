//! The email channel: what an email about an export says (report, range, size, expiry,
//! link or error, filters), rendered in the account's locale and sent with the mailer of
//! [`crate::mail`].

use exportd_core::{
    accounts::{self, Account},
    domain::{Locale, Plan},
    exports::Export,
    notifications::{Event, Notification},
};

use super::DeliveryError;
use crate::{
    Ctx,
    mail::{self, ExportEmail},
    reports,
};

/// Emails notification `n` about `export` to its recipient.
pub async fn send(ctx: &Ctx, n: &Notification, export: &Export) -> Result<(), DeliveryError> {
    let account = account(ctx, export).await?;
    let tz = export.timezone;
    let succeeded = match n.event {
        Event::Succeeded | Event::DeliveryFailed => true,
        Event::Failed => false,
    };
    let undelivered = if n.event == Event::DeliveryFailed {
        let list = undelivered(ctx, export).await?;
        if list.is_empty() {
            // Delivered after all (a retry that had already written it): nothing to tell.
            return Ok(());
        }
        list
    } else {
        Vec::new()
    };
    let filters = reports::filters_in_words(
        &ctx.pool,
        export.kind,
        export.account_id,
        account.locale,
        &export.options,
    )
    .await
    .map_err(|e| DeliveryError::transient(format!("naming the filters: {e}")))?;
    let email = ExportEmail {
        export_id: export.id,
        report: report_title(export, &account),
        from: export.range_from.to_string(),
        to: export.range_to.to_string(),
        timezone: export.timezone.name().to_owned(),
        size: succeeded.then(|| mail::human_size(export.file_bytes.unwrap_or(0))),
        expires: export
            .expires_at
            .filter(|_| succeeded)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()),
        link: if succeeded {
            super::link(ctx, export)
        } else {
            None
        },
        error: (!succeeded).then(|| {
            export
                .error
                .clone()
                .unwrap_or_else(|| "unknown error".into())
        }),
        filters,
        undelivered,
    };
    let rendered = mail::render(account.locale, &email)
        .map_err(|e| DeliveryError::permanent(e.to_string()))?;
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

/// The export's destinations that did not get the file: «name» (TYPE).
async fn undelivered(ctx: &Ctx, export: &Export) -> Result<Vec<String>, DeliveryError> {
    let failed = exportd_core::destinations::undelivered(
        &ctx.pool,
        exportd_core::ids::AccountId(export.account_id),
        export.id,
    )
    .await
    .map_err(|e| DeliveryError::transient(format!("reading the deliveries: {e}")))?;
    Ok(failed
        .into_iter()
        .map(|(name, kind)| format!("«{name}» ({})", kind.to_uppercase()))
        .collect())
}

/// The export's account. One deleted since still gets its failure notice, in the default
/// locale.
pub(super) async fn account(ctx: &Ctx, export: &Export) -> Result<Account, DeliveryError> {
    let found = accounts::get(&ctx.pool, export.account_id)
        .await
        .map_err(|e| DeliveryError::transient(format!("reading the account: {e}")))?;
    Ok(found.unwrap_or_else(|| Account {
        id: export.account_id,
        name: String::new(),
        plan: Plan::Free,
        timezone: export.timezone,
        locale: Locale::Es,
    }))
}

/// The report's name; a scheduled run also names the period it covers: its month when it
/// is a whole calendar month ("Informe global — septiembre 2026"), else its day or days
/// ("Informe global — 2026-11-30 – 2026-12-06").
fn report_title(export: &Export, account: &Account) -> String {
    use chrono::{Datelike, Days};
    let name = export.kind.title(account.locale);
    let (from, to) = (export.range_from, export.range_to);
    if export.schedule_id.is_none() {
        return name.to_owned();
    }
    let whole_month =
        from.day() == 1 && (to + Days::new(1)).day() == 1 && from.month() == to.month();
    if whole_month {
        let month = mail::month_name(account.locale, from.month());
        format!("{name} — {month} {}", from.year())
    } else if from == to {
        format!("{name} — {from}")
    } else {
        format!("{name} — {from} – {to}")
    }
}
