//! `POST /v1/schedules/{id}/run`: runs a schedule now for a period whose days are all over,
//! `{"period": key}` or, with `{}` or no body, the latest such period; its run may be due
//! later (a weekly run covering last week), and the scheduler then finds it made. Idempotent per period: the export a period already
//! has (made by the scheduler or an earlier call) is answered with 200; a new one with 202.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use chrono::Utc;
use exportd_core::{exports::ExportView, schedules};
use serde::Deserialize;

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult, ErrorBody},
    exports::create::{accepted, hand_over},
    extract::OptionalJsonBody,
    state::AppState,
};

/// Which period to run.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period": "2026-11"}))]
pub struct RunSchedule {
    /// A period whose days are all over, as the run history names it: `YYYY-MM` (monthly),
    /// `YYYY-MM-DD` (daily) or `YYYY-Www-D` (weekly). The latest such when absent.
    #[serde(default)]
    pub period: Option<String>,
}

/// Runs a schedule now for a past period.
#[utoipa::path(post, path = "/v1/schedules/{id}/run", tag = "schedules",
    request_body(content = Option<RunSchedule>, description = "Optional: no body runs the latest period due"),
    params(("id" = String, Path, description = "The schedule's id")),
    responses(
        (status = 202, description = "A new export for the period, queued", body = ExportView),
        (status = 200, description = "The export the period already has", body = ExportView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: a body that is not JSON", body = ErrorBody),
        (status = 422, description = "`invalid_period` (not one of this schedule's, or its days not all over), `beyond_retention`…", body = ErrorBody),
    ))]
pub async fn run(
    State(app): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    OptionalJsonBody(req): OptionalJsonBody<RunSchedule>,
) -> ApiResult<Response> {
    let ctx = &app.ctx;
    let s = super::load(ctx, caller.account_id, &id).await?;
    let t = s.timing;
    let now = Utc::now();
    let today = now.with_timezone(&t.tz).date_naive();
    let date = match &req.period {
        None => t.latest_closed(today),
        Some(key) => t.parse_key(key).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_period",
                format!(
                    "{key:?} is not a period of this {} schedule; its periods look like {:?}",
                    t.cadence.name(),
                    t.key(t.latest_closed(today))
                ),
            )
        })?,
    };
    let (from, to) = t.covered(date);
    if to >= today {
        return Err(ApiError::unprocessable(
            "invalid_period",
            format!(
                "the period {} covers {from} … {to}, which is not over yet in {}; run a past one",
                t.key(date),
                t.tz.name()
            ),
        ));
    }
    let key = t.key(date);
    if let Some(e) = schedules::run_of(&ctx.pool, &s, &key).await? {
        let view = crate::exports::view(ctx, caller.account(), &e).await?;
        return Ok(accepted(view, StatusCode::OK));
    }
    let plan = caller.plan.ok_or_else(ApiError::account_missing)?;
    schedules::check_run(&s, date, plan, &ctx.cfg, now)
        .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    // Under the schedule's lock, as the scheduler makes its runs: a feed run's rows are
    // taken in order.
    let mut tx = ctx.pool.begin().await?;
    schedules::lock(&mut *tx, s.id).await?;
    let made = schedules::create_run(&mut tx, &s, date, Some(caller.user_id), now).await?;
    tx.commit().await?;
    let (export, status) = match made {
        Some(e) => {
            hand_over(&app, e.id, caller.account_id);
            tracing::info!(schedule.id = s.id, period = %key, export.id = e.id, "schedule run now");
            (e, StatusCode::ACCEPTED)
        }
        // Another call or the scheduler made it meanwhile.
        None => (
            schedules::run_of(&ctx.pool, &s, &key)
                .await?
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "the period's export could not be read back",
                    )
                })?,
            StatusCode::OK,
        ),
    };
    let view = crate::exports::view(ctx, caller.account(), &export).await?;
    Ok(accepted(view, status))
}
