//! The Slack channel: a delivery to one of the account's Slack destinations
//! (`destination:<id>`): the report's title, range and file, and a download button, posted
//! to the destination's incoming webhook, whose URL is opened from its sealed secret here
//! and nowhere else.

use exportd_core::{
    destinations,
    exports::Export,
    ids::AccountId,
    notifications::Notification,
    slack::{self, Message},
};

use super::{DeliveryError, email};
use crate::{Ctx, mail};

/// Posts the delivery `n` of `export` to its Slack destination.
pub async fn send(ctx: &Ctx, n: &Notification, export: &Export) -> Result<(), DeliveryError> {
    let id = destinations::parse_recipient(&n.recipient).ok_or_else(|| {
        DeliveryError::permanent(format!("{:?} names no destination", n.recipient))
    })?;
    let sealer = ctx.cfg.sealer.as_ref().ok_or_else(|| {
        DeliveryError::permanent(
            "EXPORTD_ENCRYPTION_KEY is not set, so no destination secret can be opened",
        )
    })?;
    let (_, sealed) = destinations::with_secret(&ctx.pool, AccountId(export.account_id), id)
        .await
        .map_err(|e| DeliveryError::transient(format!("reading the destination: {e}")))?
        .ok_or_else(|| DeliveryError::permanent(format!("destination {id} was deleted")))?;
    let url = sealer
        .open_text(export.account_id, &sealed)
        .map_err(DeliveryError::permanent)?;
    let account = email::account(ctx, export).await?;
    let message = Message {
        title: export.kind.title(account.locale).to_owned(),
        range: format!(
            "{} – {} ({})",
            export.range_from,
            export.range_to,
            export.timezone.name()
        ),
        file: export.file_name.as_ref().map(|name| {
            format!(
                "{name} ({})",
                mail::human_size(export.file_bytes.unwrap_or(0))
            )
        }),
        link: super::link(ctx, export),
        locale: account.locale,
    };
    slack::post(
        &url,
        ctx.cfg.webhook_allow_private,
        &slack::payload(&message),
    )
    .await
    .map_err(DeliveryError::from)
}
