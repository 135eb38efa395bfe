//! Report queries. A report is written through a [`crate::render::Sink`], section by section,
//! by the xlsx and csv renderers alike.

pub mod cells;
pub mod global;
pub mod rollup;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use exportd_core::domain::{Locale, Plan};
use sqlx::PgExecutor;

/// The account a report is about.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub plan: Plan,
    pub timezone: Tz,
    pub locale: Locale,
}

/// Why an account cannot be reported on.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("account {0} does not exist")]
    Missing(i64),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn load_account(db: impl PgExecutor<'_>, id: i64) -> Result<Account, AccountError> {
    let row: Option<(String, String, String, String)> =
        sqlx::query_as("SELECT name, plan, timezone, locale FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    let (name, plan, tz, locale) = row.ok_or(AccountError::Missing(id))?;
    Ok(Account {
        id,
        name,
        plan: Plan::parse(&plan).unwrap_or(Plan::Free),
        timezone: tz.parse().unwrap_or(Tz::UTC),
        locale: Locale::parse(&locale),
    })
}

/// When and for what range a report was made, for its summary block.
#[derive(Debug, Clone)]
pub struct Meta {
    pub account: Account,
    pub range: exportd_core::domain::DateRange,
    pub generated_at: DateTime<Utc>,
}
