//! Who asked for an export: the user behind `requested_by`, read with the account scope.
//! A scheduled run has no requester.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::PgExecutor;

use crate::ids::AccountId;

/// The user who asked for an export, as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({"id": 7, "name": "Ana Pérez", "email": "ana@example.com"}))]
pub struct Requester {
    pub id: i64,
    /// `null` when the user has no name.
    pub name: Option<String>,
    /// `null` when the user has no email address.
    pub email: Option<String>,
}

/// The users among `ids` that belong to the account, by id. A user who is gone (or is
/// another account's) is simply absent.
pub async fn requesters(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ids: &[i64],
) -> Result<HashMap<i64, Requester>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Requester> = sqlx::query_as(
        "SELECT id, nullif(name, '') AS name, nullif(email, '') AS email FROM users
          WHERE account_id = $1 AND id = ANY($2)",
    )
    .bind(account_id)
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}
