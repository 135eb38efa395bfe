//! The scheduler: finds due schedules in Postgres and turns each due period into a normal
//! export. A schedule row is taken with `FOR UPDATE SKIP LOCKED`, and each run's export
//! carries the idempotency key (schedule, period) under a unique constraint, so any number
//! of scheduler processes yield exactly one export per period. Periods missed while nothing
//! ran are produced when the scheduler comes back, oldest first, as far back as the plan's
//! retention reaches. Time comes from the caller, so tests can set it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use exportd_core::{
    domain::{self, DateRange},
    exports::{self, NewExport},
    schedules::{self, Period},
};
use tracing::{info, warn};

use crate::Ctx;

/// Produces every run due at `now`. Returns the ids of the exports created.
pub async fn tick(ctx: &Ctx, now: DateTime<Utc>) -> anyhow::Result<Vec<i64>> {
    let mut created = Vec::new();
    loop {
        let mut tx = ctx.pool.begin().await?;
        let Some((s, plan)) = schedules::take_due(&mut tx, now).await? else {
            break;
        };
        let tz: Tz = s.timezone;
        let (day, hour) = (s.day_of_month as u32, s.hour as u32);
        let mut period = Period::of(s.next_run_at.with_timezone(&tz).date_naive());
        let mut run_at = s.next_run_at;
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
                    warn!(schedule.id = s.id, period = %period.key(), reason = %e, "scheduled run skipped")
                }
                Ok(()) => {
                    if let Some(id) = create_run(&mut tx, &s, period, from, to).await? {
                        created.push(id);
                    }
                }
            }
            period = period.next();
            run_at = schedules::due_at(period, day, hour, tz);
        }
        schedules::set_next_run(&mut *tx, s.id, run_at).await?;
        tx.commit().await?;
        exportd_core::events::publish(&mut ctx.redis.clone(), &ctx.cfg, s.account_id).await;
    }
    // The dispatcher hands them to the queue within a poll interval, fairly across
    // accounts: a tenant with many schedules does not go ahead of everyone else.
    Ok(created)
}

/// The export of one run; `None` when the period was already produced.
async fn create_run(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    s: &schedules::Schedule,
    period: Period,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Option<i64>, sqlx::Error> {
    let new = NewExport {
        account_id: s.account_id,
        requested_by: s.created_by,
        kind: s.kind,
        format: s.format,
        range_from: from,
        range_to: to,
        timezone: s.timezone,
        options: s.options.clone(),
        notify: s.notify.clone(),
        idempotency_key: Some(format!("schedule:{}:{}", s.id, period.key())),
        request_hash: None,
        schedule_id: Some(s.id),
        period: Some(period.key()),
    };
    match exports::insert(&mut **tx, &new).await {
        Ok(Some(e)) => {
            info!(schedule.id = s.id, period = %period.key(), export.id = e.id, "scheduled run created");
            Ok(Some(e.id))
        }
        Ok(None) => Ok(None),
        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}
