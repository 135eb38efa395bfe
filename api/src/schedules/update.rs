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
use exportd_core::{notifications::NotifySpec, schedules};
use exportd_worker::Ctx;
use serde::Deserialize;
use serde_json::Value;

use super::COLUMNS;
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
    State(ctx): State<Arc<Ctx>>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let s = super::load(&ctx, caller.account_id, &id).await?;
    let req: UpdateSchedule = validate::json_body(body)?;
    let kind = match &req.kind {
        Some(k) => validate::kind(k)?.as_str().to_owned(),
        None => s.kind.clone(),
    };
    let format = match &req.format {
        Some(f) => validate::format(f)?.as_str().to_owned(),
        None => s.format.clone(),
    };
    let day = req.day_of_month.unwrap_or(s.day_of_month as i64);
    let hour = req.hour.unwrap_or(s.hour as i64);
    super::day_and_hour(day, hour)?;
    let tz = validate::timezone(req.timezone.as_deref().unwrap_or(&s.timezone))?;
    let notify = match req.notify {
        Some(n) => {
            validate::notify(&n)?;
            serde_json::to_value(n).expect("serializes")
        }
        None => s.notify.clone(),
    };
    let options = match req.options {
        Some(o) => {
            validate::options(&o)?;
            Value::Object(o)
        }
        None => s.options.clone(),
    };
    let enabled = req.enabled.unwrap_or(s.enabled);
    let retimed = day != s.day_of_month as i64
        || hour != s.hour as i64
        || tz.name() != s.timezone
        || (enabled && !s.enabled);
    let next = if retimed {
        schedules::next_after(Utc::now(), day as u32, hour as u32, tz).1
    } else {
        s.next_run_at
    };
    let s: super::Schedule = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE schedules SET kind = $3, format = $4, day_of_month = $5, hour = $6, timezone = $7, notify = $8, options = $9,
                enabled = $10, next_run_at = $11, updated_at = now()
          WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(s.id)
    .bind(caller.account_id)
    .bind(kind)
    .bind(format)
    .bind(day as i16)
    .bind(hour as i16)
    .bind(tz.name())
    .bind(notify)
    .bind(options)
    .bind(enabled)
    .bind(next)
    .fetch_one(&ctx.pool)
    .await?;
    Ok(Json(super::view(&ctx, &s).await?))
}
