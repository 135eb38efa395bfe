//! Sending one notification over its channel, one file per channel. A new channel is a
//! variant of [`Channel`], a file here, and its arm in [`send`].
//!
//! Error policy: a sender answers [`DeliveryError`], which says whether a retry can help;
//! the `notify` job records it on the row and schedules the retry or gives up.

pub mod email;
pub mod slack;
pub mod webhook;

use exportd_core::{
    exports::Export,
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

/// Sends notification `n` about `export` over its channel.
pub async fn send(ctx: &Ctx, n: &Notification, export: &Export) -> Result<(), DeliveryError> {
    match n.channel {
        Channel::Email => email::send(ctx, n, export).await,
        Channel::Webhook => webhook::send(ctx, n, export).await,
        Channel::Slack => slack::send(ctx, n, export).await,
        // In-app notifications are delivered by being stored: their rows are created
        // `sent`, and the feed and the stream read them. Nothing goes out.
        Channel::InApp => Ok(()),
    }
}

/// The signed download link of the export, while its file is kept.
fn link(ctx: &Ctx, export: &Export) -> Option<String> {
    export.download_link(&ctx.cfg.public_url, &ctx.cfg.keys)
}
