//! `PATCH /v1/schedules/{id}`: change any field. A change of day, hour or timezone, or
//! turning the schedule back on, sets the next run from now: disabled months are not
//! backfilled.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State, rejection::BytesRejection},
};
use chrono::Utc;
use exportd_core::{
    Shared,
    kinds::ReportOptions,
    notifications::NotifySpec,
    schedules::{self, ScheduleFields},
};
use serde::Deserialize;
use serde_json::Value;

use crate::{auth::Admin, error::ApiResult, validate};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSchedule {
    pub kind: Option<String>,
    pub format: Option<String>,
    pub day_of_month: Option<i64>,
    pub hour: Option<i64>,
    pub timezone: Option<String>,
    pub notify: Option<NotifySpec>,
    pub options: Option<serde_json::Map<String, Value>>,
    pub enabled: Option<bool>,
}

pub async fn update(
    State(ctx): State<Arc<Shared>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    let req: UpdateSchedule = validate::json_body(body)?;
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
    let tz = validate::timezone(req.timezone.as_deref().unwrap_or(&s.timezone))?;
    let notify = match req.notify {
        Some(n) => {
            validate::notify(&ctx, caller.account_id, &n).await?;
            serde_json::to_value(n).expect("serializes")
        }
        None => s.notify.clone(),
    };
    // The options are checked against the kind the schedule will have, whether or not
    // either changes.
    let options = match &req.options {
        Some(o) => validate::options(&ctx, caller.account_id, kind, o).await?,
        None => match s.options.as_object() {
            Some(o) => validate::options(&ctx, caller.account_id, kind, o).await?,
            None => ReportOptions::default(),
        },
    };
    let enabled = req.enabled.unwrap_or(s.enabled);
    let retimed = day != s.day_of_month as i64
        || hour != s.hour as i64
        || tz.name() != s.timezone
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
        timezone: tz.name().to_owned(),
        notify,
        options: options.to_value(),
        enabled,
        next_run_at,
    };
    let s = schedules::update(&ctx.pool, caller.account_id, s.id, &fields)
        .await?
        .ok_or_else(super::not_found)?;
    Ok(Json(super::view(&ctx, &s).await?))
}
