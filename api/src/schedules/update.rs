//! `PATCH /v1/schedules/{id}`: change any field. A change of day, hour or timezone, or
//! turning the schedule back on, sets the next run from now: disabled months are not
//! backfilled.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::Utc;
use exportd_core::{
    Shared,
    domain::Format,
    ids::ScheduleId,
    kinds::{ReportKind, ReportOptions},
    notifications::NotifySpec,
    schedules::{self, ScheduleFields},
};
use serde::Deserialize;
use serde_json::Value;

use super::ScheduleView;
use crate::{
    auth::Admin,
    error::{ApiResult, ErrorBody},
    extract::JsonBody,
    validate,
};

/// The fields to change; the others stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false}))]
pub struct UpdateSchedule {
    #[schema(value_type = Option<ReportKind>)]
    pub kind: Option<String>,
    #[schema(value_type = Option<Format>)]
    pub format: Option<String>,
    /// 1 to 28.
    #[schema(minimum = 1, maximum = 28)]
    pub day_of_month: Option<i64>,
    /// 0 to 23, local time.
    #[schema(minimum = 0, maximum = 23)]
    pub hour: Option<i64>,
    pub timezone: Option<String>,
    pub notify: Option<NotifySpec>,
    #[schema(value_type = Option<ReportOptions>)]
    pub options: Option<serde_json::Map<String, Value>>,
    pub enabled: Option<bool>,
}

/// Changes a schedule. A new day, hour or timezone, or turning it back on, sets the next
/// run from now.
#[utoipa::path(patch, path = "/v1/schedules/{id}", tag = "schedules", request_body = UpdateSchedule,
    params(("id" = String, Path, description = "The schedule's id")),
    responses(
        (status = 200, description = "The schedule after the change", body = ScheduleView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "Validation: `invalid_day_of_month`, `invalid_hour`, `unknown_kind`, `unknown_format`, `unknown_timezone`, `invalid_option`, `unknown_field`, `invalid_email`, `too_many_schedules`…", body = ErrorBody),
    ))]
pub async fn update(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateSchedule>,
) -> ApiResult<Json<ScheduleView>> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    let kind = match &req.kind {
        Some(k) => validate::kind(k)?,
        None => s.kind,
    };
    let format = match &req.format {
        Some(f) => validate::format(f)?,
        None => s.format,
    };
    let day = req.day_of_month.unwrap_or(s.day_of_month as i64);
    let hour = req.hour.unwrap_or(s.hour as i64);
    super::day_and_hour(day, hour)?;
    let tz = match &req.timezone {
        Some(name) => validate::timezone(name)?,
        None => s.timezone,
    };
    let notify = match req.notify {
        Some(n) => {
            validate::notify(&ctx, caller.account_id, &n).await?;
            n
        }
        None => s.notify.clone(),
    };
    // The options are checked against the kind the schedule will have, whether or not
    // either changes.
    let options = match &req.options {
        Some(o) => validate::options(&ctx, caller.account_id, kind, o).await?,
        None => match s.options.to_value() {
            Value::Object(o) => validate::options(&ctx, caller.account_id, kind, &o).await?,
            _ => ReportOptions::default(),
        },
    };
    let enabled = req.enabled.unwrap_or(s.enabled);
    let retimed = day != s.day_of_month as i64
        || hour != s.hour as i64
        || tz != s.timezone
        || (enabled && !s.enabled);
    let next_run_at = if retimed {
        schedules::next_after(Utc::now(), day as u32, hour as u32, tz).1
    } else {
        s.next_run_at
    };
    let fields = ScheduleFields {
        kind,
        format,
        day_of_month: day as i16,
        hour: hour as i16,
        timezone: tz,
        notify,
        options,
        enabled,
        next_run_at,
    };
    let s = schedules::update(&ctx.pool, caller.account(), ScheduleId(s.id), &fields)
        .await?
        .ok_or_else(super::not_found)?;
    Ok(Json(super::view(&ctx, &s).await?))
}
