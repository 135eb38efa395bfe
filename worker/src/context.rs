//! One context of dependencies, shared by every job and by the API: pool, Redis, storage,
//! mailer, HTTP client and configuration. Each backend is swappable by configuration.

use std::sync::Arc;

use anyhow::Context as _;
use apalis_redis::ConnectionManager;
use exportd_core::Config;
use rand::Rng;
use sqlx::PgPool;

use crate::{mail::Mailer, storage::Storage};

#[derive(Debug, Clone)]
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub storage: Storage,
    pub mailer: Mailer,
    pub http: reqwest::Client,
    /// Unique per process: names apalis workers and owns leases.
    pub instance: String,
    /// The API's coalesced hand-over of accepted exports to the queue.
    pub handoff: Arc<exportd_core::queue::Handoff>,
}

impl Ctx {
    /// Connects to everything the configuration names; fails at start when something is
    /// unreachable or misconfigured.
    pub async fn connect(cfg: Config) -> anyhow::Result<Arc<Ctx>> {
        let pool = exportd_core::db::connect(&cfg)
            .await
            .context("connecting to Postgres (DATABASE_URL)")?;
        let redis = exportd_core::queue::connect(&cfg)
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        let storage = Storage::from_config(&cfg);
        let mailer = Mailer::from_config(&cfg).context("configuring mail (SMTP_*, MAIL_FROM)")?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .user_agent(concat!("exportd/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        let mut nonce = [0u8; 4];
        rand::rng().fill_bytes(&mut nonce);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
        let instance = format!("{host}-{}-{}", std::process::id(), hex::encode(nonce));
        Ok(Arc::new(Ctx {
            cfg: Arc::new(cfg),
            pool,
            redis,
            storage,
            mailer,
            http,
            instance,
            handoff: Default::default(),
        }))
    }
}
