//! The rollup builder: brings the blocks of closed days up to date, consecutive days a span
//! (at most [`SPAN_DAYS`]) at a time, each span in one grouped pass per statement, all in
//! one snapshot, then each block from the blocks under it, and only then forgets the dirty
//! days it acted on. Each table's rows of a span are replaced in a transaction of their
//! own, so a reader of that table finds the old rows or the new, never none; the days are
//! recorded as built once every table has them. Days being rebuilt overlap a pending day,
//! which no report plans to read from rollups (see below).
//!
//! Late writes leave their UTC day in `rollup_dirty` (migration 0018). A pass first moves
//! the dirty days to `rollup_pending` with the transaction horizon of that moment; a pending
//! day is rebuilt once every transaction that was running then has ended, so that a write
//! which found its day already dirty is in the rebuild. Reports read a dirty or pending
//! day from the source tables meanwhile.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use exportd_core::replica::Replica;
use exportd_core::{
    config::Config,
    domain::{Plan, local_day_start},
};
use sqlx::{PgConnection, PgPool};

use super::{
    LEVEL_STEP, MAX_LEVEL,
    blocks::{analyze, build_block, delete_blocks, delete_series_rows, in_parallel},
    day_date, day_number,
    days::{SPAN_DAYS, build_days, spans},
    days_bounds, levels,
    series::{current_series, horizon},
};

/// A pending day ripe for rebuilding: its UTC day number (`i32::MIN`: every day), the
/// horizon it was taken at (as text), and the instants `[lo, hi]` it covers.
type Mark = (i32, String, DateTime<Utc>, DateTime<Utc>);

/// What one [`refresh`] pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub accounts: usize,
    pub days: usize,
    pub blocks: usize,
    pub marks: usize,
    /// Whether the pass could build anything: it waits for transactions that were running
    /// at an earlier checkpoint to end.
    pub settled: bool,
}

/// Brings every account's rollups up to date: builds the closed days within the plan's
/// retention that are missing or marked, then the blocks above them. `stop` is polled
/// between days.
pub async fn refresh(
    pool: &PgPool,
    replica: Option<&Replica>,
    cfg: &Config,
    stop: &(dyn Fn() -> bool + Sync),
) -> anyhow::Result<Refreshed> {
    let mut done = Refreshed::default();
    let Some(horizon) = horizon(pool).await? else {
        return Ok(done);
    };
    let settle: f64 = sqlx::query_scalar("SELECT date_part('epoch', rollup_settle())")
        .fetch_one(pool)
        .await?;
    let cutoff = horizon - Duration::milliseconds((settle * 1000.0) as i64);
    done.settled = true;
    // The days the platform's inserts and updates touched, read from the WAL; without
    // them nothing built can be trusted, so nothing is built.
    if !super::changes::drain(pool).await?.tracking() {
        return Ok(Refreshed::default());
    }
    super::owners::take_owner_changes(pool).await?;
    // The days late writes left dirty, taken with the horizon of this moment.
    sqlx::query(
        "WITH taken AS (DELETE FROM rollup_dirty RETURNING account_id, day)
         INSERT INTO rollup_pending (account_id, day, next_xid)
         SELECT account_id, day, pg_snapshot_xmax(pg_current_snapshot()) FROM taken
         ON CONFLICT (account_id, day) DO UPDATE SET next_xid = EXCLUDED.next_xid",
    )
    .execute(pool)
    .await?;
    // Each account with its latest built day, and whether a late write marked it or it has
    // rollups of a timezone it left.
    let accounts: Vec<(i64, String, String, Option<i32>, bool)> = sqlx::query_as(
        "SELECT a.id, a.timezone, a.plan,
                (SELECT max(b.block) FROM rollup_blocks b WHERE b.series_id = s.id AND b.level = 0),
                EXISTS (SELECT 1 FROM rollup_pending m WHERE m.account_id = a.id)
                OR EXISTS (SELECT 1 FROM rollup_series r WHERE r.account_id = a.id AND r.retired_at IS NOT NULL)
           FROM accounts a
           LEFT JOIN rollup_series s ON s.account_id = a.id AND s.tz = a.timezone AND s.retired_at IS NULL
          ORDER BY a.id",
    )
    .fetch_all(pool)
    .await?;
    // Rollups and marks of accounts that are gone.
    let gone: Vec<i32> = sqlx::query_scalar(
        "DELETE FROM rollup_series s WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.account_id)
         RETURNING id",
    )
    .fetch_all(pool)
    .await?;
    for series in gone {
        delete_series_rows(&mut *pool.acquire().await?, series).await?;
    }
    sqlx::query(
        "DELETE FROM rollup_pending m WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = m.account_id)",
    )
    .execute(pool)
    .await?;
    for (account_id, tz, plan, last_built, marked) in accounts {
        if stop() {
            break;
        }
        // An account whose timezone or plan this build cannot read is left without rollups
        // (its reports read the source tables), and said so, not given a default.
        let (Ok(tz), Some(plan)) = (tz.parse::<Tz>(), Plan::parse(&plan)) else {
            tracing::warn!(account.id = account_id, timezone = %tz, plan = %plan, "rollups skipped: cannot read the account's timezone or plan");
            continue;
        };
        // Nothing new since the last pass: the last closed day is built, nothing is marked,
        // nothing to retire.
        if !marked && last_built == Some(last_closed_day(tz, cutoff)) {
            continue;
        }
        let data_days = cfg.plan(plan).data_days;
        let mut conn = pool.acquire().await?;
        // One builder per account at a time; another worker skips it.
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(7400, $1::int4)")
            .bind((account_id % i32::MAX as i64) as i32)
            .fetch_one(&mut *conn)
            .await?;
        if !locked {
            continue;
        }
        match refresh_account(
            pool, replica, &mut conn, account_id, tz, data_days, cutoff, cfg, stop,
        )
        .await
        {
            Ok(r) => {
                sqlx::query("SELECT pg_advisory_unlock(7400, $1::int4)")
                    .bind((account_id % i32::MAX as i64) as i32)
                    .execute(&mut *conn)
                    .await?;
                done.accounts += 1;
                done.days += r.days;
                done.blocks += r.blocks;
                done.marks += r.marks;
            }
            Err(e) => {
                // Closing the connection releases the lock.
                let _ = conn.detach();
                return Err(e);
            }
        }
    }
    if done.days + done.blocks >= SPAN_DAYS as usize {
        // Fresh statistics for the reads after a pass that wrote much (a first build, days
        // caught up, many accounts), or the planner takes a block for a handful of rows and
        // sorts hundreds of thousands of cells instead of hashing them. A pass of a day or
        // two leaves the statistics about right, and autovacuum analyzes the tables at 2 %
        // (migration 0028): analyzing every table took 1.5 s of a closed day's 5 s rebuild.
        analyze(pool).await?;
    }
    Ok(done)
}

/// The latest local day that ended before `cutoff`.
fn last_closed_day(tz: Tz, cutoff: DateTime<Utc>) -> i32 {
    let mut last = day_number(cutoff.with_timezone(&tz).date_naive());
    while local_day_start(day_date(last + 1), tz) > cutoff {
        last -= 1;
    }
    last
}

#[allow(clippy::too_many_arguments)]
async fn refresh_account(
    pool: &PgPool,
    replica: Option<&Replica>,
    conn: &mut PgConnection,
    account_id: i64,
    tz: Tz,
    data_days: i64,
    cutoff: DateTime<Utc>,
    cfg: &Config,
    stop: &(dyn Fn() -> bool + Sync),
) -> anyhow::Result<Refreshed> {
    let series = current_series(conn, account_id, tz, cfg).await?;
    let (days, marks) = days_to_build(conn, account_id, series, tz, data_days, cutoff).await?;
    let mut done = Refreshed::default();
    // The days' source rows are read on the replica once it has replayed what the primary
    // has committed now: every write a pending day waited for is in it.
    let source = if days.is_empty() || replica.is_none() {
        pool.clone()
    } else {
        let at = exportd_core::replica::position(pool).await?;
        let max_wait = cfg.replica_max_wait;
        exportd_core::replica::source(pool, replica, Some(&at), max_wait, "rollups")
            .await
            .0
    };
    // Spans of days, then each level's blocks, two at a time on pooled connections: they
    // are independent of one another, and this account's lock stays with `conn`. A span
    // reads on one of two slots, and takes the other too once it is free: the last dense
    // span of a first build ran alone for a third of the build, one core idle.
    let spans = spans(&days);
    let wanted = spans.len();
    let (source, slots) = (&source, &tokio::sync::Semaphore::new(2));
    let built = in_parallel(spans.clone(), stop, |span| async move {
        build_days(pool, source, slots, account_id, series, tz, span).await?;
        super::changes::drain_if_behind(pool).await
    })
    .await?;
    done.days = spans[..built].iter().map(|(a, b)| (b - a) as usize).sum();
    if built < wanted {
        return Ok(done);
    }
    // A first build's blocks are read from tables the planner has no statistics of yet:
    // it would scan a table for each block.
    if done.days >= SPAN_DAYS as usize {
        analyze(pool).await?;
    }
    for level in levels().skip(1) {
        // Blocks whose children all exist and one of them is newer than the block.
        let due: Vec<(i32, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT c.parent, c.starts_at, c.ends_at
               FROM (SELECT block >> $3 AS parent, min(starts_at) AS starts_at, max(ends_at) AS ends_at,
                            max(built_at) AS built_at, count(*) AS n
                       FROM rollup_blocks WHERE series_id = $1 AND level = $2 - $3
                      GROUP BY 1) c
               LEFT JOIN rollup_blocks p ON p.series_id = $1 AND p.level = $2 AND p.block = c.parent
              WHERE c.n = 1 << $3 AND (p.block IS NULL OR p.built_at < c.built_at)",
        )
        .bind(series)
        .bind(level)
        .bind(i32::from(LEVEL_STEP))
        .fetch_all(&mut *conn)
        .await?;
        let wanted = due.len();
        let built = in_parallel(due, stop, |block| async move {
            build_block(pool, series, level, block).await?;
            super::changes::drain_if_behind(pool).await
        })
        .await?;
        done.blocks += built;
        if built < wanted {
            return Ok(done);
        }
    }
    // Every block a pending day overlapped has been rebuilt from rows that include its
    // writes. A day made dirty again since was taken again with a later horizon, and stays.
    let days: Vec<i32> = marks.iter().map(|m| m.0).collect();
    let horizons: Vec<String> = marks.iter().map(|m| m.1.clone()).collect();
    sqlx::query(
        "DELETE FROM rollup_pending p USING unnest($2::int4[], $3::text[]) AS k (day, next_xid)
          WHERE p.account_id = $1 AND p.day = k.day AND p.next_xid = k.next_xid::xid8",
    )
    .bind(account_id)
    .bind(&days)
    .bind(&horizons)
    .execute(&mut *conn)
    .await?;
    done.marks = days.len();
    Ok(done)
}

/// The closed days within the retention that are not built or overlap a mark, and the
/// marks seen (deleted once everything they overlap is rebuilt). Blocks older than the
/// retention are dropped on the way.
async fn days_to_build(
    conn: &mut PgConnection,
    account_id: i64,
    series: i32,
    tz: Tz,
    data_days: i64,
    cutoff: DateTime<Utc>,
) -> Result<(Vec<i32>, Vec<Mark>), sqlx::Error> {
    // Closed days within the retention, from the 64-day block of the account's first
    // activity on; the last is the latest whose end is before the cutoff.
    let today = Utc::now().with_timezone(&tz).date_naive();
    let kept = day_number(today) - data_days as i32;
    let last = last_closed_day(tz, cutoff);
    let first_activity: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT least((SELECT min(started_at) FROM chats WHERE account_id = $1),
                      (SELECT min(started_at) FROM calls WHERE account_id = $1),
                      (SELECT min(at) FROM chat_events WHERE account_id = $1),
                      (SELECT min(created_at) FROM offline_messages WHERE account_id = $1),
                      (SELECT min(created_at) FROM bans WHERE account_id = $1),
                      (SELECT min(started_at) FROM agent_presence WHERE account_id = $1))",
    )
    .bind(account_id)
    .fetch_one(&mut *conn)
    .await?;
    let earliest = match first_activity {
        Some(t) => {
            let first = day_number(t.with_timezone(&tz).date_naive());
            kept.max(first - first.rem_euclid(1 << MAX_LEVEL))
        }
        // Nothing to roll up yet.
        None => day_number(today) + 1,
    };
    // Blocks older than the retention are never read again. Two days of slack, so that a
    // report accepted just before midnight still finds the blocks it planned to read.
    let (earliest_at, _) = days_bounds(kept - 2, kept - 1, tz);
    let old: Vec<(i16, i32)> = sqlx::query_as(
        "DELETE FROM rollup_blocks WHERE series_id = $1 AND starts_at < $2 RETURNING level, block",
    )
    .bind(series)
    .bind(earliest_at)
    .fetch_all(&mut *conn)
    .await?;
    delete_blocks(conn, series, &old).await?;

    // The pending days whose writers have all ended; every day for a truncate.
    let marks: Vec<Mark> = sqlx::query_as(
        "SELECT day, next_xid::text,
                CASE WHEN day = -2147483648 THEN '1900-01-01Z'
                     ELSE to_timestamp(day::float8 * 86400) END,
                CASE WHEN day = -2147483648 THEN '3000-01-01Z'
                     ELSE to_timestamp((day + 1)::float8 * 86400) - interval '1 microsecond' END
           FROM rollup_pending
          WHERE account_id = $1 AND next_xid <= pg_snapshot_xmin(pg_current_snapshot())",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    let built: Vec<(i32, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT block, starts_at, ends_at FROM rollup_blocks WHERE series_id = $1 AND level = 0",
    )
    .bind(series)
    .fetch_all(&mut *conn)
    .await?;
    let built_days: HashMap<i32, (DateTime<Utc>, DateTime<Utc>)> =
        built.into_iter().map(|(d, a, b)| (d, (a, b))).collect();
    let mut todo: BTreeSet<i32> = (earliest..=last)
        .filter(|d| !built_days.contains_key(d))
        .collect();
    for (&day, &(a, b)) in &built_days {
        if marks.iter().any(|&(_, _, lo, hi)| lo < b && hi >= a) {
            todo.insert(day);
        }
    }

    Ok((todo.into_iter().collect(), marks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_closed_day_is_the_one_that_ended_before_the_cutoff() {
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let day = |s: &str| day_number(s.parse().unwrap());
        // 2026-09-06 starts at 01:00 local (04:00Z): midnight does not exist.
        assert_eq!(
            last_closed_day(santiago, at("2026-09-06T05:00:00Z")),
            day("2026-09-05")
        );
        assert_eq!(
            last_closed_day(santiago, at("2026-09-07T02:59:59Z")),
            day("2026-09-05")
        );
        assert_eq!(
            last_closed_day(santiago, at("2026-09-07T03:00:00Z")),
            day("2026-09-06")
        );
        assert_eq!(
            last_closed_day(Tz::UTC, at("2026-11-21T00:00:00Z")),
            day("2026-11-20")
        );
    }
}
