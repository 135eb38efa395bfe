//! Job payloads and the Redis queues that carry them (apalis-redis).
//!
//! Redis carries work, not truth: Postgres holds every export and notification, and the
//! dispatcher moves rows into Redis only while a queue holds fewer than the configured cap
//! (apalis-redis 1.0's fetch script fails with about 8,000 due jobs). Every push uses a fresh
//! task id, because apalis-redis silently drops a task id it has seen before, and carries
//! only the row's id: handlers re-read the row. Retries are counted in Postgres, so each
//! apalis task gets a single attempt.

mod handoff;

use std::time::Duration;

use apalis_redis::{ConnectionManager, RedisTask};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::Config;

pub use handoff::Handoff;

/// Build the file of an export.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct GenerateExport {
    pub export_id: i64,
}

/// Send one notification row.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SendNotification {
    pub notification_id: i64,
}

/// The queues exportd uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueName {
    Generate,
    Notify,
}

impl QueueName {
    pub const ALL: [QueueName; 2] = [QueueName::Generate, QueueName::Notify];

    /// The Postgres table whose rows this queue carries.
    pub fn table(self) -> &'static str {
        match self {
            QueueName::Generate => "exports",
            QueueName::Notify => "notifications",
        }
    }

    fn lock_key(self) -> i64 {
        match self {
            QueueName::Generate => 0x6578_7064_0001,
            QueueName::Notify => 0x6578_7064_0002,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            QueueName::Generate => "generate",
            QueueName::Notify => "notify",
        }
    }
}

/// The apalis-redis configuration of a queue: its own key space under the prefix, and a
/// heartbeat short enough that a dead worker's jobs come back in seconds.
pub fn redis_config(cfg: &Config, queue: QueueName) -> apalis_redis::Config {
    apalis_redis::Config::default()
        .queue(format!("{}:{}", cfg.queue_prefix, queue.suffix()))
        .heartbeat_interval(Duration::from_secs(5))
        .missed_heartbeats(3)
        .batch_size(cfg.worker_concurrency.max(1))
}

/// Connects to Redis with timeouts, so that an unreachable Redis is an error, not a hang.
pub async fn connect(cfg: &Config) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(cfg.redis_url.as_str())?;
    let mcfg = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(10)))
        .set_number_of_retries(3);
    client.get_connection_manager_with_config(mcfg).await
}

/// Jobs waiting in Redis for a worker (scheduled plus ready).
pub async fn depth(
    conn: &mut ConnectionManager,
    rc: &apalis_redis::Config,
) -> Result<usize, redis::RedisError> {
    let (scheduled, active): (usize, usize) = redis::pipe()
        .zcard(rc.scheduled_jobs_set())
        .llen(rc.active_jobs_list())
        .query_async(conn)
        .await?;
    Ok(scheduled + active)
}

fn task<T: Serialize>(prefix: &str, row_id: i64, args: &T) -> RedisTask {
    let mut nonce = [0u8; 8];
    rand::rng().fill_bytes(&mut nonce);
    let id = format!("{prefix}-{row_id}-{}", hex::encode(nonce));
    apalis_core_task(serde_json::to_vec(args).expect("payloads serialize"), id)
}

fn apalis_core_task(bytes: Vec<u8>, id: String) -> RedisTask {
    apalis::prelude::TaskBuilder::new(bytes)
        .task_id(apalis::prelude::TaskId::from(id))
        .max_attempts(1)
        .build()
}

async fn push(
    conn: &mut ConnectionManager,
    rc: &apalis_redis::Config,
    tasks: &[RedisTask],
) -> Result<(), apalis_redis::Error> {
    if tasks.is_empty() {
        return Ok(());
    }
    apalis_redis::queries::push_tasks(conn, rc, tasks)
        .await
        .map(|_| ())
}

/// Hands rows to Redis (exports to the generate queue, notifications to the notify queue),
/// as many as the queue has room for under the cap. Each row records the task id it was
/// pushed under, so the reconciler can tell a job that Redis lost from one still waiting.
/// Returns the ids pushed.
pub async fn dispatch(
    pool: &sqlx::PgPool,
    conn: &mut ConnectionManager,
    cfg: &Config,
    queue: QueueName,
    ids: &[i64],
) -> Result<Vec<i64>, DispatchError> {
    let rc = redis_config(cfg, queue);
    let Some(mut tx) = lock(pool, queue, OnBusy::Wait).await? else {
        return Ok(vec![]);
    };
    let room = room(conn, &rc, queue, cfg.dispatch_cap).await?;
    let ids = &ids[..ids.len().min(room)];
    push_locked(&mut tx, conn, &rc, queue, ids).await?;
    tx.commit().await?;
    Ok(ids.to_vec())
}

/// What a dispatch does when another process is dispatching the same queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBusy {
    /// Wait for it (periodic passes).
    Wait,
    /// Return at once with nothing pushed: for request paths, which must not queue behind
    /// each other. What is left is pushed by the worker's dispatcher within a poll interval.
    Skip,
}

/// The room left in a queue under `cap`; the depth seen goes to the metrics.
async fn room(
    conn: &mut ConnectionManager,
    rc: &apalis_redis::Config,
    queue: QueueName,
    cap: usize,
) -> Result<usize, redis::RedisError> {
    let waiting = depth(conn, rc).await?;
    crate::telemetry::dispatch_depth(queue.suffix(), waiting);
    Ok(cap.saturating_sub(waiting))
}

/// Hands exports that wait in Postgres to the generate queue, fairly: accounts take turns,
/// the one with the fewest exports in Redis or running first, among equals the one served
/// longest ago (then each account's oldest), and no account ever has more than `EXPORTD_MAX_ACTIVE_EXPORTS` there. Redis holds at
/// most `EXPORTD_GENERATE_DEPTH` waiting exports, so a tenant's thousand exports queue in
/// Postgres, where the next turn is chosen at the last moment, not ahead of everyone in
/// Redis. The API runs this after each accepted export, and every worker's dispatcher once
/// a poll interval. Returns how many were pushed.
pub async fn dispatch_fair(
    pool: &sqlx::PgPool,
    conn: &mut ConnectionManager,
    cfg: &Config,
    on_busy: OnBusy,
) -> Result<usize, DispatchError> {
    let queue = QueueName::Generate;
    let rc = redis_config(cfg, queue);
    // A full queue (the usual state under a backlog) costs one Redis call, not a
    // transaction: only workers taking tasks make room, and their dispatchers come back
    // within a poll interval.
    if room(conn, &rc, queue, cfg.generate_depth).await? == 0 {
        return Ok(0);
    }
    let Some(mut tx) = lock(pool, queue, on_busy).await? else {
        return Ok(0);
    };
    // Again under the lock: another process may have filled it meanwhile.
    let room = room(conn, &rc, queue, cfg.generate_depth).await?;
    if room == 0 {
        return Ok(0);
    }
    let picked: Vec<(i64, i64)> = sqlx::query_as(
        "WITH RECURSIVE
              -- In flight: over exports_inflight_idx, a few rows per account at most.
              inflight AS (
              SELECT account_id, count(*) AS n FROM exports
               WHERE status = 'running' OR (status = 'queued' AND dispatched_at IS NOT NULL)
               GROUP BY account_id),
              -- The accounts with an export ready to go, one index probe each over
              -- exports_waiting_idx (a loose index scan), not a pass over every waiting row.
              accounts AS (
              (SELECT account_id FROM exports
                WHERE status = 'queued' AND dispatched_at IS NULL AND run_after <= now()
                ORDER BY account_id LIMIT 1)
              UNION ALL
              SELECT (SELECT e.account_id FROM exports e
                       WHERE e.status = 'queued' AND e.dispatched_at IS NULL AND e.run_after <= now()
                         AND e.account_id > a.account_id
                       ORDER BY e.account_id LIMIT 1)
                FROM accounts a WHERE a.account_id IS NOT NULL),
              -- Those under the cap, with how many they have in flight: an account's turns
              -- are keyed n + 1, n + 2, …
              open AS (
              SELECT a.account_id, coalesce(i.n, 0) AS n FROM accounts a
                LEFT JOIN inflight i USING (account_id)
               WHERE a.account_id IS NOT NULL AND coalesce(i.n, 0) < $2),
              -- With at least `room` such accounts, the first turns of the `room` with the
              -- least in flight already fill the room, so no key past the largest of theirs
              -- is picked; each account then reads only its turns up to that key.
              bound AS (SELECT (SELECT n + 1 FROM open ORDER BY n OFFSET $1 - 1 LIMIT 1) AS k),
              waiting AS (
              SELECT w.id, o.account_id, w.turn + o.n AS key FROM open o CROSS JOIN bound b
               CROSS JOIN LATERAL (
                  SELECT e.id, row_number() OVER (ORDER BY e.id) AS turn FROM exports e
                   WHERE e.account_id = o.account_id AND e.status = 'queued'
                     AND e.dispatched_at IS NULL AND e.run_after <= now()
                   ORDER BY e.id LIMIT greatest(0, least($1, $2 - o.n, coalesce(b.k - o.n, $1)))) w)
         SELECT w.id, w.account_id FROM waiting w
           LEFT JOIN dispatch_turns t USING (account_id)
          ORDER BY w.key, t.served_at NULLS FIRST, w.id LIMIT $1",
    )
    .bind(room as i64)
    .bind(cfg.max_active_exports)
    .fetch_all(&mut *tx)
    .await?;
    let ids: Vec<i64> = picked.iter().map(|p| p.0).collect();
    let accounts: Vec<i64> = picked.iter().map(|p| p.1).collect();
    // Those served now go to the back of the round.
    sqlx::query(
        "INSERT INTO dispatch_turns (account_id, served_at)
         SELECT DISTINCT a, now() FROM unnest($1::int8[]) AS a
         ON CONFLICT (account_id) DO UPDATE SET served_at = excluded.served_at",
    )
    .bind(&accounts)
    .execute(&mut *tx)
    .await?;
    push_locked(&mut tx, conn, &rc, queue, &ids).await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// The queue's dispatch lock, held by the transaction returned: check-and-push must be
/// atomic across every API and worker process, or concurrent dispatches overshoot the cap.
/// `None` when another process holds it and `on_busy` says not to wait.
async fn lock(
    pool: &sqlx::PgPool,
    queue: QueueName,
    on_busy: OnBusy,
) -> Result<Option<sqlx::Transaction<'static, sqlx::Postgres>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // The bookkeeping that follows need not survive a crash (a lost `dispatched_at` only
    // means a harmless second push), so it does not wait for the WAL flush.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    if on_busy == OnBusy::Wait {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(queue.lock_key())
            .execute(&mut *tx)
            .await?;
    } else {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(queue.lock_key())
            .fetch_one(&mut *tx)
            .await?;
        if !got {
            return Ok(None);
        }
    }
    Ok(Some(tx))
}

/// Records the task id of each row and pushes the tasks, under the lock of [`lock`].
async fn push_locked(
    tx: &mut sqlx::PgConnection,
    conn: &mut ConnectionManager,
    rc: &apalis_redis::Config,
    queue: QueueName,
    ids: &[i64],
) -> Result<(), DispatchError> {
    if ids.is_empty() {
        return Ok(());
    }
    let tasks: Vec<RedisTask> = ids
        .iter()
        .map(|&id| match queue {
            QueueName::Generate => task("gen", id, &GenerateExport { export_id: id }),
            QueueName::Notify => task(
                "ntf",
                id,
                &SendNotification {
                    notification_id: id,
                },
            ),
        })
        .collect();
    let task_ids: Vec<String> = tasks
        .iter()
        .map(|t| t.task_id().map(|t| t.to_string()).unwrap_or_default())
        .collect();
    let sql = format!(
        "UPDATE {} t SET dispatched_at = now(), dispatch_task_id = d.task_id
           FROM unnest($1::bigint[], $2::text[]) AS d(id, task_id) WHERE t.id = d.id",
        queue.table()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .bind(&task_ids)
        .execute(&mut *tx)
        .await?;
    push(conn, rc, &tasks).await?;
    Ok(())
}

/// Which of these task ids Redis still holds in a queue's task table.
pub async fn present(
    conn: &mut ConnectionManager,
    queue: QueueName,
    cfg: &Config,
    task_ids: &[String],
) -> Result<Vec<bool>, redis::RedisError> {
    if task_ids.is_empty() {
        return Ok(vec![]);
    }
    let rc = redis_config(cfg, queue);
    let mut pipe = redis::pipe();
    for id in task_ids {
        pipe.hexists(rc.job_data_hash(), id);
    }
    pipe.query_async(conn).await
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("queue: {0}")]
    Queue(#[from] apalis_redis::Error),
}
