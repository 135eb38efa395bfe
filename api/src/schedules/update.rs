//! `PATCH /v1/schedules/{id}`: change any field. A change of cadence, day, hour or
//! timezone, or turning the schedule back on, sets the next run from now: disabled periods
//! are not backfilled. `day_of_month`, `day_of_week` and `last_days` take `null` to clear.

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

use super::{
    ScheduleView,
    timing::{self, TimingInput},
};
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
    /// `daily`, `weekly` or `monthly`. A new cadence drops the old one's day.
    pub cadence: Option<String>,
    /// Monthly: 1 to 28, or `"last"`.
    #[serde(default, deserialize_with = "timing::nullable")]
    #[schema(value_type = Option<Object>)]
    pub day_of_month: Option<Option<Value>>,
    /// Weekly: `monday` … `sunday`.
    #[serde(default, deserialize_with = "timing::nullable")]
    #[schema(value_type = Option<String>)]
    pub day_of_week: Option<Option<String>>,
    /// Weekly: the first day of the week a run covers.
    pub week_start: Option<String>,
    /// 1 to 90, or `null` to cover the period just closed again.
    #[serde(default, deserialize_with = "timing::nullable")]
    #[schema(value_type = Option<i64>)]
    pub last_days: Option<Option<i64>>,
    /// 0 to 23, local time.
    #[schema(minimum = 0, maximum = 23)]
    pub hour: Option<i64>,
    pub timezone: Option<String>,
    pub notify: Option<NotifySpec>,
    #[schema(value_type = Option<ReportOptions>)]
    pub options: Option<serde_json::Map<String, Value>>,
    /// Feed mode (`sessions_detail`, `campaigns`).
    pub feed: Option<bool>,
    /// The account's destinations each run's file goes to.
    pub deliver: Option<Vec<i64>>,
    pub enabled: Option<bool>,
}

/// Changes a schedule. A new cadence, day, hour or timezone, or turning it back on, sets
/// the next run from now.
#[utoipa::path(patch, path = "/v1/schedules/{id}", tag = "schedules", request_body = UpdateSchedule,
    params(("id" = String, Path, description = "The schedule's id")),
    responses(
        (status = 200, description = "The schedule after the change", body = ScheduleView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "Validation: `invalid_cadence`, `invalid_day_of_month`, `invalid_day_of_week`, `invalid_week_start`, `invalid_last_days`, `invalid_feed`, `invalid_hour`, `unknown_kind`, `unknown_format`, `unknown_timezone`, `invalid_option`, `unknown_field`, `invalid_email`, `too_many_schedules`…", body = ErrorBody),
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
    let input = TimingInput {
        cadence: req.cadence.as_deref(),
        day_of_month: req.day_of_month.as_ref().map(Option::as_ref),
        day_of_week: req.day_of_week.as_ref().map(Option::as_deref),
        week_start: req.week_start.as_deref(),
        last_days: req.last_days,
        hour: req.hour,
        timezone: req.timezone.as_deref(),
    };
    let timing = timing::read(&input, Some(&s.timing), None, ctx.cfg.max_range_days)?;
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
    let retimed = timing.cadence != s.timing.cadence
        || timing.hour != s.timing.hour
        || timing.tz != s.timing.tz
        || (enabled && !s.enabled);
    let next_run_at = if retimed {
        timing.next_after(Utc::now()).1
    } else {
        s.next_run_at
    };
    let feed = req.feed.unwrap_or(s.feed);
    super::check_feed(feed, kind)?;
    let deliver = match &req.deliver {
        Some(ids) => validate::deliver(&ctx, caller.account_id, ids).await?,
        None => s.deliver.clone(),
    };
    let fields = ScheduleFields {
        kind,
        format,
        timing,
        feed,
        deliver,
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
