//! A seeded day's activity besides chats: calls, offline messages, and each agent's
//! presence.

use chrono::{Duration, NaiveDate};
use rand::{RngExt, rngs::SmallRng};

use super::{
    account::Account,
    clock::{local, pick_hour},
    params::SeedParams,
    tables::Tables,
};
use crate::copy::{id, ts};

/// A fifth as many calls as chats, four in five answered.
pub(super) async fn calls(
    rng: &mut SmallRng,
    p: &SeedParams,
    account: &Account,
    out: &mut Tables,
    day: NaiveDate,
) -> anyhow::Result<()> {
    let (acc, sites, agents) = (&account.acc, &account.sites, &account.agents);
    for _ in 0..(p.chats_per_day / 5).max(1) {
        let started = local(
            p.timezone,
            day,
            pick_hour(rng) * 3600 + rng.random_range(0..3600),
        );
        let site = sites[rng.random_range(0..sites.len())];
        if rng.random_bool(0.8) {
            let answered = started + Duration::seconds(rng.random_range(3..40));
            let agent = agents[rng.random_range(0..agents.len())];
            let ended = answered + Duration::seconds(rng.random_range(30..900));
            out.calls
                .row(&[
                    acc.clone(),
                    id(site),
                    id(agent),
                    ts(started),
                    ts(answered),
                    ts(ended),
                ])
                .await?;
        } else {
            out.calls
                .row(&[
                    acc.clone(),
                    id(site),
                    None,
                    ts(started),
                    None,
                    ts(started + Duration::seconds(30)),
                ])
                .await?;
        }
    }
    Ok(())
}

/// A twenty-fifth as many offline messages as chats, seven in ten for an agent.
pub(super) async fn offline_messages(
    rng: &mut SmallRng,
    p: &SeedParams,
    account: &Account,
    out: &mut Tables,
    day: NaiveDate,
) -> anyhow::Result<()> {
    let (acc, sites, agents) = (&account.acc, &account.sites, &account.agents);
    for _ in 0..(p.chats_per_day / 25).max(1) {
        let at = local(p.timezone, day, rng.random_range(0..86_400));
        let site = sites[rng.random_range(0..sites.len())];
        let agent = rng
            .random_bool(0.7)
            .then(|| agents[rng.random_range(0..agents.len())]);
        out.offline
            .row(&[
                acc.clone(),
                id(site),
                agent.and_then(id),
                ts(at),
                Some("Necesito ayuda con mi pedido".into()),
            ])
            .await?;
    }
    Ok(())
}

/// Each agent's presence over the day.
pub(super) async fn presence(
    rng: &mut SmallRng,
    p: &SeedParams,
    account: &Account,
    out: &mut Tables,
    day: NaiveDate,
) -> anyhow::Result<()> {
    let (acc, agents) = (&account.acc, &account.agents);
    // Each agent: a working day of four online stretches with two away breaks.
    for &agent in agents {
        let mut t = local(p.timezone, day, 8 * 3600 + rng.random_range(0..3600));
        for k in 0..6 {
            let (status, len) = if k % 3 == 2 {
                ("away", rng.random_range(300..1800))
            } else {
                ("online", rng.random_range(3600..7200))
            };
            let end = t + Duration::seconds(len);
            out.presence
                .row(&[acc.clone(), id(agent), Some(status.into()), ts(t), ts(end)])
                .await?;
            t = end;
        }
    }
    Ok(())
}
