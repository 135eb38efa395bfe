//! Reports and the rollup builder read the source tables on a streaming replica
//! (`DATABASE_READ_URL`), never a stale one. When an export is claimed, the primary's WAL
//! insert position is recorded; the report reads the replica only once the replica has
//! replayed past it, so every row committed before the claim is there. The builder does
//! the same with the position when it starts an account's days. Past
//! `EXPORTD_REPLICA_MAX_WAIT_SECS`, with the replica down, or with a server that is not a
//! standby, they read the primary, and say so in the log and in `/metrics`
//! (`exportd_source_reads_total`).
//!
//! exportd's own tables (exports, rollups, marks) are read and written on the primary, as
//! the rollup plan is (it drains the WAL through a slot). A feed run's taken rows are
//! read with its report on the replica: they are written before the claim.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use sqlx::{PgPool, postgres::PgPoolOptions};
use tracing::{info, warn};

use crate::{Config, telemetry};

/// The primary's WAL position now: everything committed so far is before it.
pub async fn position(primary: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(primary)
        .await
}

/// Where a read of the source tables goes, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No replica is configured, or the primary's position could not be read.
    NoReplica,
    /// The replica has replayed the position.
    CaughtUp,
    /// It had not within the wait.
    Lag,
    /// It did not answer.
    Down,
    /// The server answers but is not in recovery (a primary, or a promoted standby).
    NotAReplica,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NoReplica => "no_replica",
            Reason::CaughtUp => "caught_up",
            Reason::Lag => "lag",
            Reason::Down => "down",
            Reason::NotAReplica => "not_a_replica",
        }
    }

    pub fn on_replica(self) -> bool {
        self == Reason::CaughtUp
    }
}

/// How long a replica that did not answer, or did not catch up within the wait, is taken
/// at that word: a replica down is not asked again, and a replica behind is waited for
/// only [`BEHIND_WAIT`], so each read does not pay the whole wait before it reads the
/// primary.
const REMEMBER: Duration = Duration::from_secs(5);

/// The wait for a replica found behind a moment ago: enough for one that has caught up
/// since, and for the few milliseconds of a healthy one.
const BEHIND_WAIT: Duration = Duration::from_secs(1);

/// A streaming replica (`DATABASE_READ_URL`): the pool reads run on, a small pool of its
/// own to ask how far it has replayed (so a read pool busy with reports never looks like
/// a replica down), and what the last answers said.
#[derive(Debug)]
pub struct Replica {
    pub pool: PgPool,
    probe: PgPool,
    recent: Mutex<Recent>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Recent {
    down_until: Option<Instant>,
    behind_until: Option<Instant>,
}

impl Replica {
    /// The replica's pools, sized and timed out apart from the primary's
    /// (`EXPORTD_DB_READ_MAX_CONNECTIONS`, `EXPORTD_READ_STATEMENT_TIMEOUT_SECS`); `None`
    /// without `DATABASE_READ_URL`. They connect when first used: a replica down at start,
    /// or later, only sends reads to the primary.
    pub fn connect_lazy(cfg: &Config) -> Result<Option<Replica>, sqlx::Error> {
        let Some(url) = &cfg.database_read_url else {
            return Ok(None);
        };
        let options = crate::db::options(url, cfg.read_statement_timeout)?;
        Ok(Some(Replica {
            pool: PgPoolOptions::new()
                .max_connections(cfg.db_read_max_connections)
                .acquire_timeout(Duration::from_secs(3))
                .connect_lazy_with(options.clone()),
            probe: PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(1))
                .connect_lazy_with(options),
            recent: Mutex::new(Recent::default()),
        }))
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the replica has replayed `lsn`, waiting up to `max_wait` (up to a second
    /// while it was found behind a moment ago).
    async fn caught_up(&self, lsn: &str, max_wait: Duration) -> Reason {
        let now = Instant::now();
        let recent = *self.recent();
        if recent.down_until.is_some_and(|t| now < t) {
            return Reason::Down;
        }
        let wait = match recent.behind_until {
            Some(t) if now < t => max_wait.min(BEHIND_WAIT),
            _ => max_wait,
        };
        let reason = poll_replay(&self.probe, lsn, wait).await;
        let until = Some(Instant::now() + REMEMBER);
        let mut recent = self.recent();
        match reason {
            Reason::Down => recent.down_until = until,
            Reason::Lag => recent.behind_until = until,
            _ => *recent = Recent::default(),
        }
        reason
    }
}

/// The pool to read the source tables from, for `by` (`report` or `rollups`): the
/// replica once it has replayed `lsn` (waiting up to `max_wait`), else `primary`.
pub async fn source(
    primary: &PgPool,
    replica: Option<&Replica>,
    lsn: Option<&str>,
    max_wait: Duration,
    by: &'static str,
) -> (PgPool, Reason) {
    let started = Instant::now();
    let reason = match (replica, lsn) {
        (Some(replica), Some(lsn)) => replica.caught_up(lsn, max_wait).await,
        _ => Reason::NoReplica,
    };
    let waited = started.elapsed();
    let on = if reason.on_replica() {
        "replica"
    } else {
        "primary"
    };
    telemetry::source_read(by, on, reason.as_str(), waited);
    match reason {
        Reason::CaughtUp => {
            info!(
                by,
                waited_ms = waited.as_millis() as u64,
                "reading the replica"
            );
        }
        Reason::NoReplica => {}
        _ => warn!(
            by,
            reason = reason.as_str(),
            waited_ms = waited.as_millis() as u64,
            position = lsn.unwrap_or_default(),
            "the replica is not usable: reading the primary"
        ),
    }
    match (reason, replica) {
        (Reason::CaughtUp, Some(r)) => (r.pool.clone(), reason),
        _ => (primary.clone(), reason),
    }
}

/// Polls the replica's replay position until it passes `lsn` or `max_wait` has passed.
async fn poll_replay(probe: &PgPool, lsn: &str, max_wait: Duration) -> Reason {
    let deadline = Instant::now() + max_wait;
    let mut pause = Duration::from_millis(10);
    loop {
        let replayed: Result<(bool, Option<bool>), sqlx::Error> =
            sqlx::query_as("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= $1::pg_lsn")
                .bind(lsn)
                .fetch_one(probe)
                .await;
        match replayed {
            Ok((false, _)) => return Reason::NotAReplica,
            Ok((true, Some(true))) => return Reason::CaughtUp,
            Err(e) => {
                warn!(error = %e, "the replica does not answer");
                return Reason::Down;
            }
            Ok((true, _)) if Instant::now() >= deadline => return Reason::Lag,
            Ok((true, _)) => {}
        }
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// The replica's state for `/readyz`: whether it answers, is a standby, and how far it is
/// behind the primary (bytes of WAL not yet replayed, and seconds since the last replayed
/// commit when the primary has written since).
/// Reports read the primary while the replica is not `ok`, so it does not make the
/// process unready.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"ok": true, "state": "replaying", "lag_bytes": 18432, "lag_seconds": 0.4}))]
pub struct State {
    pub ok: bool,
    /// `caught_up`, `replaying`, `down`, `not_a_replica` (not in recovery: a primary, or
    /// a promoted standby) or `primary_down`.
    pub state: &'static str,
    /// WAL the primary has written that the replica has not replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_bytes: Option<i64>,
    /// Seconds since the last commit it replayed, while it has WAL left to replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<f64>,
}

/// Bounded by a second, so a probe of `/readyz` never waits on a replica down.
pub async fn state(primary: &PgPool, replica: &Replica) -> State {
    let asked = tokio::time::timeout(
        Duration::from_secs(1),
        sqlx::query_as::<_, (bool, Option<String>, Option<f64>)>(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
                    extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8",
        )
        .fetch_one(&replica.probe),
    )
    .await;
    let replica_side = match asked {
        Ok(Ok((true, Some(lsn), since))) => Ok((Some(lsn), since)),
        Ok(Ok(_)) => Ok((None, None)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 1 s".to_owned()),
    };
    let down = |state| State {
        ok: false,
        state,
        lag_bytes: None,
        lag_seconds: None,
    };
    let (replayed, since) = match replica_side {
        Err(_) => return down("down"),
        Ok((None, _)) => return down("not_a_replica"),
        Ok((Some(lsn), since)) => (lsn, since),
    };
    let behind: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "SELECT greatest(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn), 0)::int8",
    )
    .bind(&replayed)
    .fetch_one(primary)
    .await;
    match behind {
        Ok(bytes) => State {
            ok: true,
            state: if bytes == 0 { "caught_up" } else { "replaying" },
            lag_bytes: Some(bytes),
            // With nothing left to replay, the time since the last commit is idleness.
            lag_seconds: Some(if bytes == 0 {
                0.0
            } else {
                since.unwrap_or(0.0)
            }),
        },
        Err(_) => State {
            ok: true,
            state: "primary_down",
            lag_bytes: None,
            lag_seconds: since,
        },
    }
}
