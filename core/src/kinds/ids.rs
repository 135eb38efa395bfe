//! Filters that name rows of the account (sites, users): which table each names, and the
//! check that every id is the caller's.

/// The table whose ids an option names, for the check that they are the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTable {
    Sites,
    Users,
}

impl IdTable {
    pub fn name(self) -> &'static str {
        match self {
            IdTable::Sites => "sites",
            IdTable::Users => "users",
        }
    }
}

/// The ids among `ids` that are not rows of `table` in the account: any makes a filter
/// invalid (another account's site is as unknown as a site that does not exist).
pub async fn foreign_ids(
    db: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    table: IdTable,
    ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    let sql = format!(
        "SELECT i FROM unnest($2::int8[]) AS i
          WHERE NOT EXISTS (SELECT 1 FROM {} t WHERE t.id = i AND t.account_id = $1) ORDER BY i",
        table.name()
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(ids)
        .fetch_all(db)
        .await
}
