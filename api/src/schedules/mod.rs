//! `/v1/schedules`: daily, weekly and monthly schedules (create, list, get, update,
//! delete, run now). Each shows its next runs and its last runs with the exports they
//! produced. Table access is in `exportd_core::schedules`.

pub mod create;
pub mod delete;
pub mod get;
pub mod run;
pub mod timing;
pub mod update;

use chrono::{DateTime, NaiveDate, Utc};
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

/// A schedule, with its next and last runs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 5, "kind": "global", "format": "xlsx", "cadence": "monthly", "day_of_month": 1, "day_of_week": null, "week_start": "monday", "last_days": null, "hour": 6, "timezone": "America/Santiago", "notify": {"emails": ["admin@example.com"]}, "options": {}, "enabled": true, "next_run_at": "2026-12-01T09:00:00Z", "next_runs": ["2026-12-01T09:00:00Z", "2027-01-01T09:00:00Z", "2027-02-01T09:00:00Z"], "created_at": "2026-10-15T12:00:00Z", "last_runs": [{"period": "2026-11", "range_from": "2026-10-01", "range_to": "2026-10-31", "export_id": 40, "status": "succeeded", "created_at": "2026-11-01T09:00:00Z"}]}))]
pub struct ScheduleView {
    pub id: i64,
    pub kind: ReportKind,
    pub format: Format,
    /// `daily`, `weekly` or `monthly`.
    #[schema(example = "monthly")]
    pub cadence: &'static str,
    /// Monthly: 1 to 28, or `"last"`; `null` for other cadences.
    pub day_of_month: Option<timing::DayOfMonth>,
    /// Weekly: `monday` … `sunday`; `null` for other cadences.
    pub day_of_week: Option<&'static str>,
    /// The first day of the week a weekly run covers (`monday` unless set).
    pub week_start: &'static str,
    /// When set, each run covers the N days before its run date instead of the period just
    /// closed (yesterday, last week, last month).
    pub last_days: Option<u32>,
    /// Feed mode (`sessions_detail`, `campaigns`): each run exports the rows that became
    /// final since the previous run (sessions closed; campaign messages whose status
    /// changed, once per status), each exactly once across runs.
    pub feed: bool,
    /// The account's destinations each run's file goes to.
    pub deliver: Vec<i64>,
    /// 0 to 23, local time in `timezone`.
    pub hour: u32,
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
#[schema(example = json!({"period": "2026-11", "range_from": "2026-10-01", "range_to": "2026-10-31", "export_id": 40, "status": "succeeded", "created_at": "2026-11-01T09:00:00Z"}))]
pub struct RunView {
    /// The run: `YYYY-MM` (monthly, the month it is due in), `YYYY-MM-DD` (daily, the day
    /// it is due) or `YYYY-Www-D` (weekly, the ISO week date it is due).
    pub period: Option<String>,
    /// The first day covered, local.
    pub range_from: NaiveDate,
    /// The last day covered, local.
    pub range_to: NaiveDate,
    /// A feed run's interval of close instants, `[feed_from, feed_to)`; `null` otherwise.
    pub feed_from: Option<DateTime<Utc>>,
    pub feed_to: Option<DateTime<Utc>>,
    /// The data rows of its file, once written.
    pub rows: Option<i64>,
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

/// Feed mode is for the row-level kinds whose rows become final: sessions, by the instant
/// they close, and campaign messages, by the instant their status changes.
pub fn check_feed(feed: bool, kind: ReportKind) -> ApiResult<()> {
    if feed && !schedules::feed::has_feed(kind) {
        return Err(ApiError::unprocessable(
            "invalid_feed",
            format!(
                "feed mode is for sessions_detail and campaigns, whose rows become final; not for {}",
                kind.as_str()
            ),
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
    let shown = timing::show(&s.timing);
    Ok(ScheduleView {
        id: s.id,
        kind: s.kind,
        format: s.format,
        cadence: shown.cadence,
        day_of_month: shown.day_of_month,
        day_of_week: shown.day_of_week,
        week_start: shown.week_start,
        last_days: shown.last_days,
        feed: s.feed,
        deliver: s.deliver.clone(),
        hour: s.timing.hour,
        timezone: s.timing.tz.name().to_owned(),
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
                range_from: r.range_from,
                range_to: r.range_to,
                feed_from: r.feed_from,
                feed_to: r.feed_to,
                rows: r.rows,
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
    let mut runs = vec![s.next_run_at];
    runs.extend(s.timing.next_runs(s.next_run_at, 2));
    runs
}
