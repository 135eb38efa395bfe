//! Sending one notification over its channel, one file per channel. A new channel is a
//! variant of [`Channel`], a file here, and its arm in [`send`].
//!
//! Error policy: a sender answers [`DeliveryError`], which says whether a retry can help;
//! the `notify` job records it on the row and schedules the retry or gives up.

pub mod email;
pub mod file;
pub mod slack;
pub mod webhook;

use exportd_core::{
    destinations::{self, Destination},
    exports::Export,
    ids::AccountId,
    notifications::{Channel, Notification},
};

use crate::Ctx;

/// Why a delivery failed, and whether retrying can help.
#[derive(Debug)]
pub struct DeliveryError {
    pub message: String,
    pub permanent: bool,
}

impl DeliveryError {
    /// A failure a retry will not fix: a refused address, a bad target, a template error.
    pub fn permanent(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            message: message.into(),
            permanent: true,
        }
    }

    /// A failure worth retrying: an outage, a timeout, a busy receiver.
    pub fn transient(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            message: message.into(),
            permanent: false,
        }
    }
}

impl From<exportd_core::webhooks::PostError> for DeliveryError {
    fn from(e: exportd_core::webhooks::PostError) -> DeliveryError {
        DeliveryError {
            message: e.message,
            permanent: e.permanent,
        }
    }
}

/// Sends notification `n` about `export` over its channel. A file destination answers
/// what was written where.
pub async fn send(
    ctx: &Ctx,
    n: &Notification,
    export: &Export,
) -> Result<Option<String>, DeliveryError> {
    match n.channel {
        Channel::Email => email::send(ctx, n, export).await.map(|()| None),
        Channel::Webhook => webhook::send(ctx, n, export).await.map(|()| None),
        Channel::Slack => slack::send(ctx, n, export).await.map(|()| None),
        Channel::S3 | Channel::Sftp => file::send(ctx, n, export).await.map(Some),
        // In-app notifications are delivered by being stored: their rows are created
        // `sent`, and the feed and the stream read them. Nothing goes out.
        Channel::InApp => Ok(None),
    }
}

/// The destination a delivery row names, with its secret opened: the one place a sender
/// reads a destination's secret.
async fn destination(
    ctx: &Ctx,
    n: &Notification,
    export: &Export,
) -> Result<(Destination, String), DeliveryError> {
    let id = destinations::parse_recipient(&n.recipient).ok_or_else(|| {
        DeliveryError::permanent(format!("{:?} names no destination", n.recipient))
    })?;
    let sealer = ctx.cfg.sealer.as_ref().ok_or_else(|| {
        DeliveryError::permanent(
            "EXPORTD_ENCRYPTION_KEY is not set, so no destination secret can be opened",
        )
    })?;
    let (d, sealed) = destinations::with_secret(&ctx.pool, AccountId(export.account_id), id)
        .await
        .map_err(|e| DeliveryError::transient(format!("reading the destination: {e}")))?
        .ok_or_else(|| DeliveryError::permanent(format!("destination {id} was deleted")))?;
    let secret = sealer
        .open_text(export.account_id, &sealed)
        .map_err(DeliveryError::permanent)?;
    Ok((d, secret))
}

/// The signed download link of the export, while its file is kept.
fn link(ctx: &Ctx, export: &Export) -> Option<String> {
    export.download_link(&ctx.cfg.public_url, &ctx.cfg.keys)
}
