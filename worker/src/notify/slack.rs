//! The Slack channel: a delivery to one of the account's Slack destinations
//! (`destination:<id>`): the report's title, range and file, and a download button, posted
//! to the destination's incoming webhook, whose URL is its sealed secret.

use exportd_core::{
    exports::Export,
    notifications::Notification,
    slack::{self, Message},
};

use super::{DeliveryError, email};
use crate::{Ctx, mail};

/// Posts the delivery `n` of `export` to its Slack destination.
pub async fn send(ctx: &Ctx, n: &Notification, export: &Export) -> Result<(), DeliveryError> {
    let (_, url) = super::destination(ctx, n, export).await?;
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
