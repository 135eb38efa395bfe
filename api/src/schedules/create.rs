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
use exportd_core::{
    Shared,
    notifications::NotifySpec,
    schedules::{self, ScheduleFields},
};
use serde::Deserialize;
use serde_json::Value;

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult},
    validate,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let req: CreateSchedule = validate::json_body(body)?;
    let kind = validate::kind(&req.kind)?;
    let format = validate::format(&req.format)?;
    super::day_and_hour(req.day_of_month, req.hour)?;
    let tz_name = req
        .timezone
        .or(caller.timezone.clone())
        .ok_or_else(ApiError::account_missing)?;
    let tz = validate::timezone(&tz_name)?;
    let notify = req.notify.unwrap_or_default();
    validate::notify(&ctx, caller.account_id, &notify).await?;
    let options = validate::options(
        &ctx,
        caller.account_id,
        kind,
        &req.options.unwrap_or_default(),
    )
    .await?;
    let max = ctx.cfg.max_schedules;
    if schedules::count_for_account(&ctx.pool, caller.account_id).await? >= max {
        return Err(ApiError::unprocessable(
            "too_many_schedules",
            format!("an account has at most {max} schedules; delete one first"),
        ));
    }
    let (_, next) = schedules::next_after(Utc::now(), req.day_of_month as u32, req.hour as u32, tz);
    let fields = ScheduleFields {
        kind,
        format,
        day_of_month: req.day_of_month as i16,
        hour: req.hour as i16,
        timezone: tz.name().to_owned(),
        notify: serde_json::to_value(&notify).expect("serializes"),
        options: options.to_value(),
        enabled: req.enabled.unwrap_or(true),
        next_run_at: next,
    };
    let s = schedules::insert(&ctx.pool, caller.account_id, caller.user_id, &fields).await?;
    Ok((StatusCode::CREATED, Json(super::view(&ctx, &s).await?)))
}
