//! The in-app feed: `GET /v1/notifications` (newest first, `?unread=true`), and
//! `POST /v1/notifications/{id}/read` / `POST /v1/notifications/read` to mark as read.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use exportd_core::Shared;
use exportd_core::{
    exports::{self, ExportView},
    ids::ExportId,
    notifications::Event,
};
use serde::{Deserialize, Serialize};

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
    extract::Query,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Only unread notifications.
    unread: Option<bool>,
    /// 1 to 200 (clamped); 50 when absent.
    limit: Option<i64>,
}

/// One in-app notification.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 9, "export_id": 42, "event": "succeeded", "read": false, "created_at": "2026-11-01T09:00:03Z", "export": null, "link": "https://exports.example.com/v1/exports/42/download?expires=1764579603&kid=1a2b3c4d&sig=…"}))]
pub struct FeedItem {
    pub id: i64,
    pub export_id: i64,
    /// What happened to the export.
    pub event: Event,
    pub read: bool,
    pub created_at: DateTime<Utc>,
    pub export: Option<ExportView>,
    /// A signed download link, while the file is kept.
    pub link: Option<String>,
}

/// The caller's feed, newest first, and how many are unread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"items": [{"id": 9, "export_id": 42, "event": "succeeded", "read": false, "created_at": "2026-11-01T09:00:03Z", "export": null, "link": null}], "unread": 1}))]
pub struct Feed {
    pub items: Vec<FeedItem>,
    pub unread: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 9, "read": true}))]
pub struct MarkedRead {
    pub id: i64,
    pub read: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"marked": 3}))]
pub struct MarkedAll {
    /// How many were unread.
    pub marked: u64,
}

/// `event` is read as text, so that a value this build does not know names its row.
type Row = (i64, i64, String, Option<DateTime<Utc>>, DateTime<Utc>);

/// The in-app feed of the caller.
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", params(FeedQuery),
    responses(
        (status = 200, description = "The feed", body = Feed),
        (status = 400, description = "`invalid_query`", body = ErrorBody),
    ))]
pub async fn list(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Query(q): Query<FeedQuery>,
) -> ApiResult<Json<Feed>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    // `channel = 'in_app'` stays a literal in these queries: it matches the partial index
    // `notifications_feed_idx` under a generic plan too, which a bound value would not.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, export_id, event, read_at, created_at FROM notifications
          WHERE account_id = $1 AND user_id = $2 AND channel = 'in_app' AND ($3 = false OR read_at IS NULL)
          ORDER BY id DESC LIMIT $4",
    )
    .bind(caller.account_id)
    .bind(caller.user_id)
    .bind(q.unread.unwrap_or(false))
    .bind(limit)
    .fetch_all(&ctx.pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for (id, export_id, event, read_at, created_at) in rows {
        let event = Event::read(id, &event).map_err(sqlx::Error::from)?;
        let export =
            exports::get_for_account(&ctx.pool, caller.account(), ExportId(export_id)).await?;
        let link = export
            .as_ref()
            .filter(|e| e.status == exportd_core::domain::Status::Succeeded)
            .and_then(|e| e.download_link(&ctx.cfg.public_url, &ctx.cfg.keys));
        items.push(FeedItem {
            id,
            export_id,
            event,
            read: read_at.is_some(),
            created_at,
            export: export.map(|e| e.view()),
            link,
        });
    }
    let unread: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND user_id = $2 AND channel = 'in_app' AND read_at IS NULL",
    )
    .bind(caller.account_id)
    .bind(caller.user_id)
    .fetch_one(&ctx.pool)
    .await?;
    Ok(Json(Feed { items, unread }))
}

/// Marks one notification as read.
#[utoipa::path(post, path = "/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "Marked", body = MarkedRead),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub async fn read_one(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<MarkedRead>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let r = sqlx::query(
        "UPDATE notifications SET read_at = coalesce(read_at, now())
          WHERE id = $1 AND account_id = $2 AND user_id = $3 AND channel = 'in_app'",
    )
    .bind(id)
    .bind(caller.account_id)
    .bind(caller.user_id)
    .execute(&ctx.pool)
    .await?;
    if r.rows_affected() == 0 {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            "no such notification in your feed",
        ));
    }
    Ok(Json(MarkedRead { id, read: true }))
}

/// Marks every notification of the caller as read.
#[utoipa::path(post, path = "/v1/notifications/read", tag = "notifications",
    responses((status = 200, description = "Marked", body = MarkedAll)))]
pub async fn read_all(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
) -> ApiResult<Json<MarkedAll>> {
    let r = sqlx::query(
        "UPDATE notifications SET read_at = now()
          WHERE account_id = $1 AND user_id = $2 AND channel = 'in_app' AND read_at IS NULL",
    )
    .bind(caller.account_id)
    .bind(caller.user_id)
    .execute(&ctx.pool)
    .await?;
    Ok(Json(MarkedAll {
        marked: r.rows_affected(),
    }))
}
