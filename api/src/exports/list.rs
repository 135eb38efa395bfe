//! `GET /v1/exports`: the account's exports, newest first, a page at a time
//! (`?limit=`, `?cursor=` from the previous page's `next_cursor`, `?status=`).

use std::sync::Arc;

use axum::{
    Json,
    extract::{Query, State},
};
use exportd_worker::Ctx;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult},
};

const STATUSES: [&str; 6] = [
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
    "expired",
];

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
    cursor: Option<String>,
    status: Option<String>,
}

pub async fn list(
    State(ctx): State<Arc<Ctx>>,
    Admin(caller): Admin,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::unprocessable(
            "invalid_limit",
            "limit must be between 1 and 100",
        ));
    }
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::unprocessable(
            "invalid_status",
            format!("status must be one of {}", STATUSES.join(", ")),
        ));
    }
    let before = match &q.cursor {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::bad_request(
                "invalid_cursor",
                "cursor must be a next_cursor value from a previous page",
            )
        })?),
    };
    let rows = exportd_core::exports::list(
        &ctx.pool,
        caller.account_id,
        q.status.as_deref(),
        before,
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<_> = rows.iter().take(limit as usize).map(|e| e.view()).collect();
    let next = if more {
        items.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(Json(json!({"items": items, "next_cursor": next})))
}
