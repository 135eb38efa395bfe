//! The in-app feed: `GET /v1/notifications` (newest first, `?unread=true`), and
//! `POST /v1/notifications/{id}/read` / `POST /v1/notifications/read` to mark as read.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State},
};
use chrono::{DateTime, Utc};
use exportd_core::Shared;
use exportd_core::exports;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult},
};

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    unread: Option<bool>,
    limit: Option<i64>,
}

type Row = (i64, i64, String, Option<DateTime<Utc>>, DateTime<Utc>);

pub async fn list(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Query(q): Query<FeedQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
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
        let export = exports::get_for_account(&ctx.pool, caller.account_id, export_id).await?;
        let link = export
            .as_ref()
            .filter(|e| e.status == exportd_core::domain::Status::Succeeded)
            .and_then(|e| e.download_link(&ctx.cfg.public_url, &ctx.cfg.keys));
        items.push(json!({
            "id": id, "export_id": export_id, "event": event, "read": read_at.is_some(), "created_at": created_at,
            "export": export.map(|e| e.view()), "link": link,
        }));
    }
    let unread: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND user_id = $2 AND channel = 'in_app' AND read_at IS NULL",
    )
    .bind(caller.account_id)
    .bind(caller.user_id)
    .fetch_one(&ctx.pool)
    .await?;
    Ok(Json(json!({"items": items, "unread": unread})))
}

pub async fn read_one(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
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
    Ok(Json(json!({"id": id, "read": true})))
}

pub async fn read_all(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
) -> ApiResult<Json<Value>> {
    let r = sqlx::query(
        "UPDATE notifications SET read_at = now()
          WHERE account_id = $1 AND user_id = $2 AND channel = 'in_app' AND read_at IS NULL",
    )
    .bind(caller.account_id)
    .bind(caller.user_id)
    .execute(&ctx.pool)
    .await?;
    Ok(Json(json!({"marked": r.rows_affected()})))
}
