//! `/v1/schedules`: monthly schedules (create, list, get, update, delete). Each shows its
//! `next_run_at` and its last runs with the exports they produced.

pub mod create;
pub mod delete;
pub mod get;
pub mod update;

use chrono::{DateTime, Utc};
use exportd_worker::Ctx;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Schedule {
    pub id: i64,
    pub kind: String,
    pub format: String,
    pub day_of_month: i16,
    pub hour: i16,
    pub timezone: String,
    pub notify: Value,
    pub options: Value,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

pub const COLUMNS: &str = "id, kind, format, day_of_month, hour, timezone, notify, options, enabled, next_run_at, created_at";

pub fn not_found() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such schedule in this account",
    )
}

pub fn day_and_hour(day: i64, hour: i64) -> ApiResult<()> {
    if !(1..=28).contains(&day) {
        return Err(ApiError::unprocessable(
            "invalid_day_of_month",
            format!("day_of_month must be 1 to 28 (every month has it), got {day}"),
        ));
    }
    if !(0..=23).contains(&hour) {
        return Err(ApiError::unprocessable(
            "invalid_hour",
            format!("hour must be 0 to 23 (local time), got {hour}"),
        ));
    }
    Ok(())
}

pub async fn load(ctx: &Ctx, account_id: i64, id: &str) -> ApiResult<Schedule> {
    let id: i64 = id.parse().map_err(|_| not_found())?;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM schedules WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(account_id)
    .fetch_optional(&ctx.pool)
    .await?
    .ok_or_else(not_found)
}

/// The JSON of a schedule, with its last runs.
pub async fn view(ctx: &Ctx, s: &Schedule) -> ApiResult<Value> {
    let runs: Vec<(i64, Option<String>, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, period, status, created_at FROM exports WHERE schedule_id = $1 ORDER BY period DESC, id DESC LIMIT 12",
    )
    .bind(s.id)
    .fetch_all(&ctx.pool)
    .await?;
    Ok(json!({
        "id": s.id, "kind": s.kind, "format": s.format, "day_of_month": s.day_of_month, "hour": s.hour,
        "timezone": s.timezone, "notify": s.notify, "options": s.options, "enabled": s.enabled,
        "next_run_at": s.next_run_at, "created_at": s.created_at,
        "last_runs": runs.into_iter().map(|(id, period, status, at)| json!({"period": period, "export_id": id, "status": status, "created_at": at})).collect::<Vec<_>>(),
    }))
}
