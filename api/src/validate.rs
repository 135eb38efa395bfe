//! Validation shared by export requests and schedules: each refusal has its own code and a
//! message that says what is allowed.

use chrono_tz::Tz;
use exportd_core::{
    Shared,
    domain::{self, Format},
    kinds::{self, ReportKind, ReportOptions},
    notifications::NotifySpec,
    webhooks,
};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

pub fn kind(s: &str) -> ApiResult<ReportKind> {
    ReportKind::parse(s).ok_or_else(|| {
        let known: Vec<_> = ReportKind::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::unprocessable(
            "unknown_kind",
            format!("unknown kind {s:?}; known kinds: {}", known.join(", ")),
        )
    })
}

pub fn format(s: &str) -> ApiResult<Format> {
    Format::parse(s).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_format",
            format!("unknown format {s:?}; use xlsx or csv"),
        )
    })
}

pub fn timezone(s: &str) -> ApiResult<Tz> {
    s.parse().map_err(|_| {
        ApiError::unprocessable(
            "unknown_timezone",
            format!("unknown timezone {s:?}; use an IANA name such as America/Santiago"),
        )
    })
}

/// The most destinations one export or schedule delivers to.
pub const MAX_DELIVER: usize = 10;

/// Checks `deliver`: at most [`MAX_DELIVER`] of the account's own destinations, each once.
/// Another account's destination reads as one that does not exist.
pub async fn deliver(ctx: &Shared, account_id: i64, ids: &[i64]) -> ApiResult<Vec<i64>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_DELIVER {
        return Err(ApiError::unprocessable(
            "invalid_destination",
            format!(
                "deliver names at most {MAX_DELIVER} destinations, got {}",
                ids.len()
            ),
        ));
    }
    let missing = exportd_core::destinations::not_owned(
        &ctx.pool,
        exportd_core::ids::AccountId(account_id),
        &ids,
    )
    .await?;
    if !missing.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_destination",
            format!(
                "deliver names destinations this account does not have: {missing:?} (GET /v1/destinations lists them)"
            ),
        ));
    }
    Ok(ids)
}

/// Checks who to tell: plausible email addresses of at most 254 bytes, at most 50 of
/// them, and a webhook target that meets the rules of `exportd_core::webhooks` (checked
/// again when it is sent to), for an account that has a webhook secret to sign with.
pub async fn notify(ctx: &Shared, account_id: i64, n: &NotifySpec) -> ApiResult<()> {
    if let Some(long) = n.emails.iter().find(|e| e.len() > 254) {
        return Err(ApiError::unprocessable(
            "invalid_email",
            format!(
                "an email address has at most 254 bytes; got one of {}",
                long.len()
            ),
        ));
    }
    if let Some(bad) = n.emails.iter().find(|e| !domain::valid_email(e)) {
        return Err(ApiError::unprocessable(
            "invalid_email",
            format!("{bad:?} is not a valid email address"),
        ));
    }
    if n.emails.len() > 50 {
        return Err(ApiError::unprocessable(
            "too_many_recipients",
            "at most 50 email recipients",
        ));
    }
    if let Some(url) = &n.webhook {
        let bad =
            |e: webhooks::TargetError| ApiError::unprocessable("invalid_webhook", e.to_string());
        let parsed = webhooks::check_shape(url).map_err(bad)?;
        webhooks::resolve(&parsed, ctx.cfg.webhook_allow_private)
            .await
            .map_err(bad)?;
        if webhooks::info(&ctx.pool, account_id).await?.is_none() {
            return Err(ApiError::unprocessable(
                "webhook_secret_missing",
                "the account has no webhook secret to sign deliveries with; create one with POST /v1/webhook-secret first",
            ));
        }
    }
    Ok(())
}

/// The options of a request for `kind`: an unknown option or a bad value is a
/// `422 invalid_option` naming it, and so is an id that is not one of the account's.
pub async fn options(
    ctx: &Shared,
    account_id: i64,
    kind: ReportKind,
    o: &Map<String, Value>,
) -> ApiResult<ReportOptions> {
    let options = ReportOptions::parse(kind, o)
        .map_err(|e| ApiError::unprocessable("invalid_option", e.message))?;
    for (name, table, ids) in options.named_ids() {
        let foreign = kinds::foreign_ids(&ctx.pool, account_id, table, ids).await?;
        if !foreign.is_empty() {
            return Err(ApiError::unprocessable(
                "invalid_option",
                format!(
                    "options.{}: no {} with id {foreign:?} in this account",
                    name.as_str(),
                    table.name().trim_end_matches('s')
                ),
            ));
        }
    }
    Ok(options)
}
