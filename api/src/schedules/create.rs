//! `POST /v1/schedules`: `{kind, format, day_of_month (1-28), hour (0-23, local), timezone
//! (default the account's), notify, options, enabled}`. The first run is the next due time;
//! nothing is backfilled.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use chrono::Utc;
use exportd_core::{
    Shared,
    domain::Format,
    kinds::{ReportKind, ReportOptions},
    notifications::NotifySpec,
    schedules::{self, ScheduleFields},
};
use serde::Deserialize;
use serde_json::Value;

use super::ScheduleView;
use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
    extract::JsonBody,
    validate,
};

/// A new monthly schedule: on `day_of_month` at `hour` local time, the previous month's
/// report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "global", "format": "xlsx", "day_of_month": 1, "hour": 6,
    "notify": {"emails": ["admin@example.com"]}}))]
pub struct CreateSchedule {
    #[schema(value_type = ReportKind)]
    pub kind: String,
    #[schema(value_type = Format)]
    pub format: String,
    /// 1 to 28.
    #[schema(minimum = 1, maximum = 28)]
    pub day_of_month: i64,
    /// 0 to 23, local time.
    #[schema(minimum = 0, maximum = 23)]
    pub hour: i64,
    /// An IANA timezone; the account's when absent.
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub notify: Option<NotifySpec>,
    #[serde(default)]
    #[schema(value_type = Option<ReportOptions>)]
    pub options: Option<serde_json::Map<String, Value>>,
    /// true when absent.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Creates a monthly schedule. Its first run is the next due time; nothing is backfilled.
#[utoipa::path(post, path = "/v1/schedules", tag = "schedules", request_body = CreateSchedule,
    responses(
        (status = 201, description = "Created", body = ScheduleView),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "Validation: `invalid_day_of_month`, `invalid_hour`, `unknown_kind`, `unknown_format`, `unknown_timezone`, `invalid_option`, `unknown_field`, `invalid_email`, `too_many_schedules`…", body = ErrorBody),
    ))]
pub async fn create(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    JsonBody(req): JsonBody<CreateSchedule>,
) -> ApiResult<(StatusCode, Json<ScheduleView>)> {
    let kind = validate::kind(&req.kind)?;
    let format = validate::format(&req.format)?;
    super::day_and_hour(req.day_of_month, req.hour)?;
    let tz = match &req.timezone {
        Some(name) => validate::timezone(name)?,
        None => caller.timezone.ok_or_else(ApiError::account_missing)?,
    };
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
        timezone: tz,
        notify,
        options,
        enabled: req.enabled.unwrap_or(true),
        next_run_at: next,
    };
    let s = schedules::insert(&ctx.pool, caller.account(), caller.user(), &fields).await?;
    Ok((StatusCode::CREATED, Json(super::view(&ctx, &s).await?)))
}
