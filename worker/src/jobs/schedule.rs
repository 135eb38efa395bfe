//! The scheduler: finds due schedules in Postgres and turns each due period into a normal
//! export. A schedule row is taken with `FOR UPDATE SKIP LOCKED`, and each run's export
//! carries the idempotency key (schedule, period) under a unique constraint, so any number
//! of scheduler processes yield exactly one export per period. Periods missed while nothing
//! ran are produced when the scheduler comes back, oldest first, as far back as the plan's
//! retention reaches. Time comes from the caller, so tests can set it.

use chrono::{DateTime, Utc};
use exportd_core::schedules;
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
        let t = s.timing;
        let mut date = t.run_date_of(s.next_run_at.with_timezone(&t.tz).date_naive());
        let mut run_at = s.next_run_at;
        while run_at <= now {
            let allowed = schedules::check_run(&s, date, plan, &ctx.cfg, now);
            match allowed {
                Err(e) => {
                    warn!(schedule.id = s.id, period = %t.key(date), reason = %e, "scheduled run skipped")
                }
                Ok(()) => {
                    if let Some(e) = schedules::create_run(&mut tx, &s, date, None, now).await? {
                        info!(schedule.id = s.id, period = %t.key(date), export.id = e.id, "scheduled run created");
                        created.push(e.id);
                    }
                }
            }
            date = t.next_run_date(date);
            run_at = t.due_at(date);
        }
        schedules::set_next_run(&mut *tx, s.id, run_at).await?;
        tx.commit().await?;
        exportd_core::events::publish(&mut ctx.redis.clone(), &ctx.cfg, s.account_id).await;
    }
    // The dispatcher hands them to the queue within a poll interval, fairly across
    // accounts: a tenant with many schedules does not go ahead of everyone else.
    Ok(created)
}
