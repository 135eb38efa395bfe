//! The worker's context: the connections shared with the API ([`Shared`]), plus what only
//! the worker uses: the mailer and this process's unique instance name. (Webhooks get a
//! client per delivery, pinned to the addresses checked: see `crate::notify::webhook`.) Each backend is swappable by configuration.

use std::sync::Arc;

use anyhow::Context as _;
use apalis_redis::ConnectionManager;
use exportd_core::{Config, Shared, replica::Replica, storage::Storage};
use rand::Rng;
use sqlx::PgPool;

use crate::mail::Mailer;

#[derive(Debug, Clone)]
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub pool: PgPool,
    /// The streaming replica reports read the source tables from, once it has caught up
    /// (`crate::replica`).
    pub replica: Option<Arc<Replica>>,
    pub redis: ConnectionManager,
    pub storage: Storage,
    pub mailer: Mailer,
    /// Unique per process: names apalis workers and owns leases.
    pub instance: String,
}

impl Ctx {
    /// The worker's context over connections already made; fails at start when mail is
    /// misconfigured.
    pub fn new(shared: &Shared) -> anyhow::Result<Arc<Ctx>> {
        let cfg = shared.cfg.clone();
        let mailer = Mailer::from_config(&cfg).context("configuring mail (SMTP_*, MAIL_FROM)")?;
        let mut nonce = [0u8; 4];
        rand::rng().fill_bytes(&mut nonce);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
        let instance = format!("{host}-{}-{}", std::process::id(), hex::encode(nonce));
        Ok(Arc::new(Ctx {
            cfg,
            pool: shared.pool.clone(),
            replica: shared.replica.clone(),
            redis: shared.redis.clone(),
            storage: shared.storage.clone(),
            mailer,
            instance,
        }))
    }
}
