//! `GET /v1/exports`: the account's exports, newest first, a page at a time
//! (`?limit=`, `?cursor=` from the previous page's `next_cursor`, `?status=`).

use std::sync::Arc;

use axum::{
    Json,
    extract::{Query, State},
};
use exportd_core::{Shared, domain::Status};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult},
};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
    cursor: Option<String>,
    status: Option<String>,
}

pub async fn list(
    State(ctx): State<Arc<Shared>>,
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
    let status = match &q.status {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            let all: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::unprocessable(
                "invalid_status",
                format!("status must be one of {}", all.join(", ")),
            )
        })?),
    };
    let before = match &q.cursor {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::bad_request(
                "invalid_cursor",
                "cursor must be a next_cursor value from a previous page",
            )
        })?),
    };
    let rows = exportd_core::exports::list(&ctx.pool, caller.account_id, status, before, limit + 1)
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
