//! The connections both sides share: configuration, the Postgres pool, Redis and storage.
//! The API and the worker each build their own state on top of one [`Shared`].

use std::sync::Arc;

use anyhow::Context as _;
use apalis_redis::ConnectionManager;
use sqlx::PgPool;

use crate::{Config, replica::Replica, storage::Storage};

#[derive(Debug, Clone)]
pub struct Shared {
    pub cfg: Arc<Config>,
    pub pool: PgPool,
    /// The streaming replica for reads of the source tables, when `DATABASE_READ_URL` is
    /// set.
    pub replica: Option<Arc<Replica>>,
    pub redis: ConnectionManager,
    pub storage: Storage,
}

impl Shared {
    /// Connects to everything the configuration names; fails at start when something is
    /// unreachable or misconfigured.
    pub async fn connect(cfg: Config) -> anyhow::Result<Arc<Shared>> {
        // Every process that does work builds this; its figures are recorded from now on.
        crate::telemetry::install();
        let pool = crate::db::connect(&cfg)
            .await
            .context("connecting to Postgres (DATABASE_URL)")?;
        let replica = Replica::connect_lazy(&cfg)
            .context("reading DATABASE_READ_URL")?
            .map(Arc::new);
        let redis = crate::queue::connect(&cfg)
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        let storage = Storage::from_config(&cfg);
        // A missing bucket or bad credentials are said at start (and in /readyz), not
        // first found by an export.
        match storage.check().await {
            Ok(()) => {}
            Err(e) if e.is_permanent() => tracing::error!(
                error = %e,
                "storage is misconfigured: exports will fail until the bucket or its credentials are fixed (S3_BUCKET, AWS_*)"
            ),
            Err(e) => tracing::warn!(error = %e, "storage does not answer yet"),
        }
        Ok(Arc::new(Shared {
            cfg: Arc::new(cfg),
            pool,
            replica,
            redis,
            storage,
        }))
    }
}
