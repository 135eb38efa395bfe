//! `POST /v1/schedules`: `{kind, format, day_of_month (1-28), hour (0-23, local), timezone
//! (default the account's), notify, options, enabled}`. The first run is the next due time;
//! nothing is backfilled.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::StatusCode,
};
use chrono::Utc;
use exportd_core::{notifications::NotifySpec, schedules};
use exportd_worker::Ctx;
use serde::Deserialize;
use serde_json::Value;

use super::{COLUMNS, Schedule};
use crate::{auth::Admin, error::ApiResult, validate};

#[derive(Debug, Deserialize)]
pub struct CreateSchedule {
    pub kind: String,
    pub format: String,
    pub day_of_month: i64,
    pub hour: i64,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub notify: Option<NotifySpec>,
    #[serde(default)]
    pub options: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

pub async fn create(
    State(ctx): State<Arc<Ctx>>,
    Admin(caller): Admin,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let req: CreateSchedule = validate::json_body(body)?;
    let kind = validate::kind(&req.kind)?;
    let format = validate::format(&req.format)?;
    super::day_and_hour(req.day_of_month, req.hour)?;
    let tz_name = match req.timezone {
        Some(t) => t,
        None => {
            sqlx::query_scalar("SELECT timezone FROM accounts WHERE id = $1")
                .bind(caller.account_id)
                .fetch_one(&ctx.pool)
                .await?
        }
    };
    let tz = validate::timezone(&tz_name)?;
    let notify = req.notify.unwrap_or_default();
    validate::notify(&notify)?;
    let options = req.options.unwrap_or_default();
    validate::options(&options)?;
    let (_, next) = schedules::next_after(Utc::now(), req.day_of_month as u32, req.hour as u32, tz);
    let s: Schedule = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO schedules (account_id, created_by, kind, format, day_of_month, hour, timezone, notify, options, enabled, next_run_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
    )))
    .bind(caller.account_id)
    .bind(caller.user_id)
    .bind(kind.as_str())
    .bind(format.as_str())
    .bind(req.day_of_month as i16)
    .bind(req.hour as i16)
    .bind(tz.name())
    .bind(serde_json::to_value(&notify).expect("serializes"))
    .bind(Value::Object(options))
    .bind(req.enabled.unwrap_or(true))
    .bind(next)
    .fetch_one(&ctx.pool)
    .await?;
    Ok((StatusCode::CREATED, Json(super::view(&ctx, &s).await?)))
}
