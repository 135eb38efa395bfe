//! `GET /v1/me`: who the caller is, their account's plan, timezone and locale, the days a
//! report may cover, and the sites and users its filters pick from. `GET /v1/kinds`: the
//! registry of report kinds and the options each takes, from which clients (the web page,
//! the CLI) build their forms.

use std::sync::Arc;

use axum::{Json, extract::State};
use chrono::{Duration, NaiveDate, Utc};
use exportd_core::{
    Shared,
    domain::{Format, Locale, Plan},
    kinds::{self, OptionName, OutboundStatus, ReportKind, Words},
};
use serde::Serialize;

use crate::{
    auth::Admin,
    error::{ApiError, ApiResult},
};

/// Most sites and users `GET /v1/me` lists.
pub const MAX_LISTED: i64 = 1000;

/// The caller and their account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"user_id": 7, "email": "admin@example.com", "account_id": 3, "account_name": "Acme", "plan": "pro", "timezone": "America/Santiago", "locale": "es", "earliest_day": "2025-12-02", "latest_day": "2026-12-02", "max_range_days": 90, "file_days": 30, "sites": [{"id": 1, "name": "Web"}], "users": [{"id": 7, "name": "Ana"}]}))]
pub struct Me {
    pub user_id: i64,
    pub email: Option<String>,
    pub account_id: i64,
    pub account_name: String,
    pub plan: Plan,
    pub timezone: String,
    pub locale: Locale,
    /// The first day a report may start on (the plan's data retention), in the account's
    /// timezone.
    pub earliest_day: NaiveDate,
    /// Today in the account's timezone: the last day a report may end on.
    pub latest_day: NaiveDate,
    pub max_range_days: i64,
    /// How long the account's files are kept.
    pub file_days: i64,
    /// The account's sites (bots, channels), at most 1000.
    pub sites: Vec<Named>,
    /// The account's users (agents, owners), at most 1000.
    pub users: Vec<Named>,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({"id": 1, "name": "Web"}))]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// The caller, their account and its limits.
#[utoipa::path(get, path = "/v1/me", tag = "account",
    responses((status = 200, description = "The caller", body = Me)))]
pub async fn me(State(ctx): State<Arc<Shared>>, Admin(caller): Admin) -> ApiResult<Json<Me>> {
    let account = exportd_core::accounts::get(&ctx.pool, caller.account_id)
        .await?
        .ok_or_else(ApiError::account_missing)?;
    let limits = ctx.cfg.plan(account.plan);
    let today = Utc::now().with_timezone(&account.timezone).date_naive();
    let sites: Vec<Named> = sqlx::query_as(
        "SELECT id, coalesce(nullif(name, ''), '#' || id) AS name FROM sites
          WHERE account_id = $1 ORDER BY name, id LIMIT $2",
    )
    .bind(caller.account_id)
    .bind(MAX_LISTED)
    .fetch_all(&ctx.pool)
    .await?;
    let users: Vec<Named> = sqlx::query_as(
        "SELECT id, coalesce(nullif(name, ''), email, '#' || id) AS name FROM users
          WHERE account_id = $1 ORDER BY name, id LIMIT $2",
    )
    .bind(caller.account_id)
    .bind(MAX_LISTED)
    .fetch_all(&ctx.pool)
    .await?;
    Ok(Json(Me {
        user_id: caller.user_id,
        email: caller.email,
        account_id: account.id,
        account_name: account.name,
        plan: account.plan,
        timezone: account.timezone.name().to_owned(),
        locale: account.locale,
        earliest_day: today - Duration::days(limits.data_days),
        latest_day: today,
        max_range_days: ctx.cfg.max_range_days,
        file_days: limits.file_days,
        sites,
        users,
    }))
}

/// A report kind and the options it takes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"kind": "agents_activity", "title": {"es": "Análisis por agentes", "en": "Agent activity", "pt": "Análise por agentes"}, "about": {"es": "Sesiones, tiempo ocupado y mensajes de cada agente.", "en": "Each agent's sessions, busy time and messages.", "pt": "Sessões, tempo ocupado e mensagens de cada agente."}, "row_level": false, "formats": ["xlsx", "csv"], "options": [{"name": "sites", "type": "site_ids"}, {"name": "agents", "type": "user_ids"}]}))]
pub struct KindInfo {
    pub kind: ReportKind,
    /// Its name in each locale.
    pub title: Words,
    /// What it shows, in one line, in each locale.
    pub about: Words,
    /// One row per source row (sessions, messages) rather than aggregates.
    pub row_level: bool,
    pub formats: Vec<Format>,
    pub options: Vec<OptionInfo>,
}

/// An option: its name in `options` and the shape of its value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "mode", "type": "choice", "choices": ["all", "panel", "bot"]}))]
pub struct OptionInfo {
    pub name: &'static str,
    /// `site_ids` and `user_ids`: ids from `GET /v1/me`; `choice`: one of `choices`;
    /// `choices`: several of them; `flag`: true or false; `text`: up to `max_chars`;
    /// `texts`: several texts.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
}

fn describe(o: OptionName) -> OptionInfo {
    let (kind, choices, max_chars): (_, Vec<&'static str>, _) = match o {
        OptionName::Delimiter => ("choice", vec![",", ";"], None),
        OptionName::Sites => ("site_ids", vec![], None),
        OptionName::Owners | OptionName::Agents => ("user_ids", vec![], None),
        OptionName::Mode => ("choice", vec!["all", "panel", "bot"], None),
        OptionName::Abandoned | OptionName::Queued => ("flag", vec![], None),
        OptionName::Step | OptionName::Text | OptionName::Contact => {
            ("text", vec![], Some(kinds::MAX_TEXT))
        }
        OptionName::Statuses => (
            "choices",
            OutboundStatus::ALL.iter().map(|s| s.as_str()).collect(),
            None,
        ),
        OptionName::Templates => ("texts", vec![], Some(kinds::MAX_TEXT)),
    };
    OptionInfo {
        name: o.as_str(),
        kind,
        choices,
        max_chars,
    }
}

/// The report kinds, in the order the product shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"items": [{"kind": "global", "formats": ["xlsx", "csv"], "options": [{"name": "delimiter", "type": "choice", "choices": [",", ";"]}]}]}))]
pub struct Kinds {
    pub items: Vec<KindInfo>,
}

/// The registry of report kinds and their options.
#[utoipa::path(get, path = "/v1/kinds", tag = "account",
    responses((status = 200, description = "The kinds", body = Kinds)))]
pub async fn kinds(Admin(_): Admin) -> Json<Kinds> {
    Json(Kinds {
        items: ReportKind::ALL
            .into_iter()
            .map(|k| KindInfo {
                kind: k,
                title: k.info().title,
                about: k.info().about,
                row_level: k.info().row_level,
                formats: vec![Format::Xlsx, Format::Csv],
                options: k.accepted().map(describe).collect(),
            })
            .collect(),
    })
}
