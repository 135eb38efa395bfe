//! `POST /v1/schedules`: `{kind, format, cadence (default monthly), day_of_month (monthly:
//! 1-28 or "last"), day_of_week (weekly), week_start, last_days, hour (0-23, local),
//! timezone (default the account's), notify, options, enabled}`. The first run is the next
//! due time; nothing is backfilled (`POST /v1/schedules/{id}/run` makes a past period).

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

use super::{
    ScheduleView,
    timing::{self, TimingInput},
};
use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
    extract::JsonBody,
    validate,
};

/// A new schedule: every day, a day of the week or a day of the month, at `hour` local
/// time, the report of the period just closed (yesterday, last week, last month) or of the
/// `last_days` before the run.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "global", "format": "xlsx", "cadence": "weekly", "day_of_week": "monday", "hour": 6,
    "notify": {"emails": ["admin@example.com"]}}))]
pub struct CreateSchedule {
    #[schema(value_type = ReportKind)]
    pub kind: String,
    #[schema(value_type = Format)]
    pub format: String,
    /// `daily`, `weekly` or `monthly` (the default).
    #[serde(default)]
    #[schema(example = "weekly")]
    pub cadence: Option<String>,
    /// Monthly only, and required there: 1 to 28, or `"last"`.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = 1)]
    pub day_of_month: Option<Value>,
    /// Weekly only, and required there: `monday` … `sunday`.
    #[serde(default)]
    pub day_of_week: Option<String>,
    /// Weekly only: the first day of the week a run covers; `monday` when absent.
    #[serde(default)]
    pub week_start: Option<String>,
    /// 1 to 90: each run covers the N days before it instead of the period just closed.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 90)]
    pub last_days: Option<i64>,
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
    /// Feed mode (`sessions_detail`, `campaigns`): each run exports the rows that became
    /// final since the previous run, each exactly once across runs. `false` when absent.
    #[serde(default)]
    pub feed: Option<bool>,
    /// The account's destinations each run's file goes to.
    #[serde(default)]
    pub deliver: Option<Vec<i64>>,
    /// true when absent.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Creates a schedule. Its first run is the next due time; nothing is backfilled.
#[utoipa::path(post, path = "/v1/schedules", tag = "schedules", request_body = CreateSchedule,
    responses(
        (status = 201, description = "Created", body = ScheduleView),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "Validation: `invalid_cadence`, `invalid_day_of_month`, `invalid_day_of_week`, `invalid_week_start`, `invalid_last_days`, `invalid_feed`, `invalid_hour`, `unknown_kind`, `unknown_format`, `unknown_timezone`, `invalid_option`, `unknown_field`, `invalid_email`, `too_many_schedules`…", body = ErrorBody),
    ))]
pub async fn create(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    JsonBody(req): JsonBody<CreateSchedule>,
) -> ApiResult<(StatusCode, Json<ScheduleView>)> {
    let kind = validate::kind(&req.kind)?;
    let format = validate::format(&req.format)?;
    let input = TimingInput {
        cadence: req.cadence.as_deref(),
        day_of_month: req.day_of_month.as_ref().map(Some),
        day_of_week: req.day_of_week.as_deref().map(Some),
        week_start: req.week_start.as_deref(),
        last_days: req.last_days.map(Some),
        hour: Some(req.hour),
        timezone: req.timezone.as_deref(),
    };
    let timing = timing::read(&input, None, caller.timezone, ctx.cfg.max_range_days)?;
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
    let (_, next) = timing.next_after(Utc::now());
    let feed = req.feed.unwrap_or(false);
    super::check_feed(feed, kind)?;
    let deliver = validate::deliver(
        &ctx,
        caller.account_id,
        req.deliver.as_deref().unwrap_or_default(),
    )
    .await?;
    let fields = ScheduleFields {
        kind,
        format,
        timing,
        feed,
        deliver,
        notify,
        options,
        enabled: req.enabled.unwrap_or(true),
        next_run_at: next,
    };
    let s = schedules::insert(&ctx.pool, caller.account(), caller.user(), &fields).await?;
    Ok((StatusCode::CREATED, Json(super::view(&ctx, &s).await?)))
}
