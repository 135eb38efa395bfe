//! `/v1/schedules`: monthly schedules (create, list, get, update, delete). Each shows its
//! `next_run_at` and its last runs with the exports they produced. Table access is in
//! `exportd_core::schedules`.

pub mod create;
pub mod delete;
pub mod get;
pub mod update;

use chrono::{DateTime, Utc};
use exportd_core::{
    Shared,
    domain::{Format, Status},
    ids::{AccountId, ScheduleId},
    kinds::{ReportKind, ReportOptions},
    notifications::NotifySpec,
    schedules::{self, Schedule},
};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// A monthly schedule, with its last runs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 5, "kind": "global", "format": "xlsx", "day_of_month": 1, "hour": 6, "timezone": "America/Santiago", "notify": {"emails": ["admin@example.com"]}, "options": {}, "enabled": true, "next_run_at": "2026-12-01T09:00:00Z", "next_runs": ["2026-12-01T09:00:00Z", "2027-01-01T09:00:00Z", "2027-02-01T09:00:00Z"], "created_at": "2026-10-15T12:00:00Z", "last_runs": [{"period": "2026-10", "export_id": 40, "status": "succeeded", "created_at": "2026-11-01T09:00:00Z"}]}))]
pub struct ScheduleView {
    pub id: i64,
    pub kind: ReportKind,
    pub format: Format,
    /// 1 to 28.
    pub day_of_month: i16,
    /// 0 to 23, local time in `timezone`.
    pub hour: i16,
    pub timezone: String,
    pub notify: NotifySpec,
    pub options: ReportOptions,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    /// The next three runs, soonest first, each at `hour` local time in `timezone` (so
    /// their UTC hour moves with daylight saving time); empty while disabled.
    pub next_runs: Vec<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_runs: Vec<RunView>,
}

/// One run of a schedule: the export it produced for a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"period": "2026-10", "export_id": 40, "status": "succeeded", "created_at": "2026-11-01T09:00:00Z"}))]
pub struct RunView {
    /// The month reported, `YYYY-MM`.
    pub period: Option<String>,
    pub export_id: i64,
    pub status: Status,
    pub created_at: DateTime<Utc>,
}

/// The account's schedules.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct ScheduleList {
    pub items: Vec<ScheduleView>,
}

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
    schedules::get_for_account(&ctx.pool, AccountId(account_id), ScheduleId(id))
        .await?
        .ok_or_else(not_found)
}

/// The JSON of a schedule, with its last runs.
pub async fn view(ctx: &Shared, s: &Schedule) -> ApiResult<ScheduleView> {
    let runs = schedules::last_runs(&ctx.pool, s.id).await?;
    Ok(ScheduleView {
        id: s.id,
        kind: s.kind,
        format: s.format,
        day_of_month: s.day_of_month,
        hour: s.hour,
        timezone: s.timezone.name().to_owned(),
        notify: s.notify.clone(),
        options: s.options.clone(),
        enabled: s.enabled,
        next_run_at: s.next_run_at,
        next_runs: upcoming(s),
        created_at: s.created_at,
        last_runs: runs
            .into_iter()
            .map(|r| RunView {
                period: r.period,
                export_id: r.export_id,
                status: r.status,
                created_at: r.created_at,
            })
            .collect(),
    })
}

/// The next three runs of an enabled schedule, from its `next_run_at` on.
fn upcoming(s: &Schedule) -> Vec<DateTime<Utc>> {
    if !s.enabled {
        return vec![];
    }
    let (day, hour) = (s.day_of_month as u32, s.hour as u32);
    let mut runs = vec![s.next_run_at];
    runs.extend(schedules::next_runs(
        s.next_run_at,
        day,
        hour,
        s.timezone,
        2,
    ));
    runs
}
