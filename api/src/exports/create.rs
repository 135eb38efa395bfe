//! `POST /v1/exports`: validates the request, records a queued export and hands it to the
//! queue after the commit; answers 202 at once. `Idempotency-Key` returns the same export
//! on a retry with the same body, and 409 with another body.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use exportd_core::{
    auth::Caller,
    domain::{self, DateRange, Format},
    exports::{self, ExportView, NewExport},
    ids::{AccountId, ExportId},
    kinds::{ReportKind, ReportOptions},
    notifications::NotifySpec,
    queue,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    auth::{ProvisionalAdmin, admin_or_reject},
    error::{ApiError, ApiResult, ErrorBody},
    extract::JsonBody,
    state::AppState,
    validate,
};

/// The request body.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "global", "format": "xlsx", "from": "2026-10-01", "to": "2026-10-30",
    "notify": {"emails": ["admin@example.com"], "in_app": true}}))]
pub struct CreateExport {
    /// The report kind; `GET /v1/kinds` lists them with their options.
    #[schema(value_type = ReportKind)]
    pub kind: String,
    #[schema(value_type = Format)]
    pub format: String,
    /// First day, in the report's timezone.
    #[schema(format = Date, example = "2026-10-01")]
    pub from: String,
    /// Last day, included; at most 90 days after `from`, and not in the future.
    #[schema(format = Date, example = "2026-10-30")]
    pub to: String,
    /// An IANA timezone; the account's when absent.
    #[serde(default)]
    #[schema(example = "America/Santiago")]
    pub timezone: Option<String>,
    /// The kind's filters; an option the kind does not take is refused.
    #[serde(default)]
    #[schema(value_type = Option<ReportOptions>)]
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub notify: Option<NotifySpec>,
    /// The account's destinations the file goes to once stored (`GET /v1/destinations`).
    #[serde(default)]
    pub deliver: Option<Vec<i64>>,
}

fn parse_day(field: &str, v: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        ApiError::unprocessable(
            "invalid_date",
            format!("`{field}` must be a real day written YYYY-MM-DD, got {v:?}"),
        )
    })
}

/// Asks for a report. Answers at once with the queued export; a worker builds the file and
/// tells the recipients in `notify` when it is ready.
#[utoipa::path(post, path = "/v1/exports", tag = "exports",
    request_body = CreateExport,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the same export")),
    responses(
        (status = 202, description = "Accepted and queued", body = ExportView,
            headers(("Location" = String, description = "The export's URL"))),
        (status = 409, description = "`idempotency_key_reused`: the key was used with another body", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = ErrorBody),
        (status = 422, description = "Validation: `range_too_long`, `from_after_to`, `date_in_future`, `beyond_retention` (says the earliest day), `unknown_kind`, `unknown_format`, `unknown_timezone`, `invalid_option`, `unknown_field`, `invalid_email`, `invalid_webhook`…", body = ErrorBody),
        (status = 429, description = "`too_many_active_exports`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn create(
    State(app): State<AppState>,
    who: ProvisionalAdmin,
    headers: HeaderMap,
    JsonBody(req): JsonBody<CreateExport>,
) -> ApiResult<Response> {
    let mut caller = who.caller;
    // A caller from the token cache that the insert finds no longer holding is read
    // afresh and the request checked again with it; a second change means one under way.
    for _ in 0..2 {
        match accept(&app, &caller, who.token.as_deref(), &headers, &req).await? {
            Accepted::Answer(resp) => return Ok(resp),
            Accepted::CallerChanged(fresh) => caller = admin_or_reject(fresh)?,
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the account's access changed while this request was checked; try again",
    ))
}

enum Accepted {
    Answer(Response),
    /// The insert found that `token` no longer stands for the caller: who it stands for now.
    CallerChanged(Option<Caller>),
}

/// Checks the request as `caller` and records it; with `token` (its sha256), only while
/// the token still stands for that caller, checked by the insert itself.
async fn accept(
    app: &AppState,
    caller: &Caller,
    token: Option<&[u8]>,
    headers: &HeaderMap,
    req: &CreateExport,
) -> ApiResult<Accepted> {
    let ctx = &app.ctx;
    let kind = validate::kind(&req.kind)?;
    let format = validate::format(&req.format)?;
    let from = parse_day("from", &req.from)?;
    let to = parse_day("to", &req.to)?;

    let (Some(plan), Some(account_tz)) = (caller.plan, caller.timezone) else {
        return Err(ApiError::account_missing());
    };
    let tz: Tz = match &req.timezone {
        Some(name) => validate::timezone(name)?,
        None => account_tz,
    };
    let authority = token.map(|t| exports::Authority {
        token_sha256: t.to_vec(),
        plan,
        timezone: account_tz,
    });
    let notify = req.notify.clone().unwrap_or_default();
    validate::notify(ctx, caller.account_id, &notify).await?;
    let options = validate::options(
        ctx,
        caller.account_id,
        kind,
        &req.options.clone().unwrap_or_default(),
    )
    .await?;

    let deliver = validate::deliver(
        ctx,
        caller.account_id,
        req.deliver.as_deref().unwrap_or_default(),
    )
    .await?;
    let range = DateRange { from, to, tz };
    domain::validate_range(
        &range,
        plan,
        ctx.cfg.plan(plan),
        ctx.cfg.max_range_days,
        Utc::now(),
    )
    .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;

    let key = idempotency_key(headers)?;
    // The request as understood, so that a retry with the same meaning matches.
    let canonical = serde_json::json!({
        "kind": kind.as_str(), "format": format.as_str(), "from": from, "to": to, "timezone": tz.name(),
        "options": options.to_value(), "notify": notify, "deliver": deliver,
    });
    let hash = hex::encode(Sha256::digest(canonical.to_string().as_bytes()));
    let new = NewExport {
        account_id: caller.account_id,
        requested_by: Some(caller.user_id),
        kind,
        format,
        range_from: from,
        range_to: to,
        timezone: tz,
        options,
        notify,
        idempotency_key: key.clone(),
        request_hash: Some(hash.clone()),
        schedule_id: None,
        period: None,
        deliver,
    };
    // One statement checks the cap and the token, and inserts, with the exports of other
    // requests waiting at this instant (group commit). No row means the token no longer
    // stands for the caller, or the key was used already (a retry, or a concurrent request
    // with it), or the account is at its cap.
    let inserted = app.commits.insert(exports::Ask { new, authority }).await?;
    let Some(export) = inserted else {
        if let Some(t) = token {
            let fresh = app.tokens.refresh(ctx, t).await?;
            if fresh.as_ref() != Some(caller) {
                return Ok(Accepted::CallerChanged(fresh));
            }
        }
        if let Some(k) = &key
            && let Some(existing) =
                exports::get_by_idempotency_key(&ctx.pool, caller.account_id, k).await?
        {
            return replay(ctx, existing, &hash).await.map(Accepted::Answer);
        }
        return Err(ApiError::Known {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_active_exports",
            message: format!(
                "the account already has {} exports queued or running; wait for one to finish",
                ctx.cfg.max_active_exports
            ),
            retry_after: Some(30),
        });
    };
    hand_over(app, export.id, caller.account_id);
    tracing::info!(
        export.id = export.id,
        account.id = caller.account_id,
        "export accepted"
    );
    let view = super::view(ctx, caller.account(), &export).await?;
    Ok(Accepted::Answer(accepted(view, StatusCode::ACCEPTED)))
}

/// The least time between two hand-over passes of one API process.
const HANDOFF_PACE: std::time::Duration = std::time::Duration::from_millis(20);

/// After the commit, and off the request path: a fair dispatch pass
/// ([`queue::dispatch_fair`]), unless another dispatch holds the queue's lock at this
/// instant, then wakes the account's streams. The new export takes its turn among every
/// account's waiting exports; it is not pushed ahead of them. What is accepted while a
/// hand-over runs goes in the next one. What a hand-over skips (lock busy, Redis full or
/// down, process gone) is handed over by the worker's dispatcher within a poll interval:
/// never lost.
pub(crate) fn hand_over(app: &AppState, export_id: i64, account_id: i64) {
    let ctx = &app.ctx;
    if app.handoff.push(ExportId(export_id), AccountId(account_id)) {
        let (ctx, handoff) = (ctx.clone(), app.handoff.clone());
        tokio::spawn(async move {
            let mut redis = ctx.redis.clone();
            while let Some(batch) = handoff.next_batch() {
                if let Err(e) =
                    queue::dispatch_fair(&ctx.pool, &mut redis, &ctx.cfg, queue::OnBusy::Skip).await
                {
                    tracing::warn!(exports = batch.len(), error = %e, "dispatch after create failed; the dispatcher will retry");
                }
                let mut accounts: Vec<i64> = batch.iter().map(|&(_, a)| a).collect();
                accounts.sort_unstable();
                accounts.dedup();
                for account in accounts {
                    exportd_core::events::publish(&mut redis, &ctx.cfg, account).await;
                }
                // While a burst goes on, a pass at most every HANDOFF_PACE: what is
                // accepted meanwhile waits for the next, and the burst's own inserts keep
                // the database. An export after a quiet spell is handed over at once.
                tokio::time::sleep(HANDOFF_PACE).await;
            }
        });
    }
}

/// The `Idempotency-Key` header, if any: 1 to 200 visible characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
    {
        None => Ok(None),
        Some(Ok(k)) if !k.is_empty() && k.len() <= 200 => Ok(Some(k)),
        Some(_) => Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 visible characters",
        )),
    }
}

async fn replay(
    ctx: &exportd_core::Shared,
    existing: exports::Export,
    hash: &str,
) -> ApiResult<Response> {
    if existing.request_hash.as_deref() != Some(hash) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "this Idempotency-Key was already used with a different request; use a new key",
        ));
    }
    let view = super::view(ctx, AccountId(existing.account_id), &existing).await?;
    Ok(accepted(view, StatusCode::ACCEPTED))
}

pub(crate) fn accepted(view: exports::ExportView, status: StatusCode) -> Response {
    let location = HeaderValue::from_str(&format!("/v1/exports/{}", view.id)).expect("ascii");
    let mut resp = (status, Json(view)).into_response();
    resp.headers_mut().insert(header::LOCATION, location);
    resp
}
