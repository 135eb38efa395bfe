//! The scheduler: finds due schedules in Postgres and turns each due period into a normal
//! export. A schedule row is taken with `FOR UPDATE SKIP LOCKED`, and each run's export
//! carries the idempotency key (schedule, period) under a unique constraint, so any number
//! of scheduler processes yield exactly one export per period. Periods missed while nothing
//! ran are produced when the scheduler comes back, oldest first, as far back as the plan's
//! retention reaches. Time comes from the caller, so tests can set it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use exportd_core::{
    domain::{self, DateRange, Plan},
    exports::{self, NewExport},
    queue::{self, QueueName},
    schedules::{self, Period},
};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::Ctx;

type Due = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    i16,
    i16,
    String,
    serde_json::Value,
    serde_json::Value,
    DateTime<Utc>,
    String,
);

/// Produces every run due at `now`. Returns the ids of the exports created.
pub async fn tick(ctx: &Ctx, now: DateTime<Utc>) -> anyhow::Result<Vec<i64>> {
    let mut created = Vec::new();
    loop {
        let mut tx = ctx.pool.begin().await?;
        let due: Option<Due> = sqlx::query_as(
            "SELECT s.id, s.account_id, s.created_by, s.kind, s.format, s.day_of_month, s.hour, s.timezone, s.notify,
                    s.options, s.next_run_at, coalesce(a.plan, 'free')
               FROM schedules s LEFT JOIN accounts a ON a.id = s.account_id
              WHERE s.enabled AND s.next_run_at <= $1
              ORDER BY s.next_run_at LIMIT 1
                FOR UPDATE OF s SKIP LOCKED",
        )
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((
            id,
            account_id,
            created_by,
            kind,
            format,
            day,
            hour,
            tz_name,
            notify,
            options,
            next_run_at,
            plan,
        )) = due
        else {
            break;
        };
        let tz: Tz = tz_name.parse().unwrap_or(Tz::UTC);
        let plan = Plan::parse(&plan).unwrap_or(Plan::Free);
        let (day, hour) = (day as u32, hour as u32);
        let mut period = Period::of(next_run_at.with_timezone(&tz).date_naive());
        let mut run_at = next_run_at;
        while run_at <= now {
            let (from, to) = period.covered();
            let range = DateRange { from, to, tz };
            match domain::validate_range(
                &range,
                plan,
                ctx.cfg.plan(plan),
                ctx.cfg.max_range_days,
                now,
            ) {
                Err(e) => {
                    warn!(schedule.id = id, period = %period.key(), reason = %e, "scheduled run skipped")
                }
                Ok(()) => {
                    let new = NewExport {
                        account_id,
                        requested_by: created_by,
                        kind: kind.clone(),
                        format: format.clone(),
                        range_from: from,
                        range_to: to,
                        timezone: tz_name.clone(),
                        options: options.clone(),
                        notify: notify.clone(),
                        idempotency_key: Some(format!("schedule:{id}:{}", period.key())),
                        request_hash: None,
                        schedule_id: Some(id),
                        period: Some(period.key()),
                    };
                    match exports::insert(&mut *tx, &new).await {
                        Ok(Some(e)) => {
                            info!(schedule.id = id, period = %period.key(), export.id = e.id, "scheduled run created");
                            created.push(e.id);
                        }
                        Ok(None) => {}
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            period = period.next();
            run_at = schedules::due_at(period, day, hour, tz);
        }
        sqlx::query("UPDATE schedules SET next_run_at = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(run_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        exportd_core::events::publish(&mut ctx.redis.clone(), &ctx.cfg, account_id).await;
    }
    if !created.is_empty()
        && let Err(e) = queue::dispatch(
            &ctx.pool,
            &mut ctx.redis.clone(),
            &ctx.cfg,
            QueueName::Generate,
            &created,
        )
        .await
    {
        warn!(error = %e, "dispatching scheduled runs failed; the reconciler will");
    }
    Ok(created)
}

/// Runs the scheduler on the system clock until `stop` turns true.
pub async fn run(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    if ctx.cfg.scheduler_interval.is_zero() {
        return;
    }
    loop {
        if let Err(e) = tick(&ctx, Utc::now()).await {
            warn!(
                error = format!("{e:#}"),
                "scheduler pass failed; will try again"
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(ctx.cfg.scheduler_interval) => {}
            _ = stop.changed() => return,
        }
    }
}
