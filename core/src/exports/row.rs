//! An export as stored ([`Export`], read from its row with every value typed: a value
//! this build cannot read is an error naming the export) and as the API shows it
//! ([`ExportView`]).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::{Row, postgres::PgRow, types::Json};

use crate::{
    domain::{Format, Status},
    kinds::{ReportKind, ReportOptions},
    notifications::NotifySpec,
    stored,
};

use super::Requester;

/// One export, as stored.
#[derive(Debug, Clone)]
pub struct Export {
    pub id: i64,
    pub account_id: i64,
    pub requested_by: Option<i64>,
    pub kind: ReportKind,
    pub format: Format,
    pub range_from: NaiveDate,
    pub range_to: NaiveDate,
    pub timezone: Tz,
    pub options: ReportOptions,
    pub notify: NotifySpec,
    pub status: Status,
    pub progress: i16,
    pub attempts: i32,
    pub error: Option<String>,
    pub error_code: Option<String>,
    pub lease_token: i64,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub file_name: Option<String>,
    pub file_key: Option<String>,
    pub file_bytes: Option<i64>,
    /// Data rows in the file (totals left out); `None` for files made before it was kept.
    pub file_rows: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub schedule_id: Option<i64>,
    pub period: Option<String>,
    /// A feed run's interval of close instants, `[feed_from, feed_to)`.
    pub feed_from: Option<DateTime<Utc>>,
    pub feed_to: Option<DateTime<Utc>>,
    /// The account's destinations the file goes to.
    pub deliver: Vec<i64>,
}

/// The public JSON of an export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 42, "status": "succeeded", "progress": 100, "kind": "global", "format": "xlsx", "from": "2026-10-01", "to": "2026-10-30", "timezone": "America/Santiago", "options": {}, "attempts": 1, "created_at": "2026-11-01T09:00:00Z", "started_at": "2026-11-01T09:00:01Z", "finished_at": "2026-11-01T09:00:03Z", "error": null, "file": {"name": "informe-global_2026-10-01_2026-10-30.xlsx", "bytes": 27388}, "expires_at": "2026-12-01T09:00:03Z", "requested_by": {"id": 7, "name": "Ana Pérez", "email": "ana@example.com"}, "notify": {"emails": ["ana@example.com"], "in_app": true}}))]
pub struct ExportView {
    pub id: i64,
    pub status: Status,
    pub progress: i16,
    pub kind: ReportKind,
    pub format: Format,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    /// The filters it was asked with (`{}` for none).
    pub options: ReportOptions,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<ErrorView>,
    pub file: Option<FileView>,
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_id: Option<i64>,
    /// Who asked for it; `null` for a scheduled run (see `schedule_id`). Absent where the
    /// response does not read users (the notification feed).
    #[serde(skip_serializing_if = "Asked::is_unread")]
    #[schema(value_type = Option<Requester>)]
    pub requested_by: Asked,
    /// Who is told when it finishes, as requested (absent where the response omits it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifySpec>,
    /// The account's destinations the file goes to.
    pub deliver: Vec<i64>,
    /// How each destination's delivery went (only in `GET /v1/exports/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<crate::destinations::Delivery>>,
}

/// `requested_by` as a response shows it: not read, nobody (a scheduled run), or a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Asked {
    #[default]
    Unread,
    Nobody,
    User(Requester),
}

impl Asked {
    fn is_unread(&self) -> bool {
        matches!(self, Asked::Unread)
    }
}

impl Serialize for Asked {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Asked::Unread | Asked::Nobody => s.serialize_none(),
            Asked::User(r) => s.serialize_some(r),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "storage_misconfigured", "message": "the file could not be stored (s3: NoSuchBucket); an operator must fix the bucket or its credentials (S3_BUCKET, AWS_*)"}))]
pub struct ErrorView {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "informe-global_2026-10-01_2026-10-30.xlsx", "bytes": 27388, "rows": 412}))]
pub struct FileView {
    pub name: String,
    pub bytes: i64,
    /// The data rows the file holds across its sheets, totals left out (for a row-level
    /// kind, the rows exported); `null` for a file made before exportd counted them.
    pub rows: Option<i64>,
}

impl Export {
    pub fn view(&self) -> ExportView {
        ExportView {
            id: self.id,
            status: self.status,
            progress: self.progress,
            kind: self.kind,
            format: self.format,
            from: self.range_from,
            to: self.range_to,
            timezone: self.timezone.name().to_owned(),
            options: self.options.clone(),
            attempts: self.attempts,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            error: self.error.as_ref().map(|m| ErrorView {
                code: self
                    .error_code
                    .clone()
                    .unwrap_or_else(|| "export_failed".into()),
                message: m.clone(),
            }),
            file: match (&self.file_name, self.file_bytes) {
                (Some(name), Some(bytes)) if self.status == Status::Succeeded => Some(FileView {
                    name: name.clone(),
                    bytes,
                    rows: self.file_rows,
                }),
                _ => None,
            },
            expires_at: self.expires_at,
            schedule_id: self.schedule_id,
            requested_by: Asked::Unread,
            notify: None,
            deliver: self.deliver.clone(),
            deliveries: None,
        }
    }

    /// The public JSON with who asked (from `who`, read by [`super::requesters`]; nobody
    /// for a scheduled run) and the recipients. A requester who is no longer a user shows
    /// only their id.
    pub fn view_with(&self, who: &HashMap<i64, Requester>) -> ExportView {
        // A scheduled run was asked for by its schedule (`schedule_id`), not by a person.
        let requested_by = match self.requested_by.filter(|_| self.schedule_id.is_none()) {
            None => Asked::Nobody,
            Some(id) => Asked::User(who.get(&id).cloned().unwrap_or(Requester {
                id,
                name: None,
                email: None,
            })),
        };
        ExportView {
            requested_by,
            notify: Some(self.notify.clone()),
            ..self.view()
        }
    }

    /// The signed link to the export's file, valid until the file expires; `None` before a
    /// file was stored.
    pub fn download_link(&self, public_url: &str, keys: &crate::links::Keys) -> Option<String> {
        let expires = self.expires_at?.timestamp();
        Some(keys.download_url(public_url, self.id, expires))
    }

    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }
}

impl<'r> sqlx::FromRow<'r, PgRow> for Export {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        let id: i64 = row.try_get("id")?;
        let Json(options) = stored::column::<Json<ReportOptions>>(row, "export", id, "options")?;
        let Json(notify) = stored::column::<Json<NotifySpec>>(row, "export", id, "notify")?;
        Ok(Export {
            id,
            account_id: row.try_get("account_id")?,
            requested_by: row.try_get("requested_by")?,
            kind: stored::column(row, "export", id, "kind")?,
            format: stored::column(row, "export", id, "format")?,
            range_from: row.try_get("range_from")?,
            range_to: row.try_get("range_to")?,
            timezone: stored::parsed(row, "export", id, "timezone", stored::tz)?,
            options,
            notify,
            status: stored::column(row, "export", id, "status")?,
            progress: row.try_get("progress")?,
            attempts: row.try_get("attempts")?,
            error: row.try_get("error")?,
            error_code: row.try_get("error_code")?,
            lease_token: row.try_get("lease_token")?,
            idempotency_key: row.try_get("idempotency_key")?,
            request_hash: row.try_get("request_hash")?,
            file_name: row.try_get("file_name")?,
            file_key: row.try_get("file_key")?,
            file_bytes: row.try_get("file_bytes")?,
            file_rows: row.try_get("file_rows")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
            schedule_id: row.try_get("schedule_id")?,
            period: row.try_get("period")?,
            feed_from: row.try_get("feed_from")?,
            feed_to: row.try_get("feed_to")?,
            deliver: row.try_get("deliver")?,
        })
    }
}
