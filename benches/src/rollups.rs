//! `exportd bench rollups`: the rollup builder beside its floor, on the large account.
//!
//! - **First build**: every rollup of every account dropped, then built again as a worker
//!   builds them (`rollup::refresh` until settled): time, days, source rows a second, peak
//!   RSS.
//! - **One closed day**: a day of the large account marked dirty, as a late write marks it,
//!   and rebuilt (median of `--runs`).
//! - **The floor**: one grouped pass (`GROUP BY` the keys the rollups keep) over each source
//!   table the builder reads, over the same days of the large account, one after another as
//!   the builder reads them (median of `--runs`), for the first build; a day's share of it
//!   for the one-day build.
//!
//! Targets: within 2× the floor, peak RSS under 256 MB. Prints a table and a JSON line.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use exportd_worker::{Ctx, rollup};
use serde_json::json;
use sqlx::PgPool;

use crate::stats;

/// One grouped pass per source table, over the keys the rollups keep: `$1` account,
/// `[$2, $3)` the days built. Each counts its groups, so no rows travel.
const FLOOR: [(&str, &str); 6] = [
    (
        "chats by hour, site, agent and owner",
        "SELECT count(*) FROM (SELECT date_trunc('hour', ch.started_at), ch.site_id, ch.accepted_by, ct.owner_id,
                count(*), sum(ch.msgs_in), sum(ch.msgs_out), count(DISTINCT ch.contact_id), count(ch.closed_at),
                sum(extract(epoch FROM ch.last_msg_at - ch.started_at)), sum(extract(epoch FROM ch.accepted_at - ch.panel_at))
           FROM chats ch LEFT JOIN contacts ct ON ct.id = ch.contact_id
          WHERE ch.account_id = $1 AND ch.started_at >= $2 AND ch.started_at < $3 GROUP BY 1, 2, 3, 4) g",
    ),
    (
        "messages by hour and agent",
        "SELECT count(*) FROM (SELECT date_trunc('hour', sent_at), sender, agent_id, count(*)
           FROM messages WHERE account_id = $1 AND sent_at >= $2 AND sent_at < $3 GROUP BY 1, 2, 3) g",
    ),
    (
        "steps by day and step",
        "SELECT count(*) FROM (SELECT date_trunc('day', entered_at), chat_id IS NULL, step, count(*),
                sum(date_part('epoch', left_at - entered_at))
           FROM steps WHERE account_id = $1 AND entered_at >= $2 AND entered_at < $3 GROUP BY 1, 2, 3) g",
    ),
    (
        "calls by hour and site",
        "SELECT count(*) FROM (SELECT date_trunc('hour', started_at), site_id, count(*)
           FROM calls WHERE account_id = $1 AND started_at >= $2 AND started_at < $3 GROUP BY 1, 2) g",
    ),
    (
        "chat events by hour, kind and agent",
        "SELECT count(*) FROM (SELECT date_trunc('hour', at), kind, agent_id, count(*)
           FROM chat_events WHERE account_id = $1 AND at >= $2 AND at < $3 GROUP BY 1, 2, 3) g",
    ),
    (
        "offline messages and presence by hour",
        "SELECT (SELECT count(*) FROM (SELECT date_trunc('hour', created_at), site_id, count(*)
                   FROM offline_messages WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1, 2) o)
              + (SELECT count(*) FROM (SELECT date_trunc('hour', started_at), agent_id, status, count(*)
                   FROM agent_presence WHERE account_id = $1 AND started_at < $3 AND coalesce(ended_at, $3) > $2 GROUP BY 1, 2, 3) p)",
    ),
];

/// The source rows of the account in `[from, to)`, for rows a second.
const ROWS: &str = "SELECT (SELECT count(*) FROM chats WHERE account_id = $1 AND started_at >= $2 AND started_at < $3)
     + (SELECT count(*) FROM messages WHERE account_id = $1 AND sent_at >= $2 AND sent_at < $3)
     + (SELECT count(*) FROM steps WHERE account_id = $1 AND entered_at >= $2 AND entered_at < $3)
     + (SELECT count(*) FROM calls WHERE account_id = $1 AND started_at >= $2 AND started_at < $3)
     + (SELECT count(*) FROM chat_events WHERE account_id = $1 AND at >= $2 AND at < $3)";

pub async fn run(ctx: Arc<Ctx>, runs: usize) -> anyhow::Result<()> {
    let (account_id, _) = crate::global_report::ensure_seeded(&ctx.pool).await?;
    let account = exportd_core::accounts::get(&ctx.pool, account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account_id} is gone"))?;
    let tz: Tz = account.timezone;

    // The first build, from nothing: every table of the engine and of every kind.
    let tables: Vec<&str> = rollup::spec::ENGINE_TABLES
        .into_iter()
        .chain(rollup::spec::tables())
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "TRUNCATE {}",
        tables.join(", ")
    )))
    .execute(&ctx.pool)
    .await?;
    println!("rollups: all dropped; building every account's from the source tables …");
    stats::reset_peak_rss();
    let t = Instant::now();
    let (built_total, first_work) = settle(&ctx).await?;
    let first = t.elapsed();
    let first_rss = stats::peak_rss_mib();
    // The floor and the rows over every account's built days, as the build read them.
    let accounts = built(&ctx.pool).await?;
    let (mut rows, mut days) = (0i64, 0i32);
    for (account, tz, lo, hi) in &accounts {
        let (from, to) = rollup::days_bounds(*lo, hi + 1, *tz);
        rows += sqlx::query_scalar::<_, i64>(ROWS)
            .bind(account)
            .bind(from)
            .bind(to)
            .fetch_one(&ctx.pool)
            .await?;
        days += hi - lo + 1;
    }
    // Per run: each pass summed over the accounts, and the large account's own total.
    let (mut floors, mut large_floors) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut run = vec![0.0; FLOOR.len()];
        for (account, tz, lo, hi) in &accounts {
            let (from, to) = rollup::days_bounds(*lo, hi + 1, *tz);
            let secs = floor(&ctx.pool, *account, from, to).await?;
            if *account == account_id {
                large_floors.push(secs.iter().sum::<f64>());
            }
            for (i, s) in secs.into_iter().enumerate() {
                run[i] += s;
            }
        }
        floors.push(run);
    }
    let per_table: Vec<(String, f64)> = FLOOR
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let secs: Vec<f64> = floors.iter().map(|f| f[i]).collect();
            (name.to_string(), stats::summary(&secs).median)
        })
        .collect();
    let floor_total = stats::summary(&floors.iter().map(|f| f.iter().sum()).collect::<Vec<_>>());
    let (_, _, lo, hi) = *accounts
        .iter()
        .find(|(a, ..)| *a == account_id)
        .ok_or_else(|| anyhow::anyhow!("no rollups were built for account {account_id}"))?;
    let large_days = hi - lo + 1;
    let large_rows: i64 = {
        let (from, to) = rollup::days_bounds(lo, hi + 1, tz);
        sqlx::query_scalar(ROWS)
            .bind(account_id)
            .bind(from)
            .bind(to)
            .fetch_one(&ctx.pool)
            .await?
    };

    // One closed day marked dirty and built again.
    let day = hi - 1;
    let (mut one, mut one_work) = (Vec::new(), Vec::new());
    stats::reset_peak_rss();
    for _ in 0..runs {
        sqlx::query("INSERT INTO rollup_dirty (account_id, day) VALUES ($1, exportd_utc_day($2)) ON CONFLICT DO NOTHING")
            .bind(account_id)
            .bind(rollup::days_bounds(day, day + 1, tz).0 + chrono::Duration::hours(12))
            .execute(&ctx.pool)
            .await?;
        let t = Instant::now();
        let (_, work) = settle(&ctx).await?;
        one.push(t.elapsed().as_secs_f64());
        one_work.push(work.as_secs_f64());
    }
    let one_rss = stats::peak_rss_mib();
    let one = stats::summary(&one);
    let one_work = stats::summary(&one_work);
    // A day's share of the large account's floor.
    let day_floor = stats::summary(&large_floors).median / f64::from(large_days);

    let ratio = first.as_secs_f64() / floor_total.median;
    let day_ratio = one_work.median / day_floor;
    stats::table(
        &[
            "phase",
            "time",
            "floor",
            "ratio",
            "days/s",
            "source rows/s",
            "peak RSS",
        ],
        &[
            vec![
                format!(
                    "first build ({} days, {} blocks, {} accounts)",
                    built_total.days,
                    built_total.blocks,
                    accounts.len()
                ),
                format!(
                    "{:.1} s (building {:.1} s)",
                    first.as_secs_f64(),
                    first_work.as_secs_f64()
                ),
                format!("{:.1} s", floor_total.median),
                format!("{ratio:.1}×"),
                format!("{:.1}", f64::from(days) / first.as_secs_f64()),
                format!("{:.0}", rows as f64 / first.as_secs_f64()),
                format!("{first_rss:.0} MiB"),
            ],
            vec![
                "one closed day, marked to rebuilt".into(),
                format!("{:.2} s (building {:.2} s)", one.median, one_work.median),
                format!("{day_floor:.2} s"),
                format!("{day_ratio:.1}×"),
                format!("{:.1}", 1.0 / one_work.median),
                format!(
                    "{:.0}",
                    large_rows as f64 / f64::from(large_days) / one_work.median
                ),
                format!("{one_rss:.0} MiB"),
            ],
        ],
    );
    for (name, secs) in &per_table {
        println!("  floor, {name}: {secs:.2} s");
    }
    println!(
        "targets: within 2× the floor ({}), peak RSS under 256 MB ({})",
        if ratio <= 2.0 && day_ratio <= 2.0 {
            "met"
        } else {
            "missed"
        },
        if first_rss.max(one_rss) < 256.0 {
            "met"
        } else {
            "missed"
        }
    );
    println!(
        "{}",
        json!({
            "bench": "rollups", "account": account_id, "accounts": accounts.len(), "days": days, "source_rows": rows,
            "first_build_building_s": first_work.as_secs_f64(), "one_day_building_s": one_work.median,
            "first_build_s": first.as_secs_f64(), "floor_s": floor_total.median, "ratio": ratio,
            "first_build_peak_rss_mib": first_rss,
            "one_day_s": one.median, "one_day_floor_s": day_floor, "one_day_ratio": day_ratio,
            "one_day_peak_rss_mib": one_rss,
            "floor_by_table_s": per_table.iter().map(|(n, s)| json!({"pass": n, "s": s})).collect::<Vec<_>>(),
        })
    );
    Ok(())
}

/// Refreshes until the builder has nothing left to do: the days and blocks it built, and
/// the time spent in the passes that built something (the rest is waiting for writers
/// older than a mark to end).
async fn settle(ctx: &Ctx) -> anyhow::Result<(rollup::Refreshed, Duration)> {
    let deadline = Instant::now() + Duration::from_secs(3600);
    let (mut total, mut work) = (rollup::Refreshed::default(), Duration::ZERO);
    loop {
        let t = Instant::now();
        let r = rollup::refresh(&ctx.pool, ctx.replica.as_deref(), &ctx.cfg, &|| false).await?;
        if r.days > 0 || r.blocks > 0 {
            work += t.elapsed();
        }
        total.days += r.days;
        total.blocks += r.blocks;
        let waiting: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM rollup_dirty) + (SELECT count(*) FROM rollup_pending)",
        )
        .fetch_one(&ctx.pool)
        .await?;
        if r.settled && r.days == 0 && r.blocks == 0 && waiting == 0 {
            return Ok((total, work));
        }
        anyhow::ensure!(Instant::now() < deadline, "the rollups never settled");
        if r.days == 0 && r.blocks == 0 {
            // Waiting for transactions older than a mark to end.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Each account with built rollups: its id, timezone, and first and last built day.
async fn built(pool: &PgPool) -> anyhow::Result<Vec<(i64, Tz, i32, i32)>> {
    let rows: Vec<(i64, String, i32, i32)> = sqlx::query_as(
        "SELECT s.account_id, s.tz, min(b.block), max(b.block) FROM rollup_blocks b
           JOIN rollup_series s ON s.id = b.series_id
          WHERE s.retired_at IS NULL AND b.level = 0
          GROUP BY 1, 2 ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(a, tz, lo, hi)| {
            Ok((
                a,
                tz.parse().map_err(|e| anyhow::anyhow!("{tz}: {e}"))?,
                lo,
                hi,
            ))
        })
        .collect()
}

/// Seconds of each floor pass over `[from, to)`, one after another.
async fn floor(
    pool: &PgPool,
    account_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<f64>> {
    let mut secs = Vec::new();
    for (_, sql) in FLOOR {
        let t = Instant::now();
        let _: i64 = sqlx::query_scalar(sql)
            .bind(account_id)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?;
        secs.push(t.elapsed().as_secs_f64());
    }
    Ok(secs)
}
