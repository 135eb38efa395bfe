//! Reports and the rollup builder read the source tables on a streaming replica
//! (`DATABASE_READ_URL`), never a stale one. When an export is claimed, the primary's WAL
//! insert position is recorded; the report reads the replica only once the replica has
//! replayed past it, so every row committed before the claim is there. The builder does
//! the same with the position when it starts an account's days. Past
//! `EXPORTD_REPLICA_MAX_WAIT_SECS`, with the replica down, or with a server that is not a
//! standby, they read the primary, and say so in the log and in `/metrics`
//! (`exportd_source_reads_total`).
//!
//! exportd's own tables (exports, rollups, marks, feeds' state) are read and written on
//! the primary, as the rollup plan is (it drains the WAL through a slot).

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::telemetry;
use sqlx::PgPool;
use tracing::{info, warn};

/// The primary's WAL position now: everything committed so far is before it.
pub async fn position(primary: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(primary)
        .await
}

/// Where a report's source reads go, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No replica is configured.
    NoReplica,
    /// The replica has replayed the position.
    CaughtUp,
    /// It had not within the wait.
    Lag,
    /// It did not answer.
    Down,
    /// The server answers but replays no WAL (a primary, or a promoted standby).
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

/// The pool to read the source tables from, for `by` (`report` or `rollups`): `replica`
/// once it has replayed `lsn` (waiting up to `max_wait`), else `primary`.
pub async fn source(
    primary: &PgPool,
    replica: Option<&PgPool>,
    lsn: Option<&str>,
    max_wait: Duration,
    by: &'static str,
) -> (PgPool, Reason) {
    let started = Instant::now();
    let reason = match (replica, lsn) {
        (Some(replica), Some(lsn)) => caught_up(replica, lsn, max_wait).await,
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
        (Reason::CaughtUp, Some(r)) => (r.clone(), reason),
        _ => (primary.clone(), reason),
    }
}

/// Until when the replica is taken for down without asking it: a replica that did not
/// answer is not asked again for a while, so each read does not wait for a connection
/// that will not come before it reads the primary.
static DOWN_UNTIL: Mutex<Option<Instant>> = Mutex::new(None);

/// How long a replica that did not answer is left alone.
const DOWN_FOR: Duration = Duration::from_secs(5);

/// Polls the replica's replay position until it passes `lsn` or `max_wait` has passed.
async fn caught_up(replica: &PgPool, lsn: &str, max_wait: Duration) -> Reason {
    let down_until = *DOWN_UNTIL.lock().unwrap_or_else(|e| e.into_inner());
    if down_until.is_some_and(|t| Instant::now() < t) {
        return Reason::Down;
    }
    let reason = poll_replay(replica, lsn, max_wait).await;
    *DOWN_UNTIL.lock().unwrap_or_else(|e| e.into_inner()) =
        (reason == Reason::Down).then(|| Instant::now() + DOWN_FOR);
    reason
}

async fn poll_replay(replica: &PgPool, lsn: &str, max_wait: Duration) -> Reason {
    let deadline = Instant::now() + max_wait;
    let mut pause = Duration::from_millis(10);
    loop {
        let replayed: Result<Option<bool>, sqlx::Error> =
            sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn")
                .bind(lsn)
                .fetch_one(replica)
                .await;
        match replayed {
            Ok(Some(true)) => return Reason::CaughtUp,
            Ok(None) => return Reason::NotAReplica,
            Err(e) => {
                warn!(error = %e, "the replica does not answer");
                return Reason::Down;
            }
            Ok(Some(false)) if Instant::now() >= deadline => return Reason::Lag,
            Ok(Some(false)) => {}
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
    /// `caught_up`, `replaying`, `down`, `not_a_replica` or `primary_down`.
    pub state: &'static str,
    /// WAL the primary has written that the replica has not replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_bytes: Option<i64>,
    /// Seconds since the last commit it replayed, while it has WAL left to replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<f64>,
}

pub async fn state(primary: &PgPool, replica: &PgPool) -> State {
    let replica_side: Result<(Option<String>, Option<f64>), sqlx::Error> = sqlx::query_as(
        "SELECT pg_last_wal_replay_lsn()::text,
                extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8",
    )
    .fetch_one(replica)
    .await;
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
