//! Database access: the pool and the embedded migrations.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgPoolOptions};

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
