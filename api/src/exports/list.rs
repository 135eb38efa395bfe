//! `GET /v1/exports`: the account's exports, newest first, a page at a time
//! (`?limit=`, `?cursor=` from the previous page's `next_cursor`, `?status=`, `?kind=`).

use std::sync::Arc;

use axum::{Json, extract::State};
use exportd_core::{Shared, domain::Status, exports::ExportView};
use serde::{Deserialize, Serialize};

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
    extract::Query,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 to 100; 20 when absent.
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only exports in this state.
    #[param(value_type = Option<Status>)]
    status: Option<String>,
    /// Only exports of these kinds, comma-separated (`global,steps`).
    #[param(example = "global,steps")]
    kind: Option<String>,
}

/// A page of exports, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"items": [{"id": 42, "status": "queued", "progress": 0, "kind": "steps", "format": "csv", "from": "2026-10-01", "to": "2026-10-30", "timezone": "America/Santiago", "attempts": 0, "created_at": "2026-11-01T09:00:00Z", "started_at": null, "finished_at": null, "error": null, "file": null, "expires_at": null}], "next_cursor": "41"}))]
pub struct ExportPage {
    pub items: Vec<ExportView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The account's exports, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/exports", tag = "exports", params(ListQuery),
    responses(
        (status = 200, description = "A page of exports", body = ExportPage),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = ErrorBody),
        (status = 422, description = "`invalid_limit`, `invalid_status`, `unknown_kind`", body = ErrorBody),
    ))]
pub async fn list(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ExportPage>> {
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
    let kinds = match &q.kind {
        None => vec![],
        Some(list) => list
            .split(',')
            .map(|k| crate::validate::kind(k.trim()))
            .collect::<ApiResult<Vec<_>>>()?,
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
    let rows = exportd_core::exports::list(
        &ctx.pool,
        caller.account_id,
        status,
        &kinds,
        before,
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let shown = &rows[..rows.len().min(limit as usize)];
    let items = super::views(&ctx, caller.account(), shown).await?;
    let next = if more {
        items.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(Json(ExportPage {
        items,
        next_cursor: next,
    }))
}
