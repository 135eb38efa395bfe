//! The accounts table, read the one way every part of exportd reads it.

use chrono_tz::Tz;
use sqlx::PgExecutor;

use crate::domain::{Locale, Plan};

/// An account, as reports and validation see it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub plan: Plan,
    pub timezone: Tz,
    pub locale: Locale,
}

/// Reads an account; `None` when it does not exist. An unknown plan reads as `free` and an
/// unknown timezone as UTC, the most restrictive readings.
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<(String, String, String, String)> =
        sqlx::query_as("SELECT name, plan, timezone, locale FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(name, plan, tz, locale)| Account {
        id,
        name,
        plan: Plan::parse(&plan).unwrap_or(Plan::Free),
        timezone: tz.parse().unwrap_or(Tz::UTC),
        locale: Locale::parse(&locale),
    }))
}
