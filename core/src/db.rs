//! Database access: the pool and the embedded migrations.

use std::time::Duration;

use sqlx::{
    PgExecutor, PgPool, Postgres,
    postgres::{PgPoolOptions, PgRow},
};

use crate::Config;

/// Opens the pool. It fails at start if Postgres is unreachable.
pub async fn connect(cfg: &Config) -> Result<PgPool, sqlx::Error> {
    connect_url(&cfg.database_url, cfg.db_max_connections).await
}

pub async fn connect_url(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
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
