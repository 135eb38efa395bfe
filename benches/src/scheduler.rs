//! `exportd bench scheduler --schedules N`: the 1st at 06:00 in small. N accounts, each
//! with a monthly schedule due now, are turned into exports by `--schedulers` scheduler
//! loops at once (`jobs::schedule::tick`, as workers run it). Prints schedules/s and a
//! JSON line. The accounts, schedules and exports it made are removed at the end. (How
//! fast exports are then made is the fault suite's scenario 7.)

use std::{sync::Arc, time::Instant};

use chrono::Utc;
use exportd_worker::{Ctx, jobs};
use serde_json::json;

/// Names of the accounts this program makes, so it finds and removes them.
const PREFIX: &str = "bench-scheduler-";

pub async fn run(ctx: Arc<Ctx>, n: usize, schedulers: usize) -> anyhow::Result<()> {
    clean(&ctx).await?;
    sqlx::query(
        "INSERT INTO accounts (name, plan, timezone, locale)
         SELECT $1 || g, 'pro', 'UTC', 'es' FROM generate_series(1, $2) g",
    )
    .bind(PREFIX)
    .bind(n as i64)
    .execute(&ctx.pool)
    .await?;
    // Monthly on the 1st at 06:00, each due a minute ago.
    sqlx::query(
        "INSERT INTO schedules (account_id, kind, format, day_of_month, hour, timezone, next_run_at)
         SELECT id, 'global', 'csv', 1, 6, 'UTC', now() - interval '1 minute'
           FROM accounts WHERE name LIKE $1 || '%'",
    )
    .bind(PREFIX)
    .execute(&ctx.pool)
    .await?;
    println!(
        "scheduler: {n} accounts, each with a monthly schedule due now; {schedulers} scheduler loop(s)"
    );

    let t = Instant::now();
    let now = Utc::now();
    let loops = (0..schedulers.max(1)).map(|_| {
        let ctx = ctx.clone();
        async move { jobs::schedule::tick(&ctx, now).await.map(|v| v.len()) }
    });
    let created: usize = futures::future::try_join_all(loops)
        .await?
        .into_iter()
        .sum();
    let scheduling = t.elapsed();

    let per_sec = |k: usize, d: std::time::Duration| k as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "  runs created: {created} in {:.1} s ({:.0} schedules/s)",
        scheduling.as_secs_f64(),
        per_sec(created, scheduling)
    );
    println!(
        "{}",
        json!({
            "bench": "scheduler", "schedules": n, "schedulers": schedulers, "created": created,
            "scheduling_s": scheduling.as_secs_f64(), "schedules_per_s": per_sec(created, scheduling),
        })
    );
    clean(&ctx).await?;
    anyhow::ensure!(created == n, "{created} runs for {n} schedules");
    Ok(())
}

/// Removes what an earlier run made: its exports (and their notifications), schedules and
/// accounts.
async fn clean(ctx: &Ctx) -> anyhow::Result<()> {
    for sql in [
        "DELETE FROM notifications WHERE export_id IN (SELECT e.id FROM exports e JOIN accounts a ON a.id = e.account_id WHERE a.name LIKE $1 || '%')",
        "DELETE FROM exports WHERE account_id IN (SELECT id FROM accounts WHERE name LIKE $1 || '%')",
        "DELETE FROM schedules WHERE account_id IN (SELECT id FROM accounts WHERE name LIKE $1 || '%')",
        "DELETE FROM accounts WHERE name LIKE $1 || '%'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(PREFIX)
            .execute(&ctx.pool)
            .await?;
    }
    Ok(())
}
