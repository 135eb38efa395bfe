//! `/v1/schedules`: monthly schedules (create, list, get, update, delete). Each shows its
//! `next_run_at` and its last runs with the exports they produced. Table access is in
//! `exportd_core::schedules`.

pub mod create;
pub mod delete;
pub mod get;
pub mod update;

use exportd_core::{
    Shared,
    schedules::{self, Schedule},
};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

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

pub async fn load(ctx: &Shared, account_id: i64, id: &str) -> ApiResult<Schedule> {
    let id: i64 = id.parse().map_err(|_| not_found())?;
    schedules::get_for_account(&ctx.pool, account_id, id)
        .await?
        .ok_or_else(not_found)
}

/// The JSON of a schedule, with its last runs.
pub async fn view(ctx: &Shared, s: &Schedule) -> ApiResult<Value> {
    let runs = schedules::last_runs(&ctx.pool, s.id).await?;
    Ok(json!({
        "id": s.id, "kind": s.kind, "format": s.format, "day_of_month": s.day_of_month, "hour": s.hour,
        "timezone": s.timezone, "notify": s.notify, "options": s.options, "enabled": s.enabled,
        "next_run_at": s.next_run_at, "created_at": s.created_at,
        "last_runs": runs.into_iter().map(|r| json!({"period": r.period, "export_id": r.export_id, "status": r.status, "created_at": r.created_at})).collect::<Vec<_>>(),
    }))
}
