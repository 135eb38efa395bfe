//! Database access: the pool and the embedded migrations.

use std::time::Duration;

use sqlx::{
    PgExecutor, PgPool, Postgres,
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
};

use crate::Config;

/// Opens the pool. It fails at start if Postgres is unreachable.
/// Every statement runs under `EXPORTD_STATEMENT_TIMEOUT_SECS`, and waiting for a
/// connection gives up after a few seconds, so an outage answers quickly instead of
/// holding requests.
pub async fn connect(cfg: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(cfg.db_max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options(&cfg.database_url, cfg.statement_timeout)?)
        .await
}

/// A server's options, every statement bounded by `timeout`.
pub(crate) fn options(url: &str, timeout: Duration) -> Result<PgConnectOptions, sqlx::Error> {
    let opts: PgConnectOptions = url.parse()?;
    Ok(opts.options([(
        "statement_timeout",
        format!("{}s", timeout.as_secs().max(1)),
    )]))
}

/// Applies every migration in `migrations/` that has not run yet.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(pool).await
}

/// One row or none, by a query with one parameter: the shape of every read of a row by id.
pub async fn one<'q, T, A>(
    db: impl PgExecutor<'q>,
    sql: String,
    a: A,
) -> Result<Option<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    A: 'q + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
{
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(a)
        .fetch_optional(db)
        .await
}

/// One row or none, by a query with two parameters: the shape of every read of a row of
/// an account (`… WHERE id = $1 AND account_id = $2`).
pub async fn one2<'q, T, A, B>(
    db: impl PgExecutor<'q>,
    sql: String,
    a: A,
    b: B,
) -> Result<Option<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    A: 'q + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
    B: 'q + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
{
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(a)
        .bind(b)
        .fetch_optional(db)
        .await
}

/// How many rows of exportd's `table` the account has.
pub async fn count_for_account(
    db: impl sqlx::PgExecutor<'_>,
    table: &'static str,
    account_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {table} WHERE account_id = $1"
    )))
    .bind(account_id)
    .fetch_one(db)
    .await
}

/// Deletes row `id` of exportd's `table` when it is the account's; whether it was.
pub async fn delete_for_account(
    db: impl sqlx::PgExecutor<'_>,
    table: &'static str,
    id: i64,
    account_id: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE id = $1 AND account_id = $2"
    )))
    .bind(id)
    .bind(account_id)
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}
