//! One seeded chat: its row, its bot flow (steps), the messages behind its
//! `first_*_msg_at`, and for an accepted chat its rejections, transfers and ban.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{RngExt, rngs::SmallRng};

use super::{
    account::Account,
    clock::{local, pick_hour},
    params::SeedParams,
    tables::Tables,
};
use crate::copy::{id, ts};

const MENU: [&str; 5] = [
    "Bancos",
    "Financieras",
    "Salud",
    "Seguros",
    "Transporte y envíos",
];
const REASONS: [&str; 4] = ["Motivo 1", "Motivo 2", "Motivo 3", "Motivo 4"];

/// Writes chat `chat_id`, started on `day`, and everything that goes with it.
pub(super) async fn write(
    rng: &mut SmallRng,
    p: &SeedParams,
    account: &Account,
    out: &mut Tables,
    day: NaiveDate,
    chat_id: i64,
) -> anyhow::Result<()> {
    let (acc, sites, agents) = (&account.acc, &account.sites, &account.agents);
    let (first_contact, n_contacts) = (account.first_contact, account.n_contacts);
    let secs = pick_hour(rng) * 3600 + rng.random_range(0..3600);
    let started = local(p.timezone, day, secs);
    let site = sites[rng.random_range(0..sites.len())];
    let contact = first_contact + rng.random_range(0..n_contacts);
    let s = |n: i64| Duration::seconds(n);
    let fcm = started + s(rng.random_range(1..10));
    let fbm = started + s(1);
    let roll: f64 = rng.random();
    let (mut panel, mut accepted, mut by, mut fam, mut missed) = (None, None, None, None, false);
    let mut last = fcm + s(rng.random_range(5..60));
    if roll < 0.34 {
        // stayed with the bot: about a third of chats
    } else if roll < 0.44 {
        panel = Some(fbm + s(rng.random_range(5..60)));
        missed = true;
    } else {
        let pa = fbm + s(rng.random_range(5..60));
        let acc_at = pa + s(rng.random_range(2..120));
        panel = Some(pa);
        accepted = Some(acc_at);
        let agent = agents[rng.random_range(0..agents.len())];
        by = Some(agent);
        if !rng.random_bool(0.05) {
            fam = Some(acc_at + s(rng.random_range(3..90)));
        }
        last = acc_at + s(rng.random_range(60..1800));
        if rng.random_bool((p.events_per_accepted * 0.6).min(1.0)) && agents.len() > 1 {
            let other = agents[rng.random_range(0..agents.len())];
            out.events
                .row(&[
                    acc.clone(),
                    id(chat_id),
                    id(site),
                    id(other),
                    Some("rejected".into()),
                    ts(pa + s(1)),
                ])
                .await?;
        }
        if rng.random_bool((p.events_per_accepted * 0.4).min(1.0)) {
            let other = agents[rng.random_range(0..agents.len())];
            out.events
                .row(&[
                    acc.clone(),
                    id(chat_id),
                    id(site),
                    id(other),
                    Some("transferred".into()),
                    ts(acc_at + s(30)),
                ])
                .await?;
        }
        if rng.random_bool(p.bans_per_accepted.min(1.0)) {
            out.bans
                .row(&[acc.clone(), id(site), id(agent), id(contact), ts(last)])
                .await?;
        }
    }
    let rating = match (accepted.is_some(), rng.random_range(0..10)) {
        (true, 0..=1) => Some("1".to_owned()),
        (true, 2) => Some("-1".to_owned()),
        _ => None,
    };
    let menu = MENU[rng.random_range(0..MENU.len())];
    let mut msgs_in = 1;
    let mut msgs_out = 1;
    out.messages
        .row(&[
            acc.clone(),
            id(chat_id),
            Some("bot".into()),
            None,
            ts(fbm),
            Some("Elige una opción:".into()),
        ])
        .await?;
    out.messages
        .row(&[
            acc.clone(),
            id(chat_id),
            Some("client".into()),
            None,
            ts(fcm),
            Some(menu.into()),
        ])
        .await?;
    if let (Some(t), Some(a)) = (fam, by) {
        out.messages
            .row(&[
                acc.clone(),
                id(chat_id),
                Some("agent".into()),
                id(a),
                ts(t),
                Some("Hola, ¿en qué te ayudo?".into()),
            ])
            .await?;
        msgs_out += 1;
    }
    if last > fam.unwrap_or(fcm) && last > fcm {
        out.messages
            .row(&[
                acc.clone(),
                id(chat_id),
                Some("client".into()),
                None,
                ts(last),
                Some("Gracias".into()),
            ])
            .await?;
        msgs_in += 1;
    } else {
        last = fam.unwrap_or(fcm).max(fcm);
    }
    // The bot flow: start, main menu, an option (one chat in five goes back to the
    // menu for another), then the end, or a timeout (one in ten bot-only chats).
    let mut t = started;
    let enter = |step: &str, t0: DateTime<Utc>, left: Option<DateTime<Utc>>| {
        [
            acc.clone(),
            id(chat_id),
            Some(step.to_owned()),
            ts(t0),
            left.and_then(ts),
        ]
    };
    let mut flow = vec![enter("Inicia Conversacion", t, Some(t))];
    flow.push(enter("Menu principal", t, Some(fcm)));
    t = fcm;
    let rounds = if rng.random_bool(0.2) { 2 } else { 1 };
    for r in 0..rounds {
        let option = if r == 0 {
            menu
        } else {
            MENU[rng.random_range(0..MENU.len())]
        };
        let left = t + s(rng.random_range(2..300));
        flow.push(enter(option, t, Some(left)));
        t = left;
        if r + 1 < rounds {
            let left = t + s(rng.random_range(1..20));
            flow.push(enter("Menu principal", t, Some(left)));
            t = left;
        }
    }
    if panel.is_none() && rng.random_bool(0.1) {
        flow.push(enter("TimeOut", t, Some(t + s(600))));
    } else {
        let end = rng.random_range(0..120);
        flow.push(enter("Finaliza conversación", t, Some(t + s(end))));
    }
    for row in &flow {
        out.steps.row(row).await?;
    }
    // The bot's answer to the client's choice.
    out.messages
        .row(&[
            acc.clone(),
            id(chat_id),
            Some("bot".into()),
            None,
            ts(fcm + s(1)),
            Some(menu.into()),
        ])
        .await?;
    msgs_out += 1;
    // About one accepted chat in twelve is still open.
    let open = accepted.is_some() && chat_id % 12 == 0;
    let closed = (!missed && !open).then(|| last + s(30));
    out.chats
        .row(&[
            id(chat_id),
            acc.clone(),
            id(site),
            id(contact),
            ts(started),
            panel.and_then(ts),
            accepted.and_then(ts),
            by.and_then(id),
            ts(fcm),
            fam.and_then(ts),
            ts(fbm),
            ts(last),
            closed.and_then(ts),
            Some(if missed { "t" } else { "f" }.into()),
            rating,
            accepted.map(|_| REASONS[rng.random_range(0..REASONS.len())].to_owned()),
            accepted.map(|_| "Atendido".to_owned()),
            Some(format!("{{\"MenuPrincipal\": \"{menu}\"}}")),
            Some(msgs_in.to_string()),
            Some(msgs_out.to_string()),
        ])
        .await?;
    Ok(())
}
