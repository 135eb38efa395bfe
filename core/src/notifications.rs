//! Notifications: one row per (export, channel, recipient), unique. Rows are created in the
//! same transaction that finishes the export, so a finished export always has them; sending
//! marks a row sent, and a retry sends only what is not sent yet.
//!
//! A row's channel, event and status are enums; a stored value this build does not know is
//! an [`Unreadable`](crate::stored::Unreadable) naming the row, never a default.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, postgres::PgRow};

mod values;

pub use values::{Channel, Event, Status};

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

/// One notification row.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    pub export_id: i64,
    pub account_id: i64,
    pub user_id: Option<i64>,
    pub channel: Channel,
    pub recipient: String,
    pub event: Event,
    pub status: Status,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A row as stored: its names read as text first, so that an unknown one names the row.
#[derive(sqlx::FromRow)]
struct Stored {
    id: i64,
    export_id: i64,
    account_id: i64,
    user_id: Option<i64>,
    channel: String,
    recipient: String,
    event: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    read_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<Stored> for Notification {
    type Error = crate::stored::Unreadable;

    fn try_from(r: Stored) -> Result<Self, Self::Error> {
        Ok(Notification {
            channel: Channel::read(r.id, &r.channel)?,
            event: Event::read(r.id, &r.event)?,
            status: Status::read(r.id, &r.status)?,
            id: r.id,
            export_id: r.export_id,
            account_id: r.account_id,
            user_id: r.user_id,
            recipient: r.recipient,
            attempts: r.attempts,
            last_error: r.last_error,
            sent_at: r.sent_at,
            read_at: r.read_at,
            created_at: r.created_at,
        })
    }
}

impl<'r> sqlx::FromRow<'r, PgRow> for Notification {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Notification::try_from(Stored::from_row(row)?)?)
    }
}

const COLUMNS: &str = "id, export_id, account_id, user_id, channel, recipient, event, status, attempts, last_error, sent_at, read_at, created_at";

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
          WHERE id = $1 AND status = $3 AND run_after <= now()
        RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(hold_secs)
    .bind(Status::Pending)
    .fetch_optional(db)
    .await
}

/// Records a delivery as made; `written` says what was written where, for a destination
/// that takes the file.
pub async fn mark_sent(
    db: impl PgExecutor<'_>,
    id: i64,
    written: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications SET status = $2, sent_at = now(), last_error = NULL, written = $4
          WHERE id = $1 AND status = $3",
    )
    .bind(id)
    .bind(Status::Sent)
    .bind(Status::Pending)
    .bind(written)
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
            SET last_error = $2, status = CASE WHEN $4 THEN $5 ELSE status END,
                run_after = now() + make_interval(secs => $3), dispatched_at = NULL
          WHERE id = $1 AND status = $6",
    )
    .bind(id)
    .bind(error)
    .bind(delay_secs)
    .bind(give_up)
    .bind(Status::Failed)
    .bind(Status::Pending)
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
        "SELECT id FROM notifications WHERE export_id = $1 AND status = $2 ORDER BY id",
    )
    .bind(export_id)
    .bind(Status::Pending)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(channel: &str) -> Stored {
        Stored {
            id: 42,
            export_id: 7,
            account_id: 3,
            user_id: None,
            channel: channel.to_owned(),
            recipient: "admin@example.com".into(),
            event: "succeeded".into(),
            status: "pending".into(),
            attempts: 0,
            last_error: None,
            sent_at: None,
            read_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_unknown_stored_channel_is_an_error_naming_the_row() {
        let err = Notification::try_from(stored("sms")).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"notification 42: cannot read channel "sms""#
        );
        let db = sqlx::Error::from(err);
        assert!(
            matches!(&db, sqlx::Error::ColumnDecode { index, .. } if index == "channel"),
            "{db}"
        );
        assert!(
            db.to_string()
                .contains(r#"notification 42: cannot read channel "sms""#)
        );
        let n = Notification::try_from(stored("in_app")).unwrap();
        assert_eq!(
            (n.channel, n.event, n.status),
            (Channel::InApp, Event::Succeeded, Status::Pending)
        );
    }

    /// Each value goes to its stored name and back, JSON uses the same name, and the names
    /// are exactly those the table's CHECK allows.
    fn round_trips<T>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
        column: &str,
    ) where
        T: Copy + PartialEq + std::fmt::Debug + Serialize + serde::de::DeserializeOwned,
    {
        for &v in all {
            let s = as_str(v);
            assert_eq!(parse(s), Some(v), "{s}");
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(s));
            assert_eq!(
                serde_json::from_value::<T>(serde_json::json!(s)).unwrap(),
                v
            );
        }
        assert_eq!(parse("unknown"), None);
        let table = include_str!("../../migrations/0002_exports.sql")
            .split("CREATE TABLE notifications")
            .nth(1)
            .expect("the notifications table");
        // The newest CHECK on the column: later migrations may widen it.
        let widened = [
            include_str!("../../migrations/0022_destinations.sql"),
            include_str!("../../migrations/0023_file_destinations.sql"),
        ]
        .concat();
        let check = table
            .lines()
            .filter(|l| l.trim_start().starts_with(column) && l.contains("CHECK"))
            .chain(
                widened
                    .lines()
                    .filter(|l| l.trim_start().starts_with(&format!("CHECK ({column} IN"))),
            )
            .last()
            .unwrap_or_else(|| panic!("a CHECK on {column}"));
        let allowed = check
            .split(" IN (")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        let allowed: Vec<&str> = allowed
            .split(',')
            .map(|s| s.trim().trim_matches('\''))
            .collect();
        let names: Vec<&str> = all.iter().map(|&v| as_str(v)).collect();
        assert_eq!(names, allowed, "{column}");
    }

    #[test]
    fn each_enum_round_trips_through_its_stored_name() {
        round_trips(Channel::ALL, Channel::as_str, Channel::parse, "channel");
        round_trips(Event::ALL, Event::as_str, Event::parse, "event");
        round_trips(Status::ALL, Status::as_str, Status::parse, "status");
    }
}
