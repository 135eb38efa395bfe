//! Configuration: documented defaults, then `EXPORTD_*` (and the fixed operator names such
//! as `DATABASE_URL`, `S3_BUCKET`, `SMTP_HOST`) from the environment, in one typed struct
//! validated at start-up. A bad value fails at start, not at first use.

mod backends;
mod env;

use std::{collections::HashMap, path::PathBuf, time::Duration};

pub use backends::{S3Config, SmtpConfig, SmtpTls, StsConfig};
pub use env::ConfigError;
use env::{Env, link_keys};

use crate::{
    domain::{Plan, PlanLimits},
    links::Keys,
};

/// Every setting of exportd. See docs/configuration.md for each variable and its default.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// A streaming replica for reports' reads of the source tables (`DATABASE_READ_URL`);
    /// `None`: everything reads the primary.
    pub database_read_url: Option<String>,
    /// The most connections to the replica, per process.
    pub db_read_max_connections: u32,
    /// Statement timeout of each read on the replica.
    pub read_statement_timeout: Duration,
    /// How long a report waits for the replica to replay what the primary had committed
    /// when the export was claimed, before it reads the primary instead.
    pub replica_max_wait: Duration,
    pub redis_url: String,
    pub listen: String,
    pub public_url: String,
    pub storage_dir: PathBuf,
    pub outbox_dir: PathBuf,
    /// Sign download links (`EXPORTD_SECRET`, and `EXPORTD_SECRET_PREVIOUS` still accepted).
    pub keys: Keys,
    /// Why this configuration may not serve (`None`: it may): no `EXPORTD_SECRET`, or a short
    /// one, outside development mode. Checked by [`Config::require_secret`].
    secret_problem: Option<ConfigError>,
    /// `EXPORTD_DEV=true`: development mode (a random link key when none is set).
    pub dev: bool,
    /// Webhooks may target loopback and private addresses (tests, on-premise).
    pub webhook_allow_private: bool,
    /// The keys that seal destination secrets (`EXPORTD_ENCRYPTION_KEY`); without them
    /// no destination can be made.
    pub sealer: Option<crate::secrets::Sealer>,
    /// When set, `/metrics` answers only requests with this bearer token.
    pub metrics_token: Option<String>,
    /// Where a worker process serves its own `/metrics` (none when empty).
    pub worker_metrics_listen: Option<String>,
    pub s3: Option<S3Config>,
    /// How S3 destinations in role mode assume the customer's role.
    pub sts: StsConfig,
    pub smtp: Option<SmtpConfig>,
    pub mail_from: String,
    /// Prefix of every Redis key exportd uses (queues, pub/sub channels).
    pub queue_prefix: String,
    /// Redis never holds more than this many dispatched jobs per queue.
    pub dispatch_cap: usize,
    /// Most exports waiting in Redis for a worker. Kept short, so that whose turn comes
    /// next is decided in Postgres, fairly across accounts, as late as possible.
    pub generate_depth: usize,
    pub poll_interval: Duration,
    pub lease: Duration,
    pub max_attempts: i32,
    /// First retry delay; each further attempt doubles it, up to five minutes for an
    /// export and an hour for a notification.
    pub retry_base: Duration,
    /// How long an export keeps retrying transient failures, from its first attempt.
    pub export_retry_window: Duration,
    /// How long a notification keeps retrying, from when it was created.
    pub notify_retry_window: Duration,
    /// The longest one attempt at an export may run before it fails with `timeout`.
    pub export_deadline: Duration,
    /// Statement timeout of each report query.
    pub statement_timeout: Duration,
    /// Timeout of each storage (S3) operation, and of each SMTP exchange.
    pub io_timeout: Duration,
    /// Most event streams open at once per user.
    pub max_streams_per_user: usize,
    /// How often an open stream checks that its token still stands.
    pub stream_recheck: Duration,
    /// Most schedules per account.
    pub max_schedules: i64,
    pub worker_concurrency: usize,
    pub max_active_exports: i64,
    pub reconcile_interval: Duration,
    /// How often due schedules are looked for; 0 turns the scheduler off in this process.
    pub scheduler_interval: Duration,
    /// Whether reports read the rollups of closed days and workers build them.
    pub rollups: bool,
    /// How often a worker brings the rollups up to date.
    pub rollup_interval: Duration,
    /// How long the rollups of a timezone an account left are kept for reports already
    /// reading them.
    pub rollup_retire_after: Duration,
    pub presign_ttl: Duration,
    pub max_range_days: i64,
    pub db_max_connections: u32,
    pub plans: HashMap<Plan, PlanLimits>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration through `get`, so tests can supply their own values.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&get);
        let dev: bool = env.parse("EXPORTD_DEV", false)?;
        let (keys, secret_problem) = link_keys(&env, dev)?;
        let s3 = backends::s3(&env);
        let smtp = backends::smtp(&env);
        let mut plans = HashMap::new();
        for plan in Plan::ALL {
            let d = plan.default_limits();
            let upper = plan.as_str().to_uppercase();
            let data_days = env.parse(&format!("EXPORTD_PLAN_{upper}_DATA_DAYS"), d.data_days)?;
            let file_days = env.parse(&format!("EXPORTD_PLAN_{upper}_FILE_DAYS"), d.file_days)?;
            plans.insert(
                plan,
                PlanLimits {
                    data_days,
                    file_days,
                },
            );
        }
        let cfg = Config {
            database_url: env.string("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/exportd"),
            database_read_url: env
                .opt("DATABASE_READ_URL")
                .filter(|u| !u.trim().is_empty()),
            db_read_max_connections: env.parse("EXPORTD_DB_READ_MAX_CONNECTIONS", 16)?,
            read_statement_timeout: Duration::from_secs(
                env.parse("EXPORTD_READ_STATEMENT_TIMEOUT_SECS", 300)?,
            ),
            replica_max_wait: Duration::from_secs(env.parse("EXPORTD_REPLICA_MAX_WAIT_SECS", 30)?),
            redis_url: env.string("REDIS_URL", "redis://127.0.0.1:6379"),
            listen: env.string("EXPORTD_LISTEN", "127.0.0.1:8080"),
            public_url: String::new(),
            storage_dir: env.string("EXPORTD_STORAGE_DIR", "./data/exports").into(),
            outbox_dir: env.string("EXPORTD_OUTBOX_DIR", "./data/outbox").into(),
            keys,
            secret_problem,
            dev,
            webhook_allow_private: env.parse("EXPORTD_WEBHOOK_ALLOW_PRIVATE", false)?,
            sealer: match env
                .opt("EXPORTD_ENCRYPTION_KEY")
                .filter(|k| !k.trim().is_empty())
            {
                None => None,
                Some(k) => Some(crate::secrets::Sealer::parse(&k).map_err(|reason| {
                    ConfigError::new("EXPORTD_ENCRYPTION_KEY", "(not shown)", &reason)
                })?),
            },
            metrics_token: env.opt("EXPORTD_METRICS_TOKEN").filter(|t| !t.is_empty()),
            worker_metrics_listen: env
                .opt("EXPORTD_WORKER_METRICS_LISTEN")
                .filter(|t| !t.is_empty()),
            s3: s3.transpose()?,
            sts: backends::sts(&env),
            smtp: smtp.transpose()?,
            mail_from: env.string("MAIL_FROM", "exportd <exportd@localhost>"),
            queue_prefix: env.string("EXPORTD_QUEUE_PREFIX", "exportd"),
            dispatch_cap: env.parse("EXPORTD_DISPATCH_CAP", 500)?,
            generate_depth: env.parse("EXPORTD_GENERATE_DEPTH", 32)?,
            poll_interval: Duration::from_millis(env.parse("EXPORTD_POLL_INTERVAL_MS", 100)?),
            lease: Duration::from_secs(env.parse("EXPORTD_LEASE_SECS", 30)?),
            max_attempts: env.parse("EXPORTD_MAX_ATTEMPTS", 100)?,
            retry_base: Duration::from_millis(env.parse("EXPORTD_RETRY_BASE_MS", 2000)?),
            export_retry_window: Duration::from_secs(
                env.parse("EXPORTD_EXPORT_RETRY_SECS", 3_600)?,
            ),
            notify_retry_window: Duration::from_secs(
                env.parse("EXPORTD_NOTIFY_RETRY_SECS", 86_400)?,
            ),
            export_deadline: Duration::from_secs(env.parse("EXPORTD_EXPORT_DEADLINE_SECS", 1_800)?),
            statement_timeout: Duration::from_secs(
                env.parse("EXPORTD_STATEMENT_TIMEOUT_SECS", 300)?,
            ),
            io_timeout: Duration::from_secs(env.parse("EXPORTD_IO_TIMEOUT_SECS", 60)?),
            max_streams_per_user: env.parse("EXPORTD_MAX_STREAMS_PER_USER", 5)?,
            stream_recheck: Duration::from_secs(env.parse("EXPORTD_STREAM_RECHECK_SECS", 30)?),
            max_schedules: env.parse("EXPORTD_MAX_SCHEDULES", 50)?,
            worker_concurrency: env.parse("EXPORTD_WORKER_CONCURRENCY", 2)?,
            max_active_exports: env.parse("EXPORTD_MAX_ACTIVE_EXPORTS", 10)?,
            reconcile_interval: Duration::from_millis(
                env.parse("EXPORTD_RECONCILE_INTERVAL_MS", 1000)?,
            ),
            scheduler_interval: Duration::from_millis(
                env.parse("EXPORTD_SCHEDULER_INTERVAL_MS", 5000)?,
            ),
            rollups: env.parse("EXPORTD_ROLLUPS", true)?,
            rollup_interval: Duration::from_millis(
                env.parse("EXPORTD_ROLLUP_INTERVAL_MS", 60_000)?,
            ),
            rollup_retire_after: Duration::from_secs(
                env.parse("EXPORTD_ROLLUP_RETIRE_SECS", 3_600)?,
            ),
            presign_ttl: Duration::from_secs(env.parse("EXPORTD_PRESIGN_SECS", 300)?),
            max_range_days: env.parse("EXPORTD_MAX_RANGE_DAYS", 90)?,
            db_max_connections: env.parse("EXPORTD_DB_MAX_CONNECTIONS", 16)?,
            plans,
        };
        let public_url = env
            .opt("EXPORTD_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{}", cfg.listen));
        let cfg = Config {
            public_url: public_url.trim_end_matches('/').to_owned(),
            ..cfg
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.dispatch_cap == 0 || self.dispatch_cap > 5_000 {
            let v = self.dispatch_cap.to_string();
            return Err(ConfigError::new(
                "EXPORTD_DISPATCH_CAP",
                &v,
                "1 to 5000: apalis-redis fails to fetch about 8000 due jobs at once",
            ));
        }
        if self.generate_depth == 0 || self.generate_depth > self.dispatch_cap {
            return Err(ConfigError::new(
                "EXPORTD_GENERATE_DEPTH",
                &self.generate_depth.to_string(),
                "1 to EXPORTD_DISPATCH_CAP",
            ));
        }
        if self.max_attempts < 1 {
            return Err(ConfigError::new(
                "EXPORTD_MAX_ATTEMPTS",
                &self.max_attempts.to_string(),
                "at least 1",
            ));
        }
        if self.lease < Duration::from_secs(3) {
            return Err(ConfigError::new(
                "EXPORTD_LEASE_SECS",
                &self.lease.as_secs().to_string(),
                "at least 3",
            ));
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(ConfigError::new(
                "EXPORTD_PUBLIC_URL",
                &self.public_url,
                "an http(s) URL",
            ));
        }
        Ok(())
    }

    /// For `api`, `worker` and `all`: refuses a configuration whose links anyone could
    /// sign (no `EXPORTD_SECRET`, or one under 32 bytes) unless `EXPORTD_DEV=true`.
    pub fn require_secret(&self) -> Result<(), ConfigError> {
        match &self.secret_problem {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Limits of a plan, as configured.
    pub fn plan(&self, plan: Plan) -> PlanLimits {
        self.plans
            .get(&plan)
            .copied()
            .unwrap_or_else(|| plan.default_limits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_anywhere() {
        let cfg = Config::from_lookup(|_| None).unwrap();
        assert!(cfg.s3.is_none() && cfg.smtp.is_none());
        assert_eq!(cfg.public_url, "http://127.0.0.1:8080");
        assert!(cfg.require_secret().is_err(), "no secret, no serving");
        assert_eq!(cfg.plan(Plan::Free).data_days, 60);
    }

    #[test]
    fn serving_needs_a_long_secret_unless_in_development() {
        let with = |pairs: &'static [(&'static str, &'static str)]| {
            Config::from_lookup(move |k| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            })
            .unwrap()
        };
        let short = with(&[("EXPORTD_SECRET", "short")])
            .require_secret()
            .unwrap_err();
        assert!(short.to_string().contains("EXPORTD_SECRET"), "{short}");
        assert!(
            !short.to_string().contains("short\""),
            "the value is not echoed: {short}"
        );
        assert!(
            with(&[("EXPORTD_SECRET", "0123456789abcdef0123456789abcdef")])
                .require_secret()
                .is_ok()
        );
        let dev = with(&[("EXPORTD_DEV", "true")]);
        assert!(dev.require_secret().is_ok());
        // Two processes in development mode do not share a key anyone knows.
        assert_ne!(
            dev.keys.current.id,
            with(&[("EXPORTD_DEV", "true")]).keys.current.id
        );
    }

    #[test]
    fn a_bad_value_fails_at_start_with_its_name() {
        let err =
            Config::from_lookup(|k| (k == "SMTP_HOST" || k == "SMTP_TLS").then(|| "x".to_owned()))
                .unwrap_err();
        assert!(err.to_string().contains("SMTP_TLS"), "{err}");
        let err = Config::from_lookup(|k| (k == "EXPORTD_DISPATCH_CAP").then(|| "9000".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("EXPORTD_DISPATCH_CAP"), "{err}");
    }
}
