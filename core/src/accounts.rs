//! The accounts table, read the one way every part of exportd reads it.

use chrono_tz::Tz;
use sqlx::{PgExecutor, Row, postgres::PgRow};

use crate::{
    domain::{Locale, Plan},
    stored,
};

/// An account, as reports and validation see it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub plan: Plan,
    pub timezone: Tz,
    pub locale: Locale,
}

/// Reads an account; `None` when it does not exist. A plan or timezone this build does
/// not know is an error naming the account.
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<PgRow> =
        sqlx::query("SELECT name, plan, timezone, locale FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(|row| {
        Ok(Account {
            id,
            name: row.try_get("name")?,
            plan: stored::parsed(&row, "accounts", id, "plan", Plan::parse)?,
            timezone: stored::parsed(&row, "accounts", id, "timezone", stored::tz)?,
            locale: Locale::parse(&row.try_get::<String, _>("locale")?),
        })
    })
    .transpose()
}
