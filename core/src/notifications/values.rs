//! The values of a notification row's `channel`, `event` and `status` columns, each named
//! once; a stored value this build does not know is an [`Unreadable`] naming the row.

use serde::{Deserialize, Serialize};

use crate::stored::Unreadable;

/// `ALL`, `as_str`, `parse` and `read` of a stored enum, and its TEXT column mapping, from
/// its (variant, stored name) pairs: the one place each name is written. Serde's
/// `snake_case` names must agree (a test checks).
macro_rules! stored_enum {
    ($t:ident, $column:literal, { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &[$t] = &[$($t::$v),+];

            /// The name stored in the `notifications` table and used in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some($t::$v),)+ _ => None }
            }

            /// The value stored in notification `id`: an unknown one is an error naming
            /// the row.
            pub fn read(id: i64, stored: &str) -> Result<$t, Unreadable> {
                $t::parse(stored).ok_or_else(|| {
                    Unreadable::new("notification", id, $column, format_args!("{stored:?}"))
                })
            }
        }
        crate::text_enum!($t);
    };
}

/// How a notification reaches its recipient. A new channel is a variant here (and in the
/// table's `channel` CHECK) plus its sender in `worker/src/notify/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
    /// The in-app feed: delivered by being stored.
    InApp,
    /// A Slack destination of the account (`destination:<id>`): a message with the
    /// report's title, range and a download button.
    Slack,
    /// An S3 destination of the account (`destination:<id>`): the file, in their bucket.
    S3,
    /// An SFTP destination of the account (`destination:<id>`): the file, on their server.
    Sftp,
}

stored_enum!(Channel, "channel", { Email => "email", Webhook => "webhook", InApp => "in_app", Slack => "slack", S3 => "s3", Sftp => "sftp" });

/// The channel of a delivery to a destination of that type.
impl From<crate::destinations::spec::Kind> for Channel {
    fn from(kind: crate::destinations::spec::Kind) -> Channel {
        use crate::destinations::spec::Kind;
        match kind {
            Kind::Slack => Channel::Slack,
            Kind::S3 => Channel::S3,
            Kind::Sftp => Channel::Sftp,
        }
    }
}

/// What happened to the export a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationEvent)]
pub enum Event {
    Succeeded,
    Failed,
    /// The file is ready, but a destination's delivery failed for good: told by email.
    DeliveryFailed,
}

stored_enum!(Event, "event", { Succeeded => "succeeded", Failed => "failed", DeliveryFailed => "delivery_failed" });

/// Where a notification is: `pending` until sent, or `failed` once retrying has given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Sent,
    Failed,
}

stored_enum!(Status, "status", { Pending => "pending", Sent => "sent", Failed => "failed" });
