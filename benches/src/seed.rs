//! Deterministic synthetic data for one account: sites, agents, contacts, chats with
//! business-hour peaks, missed and unanswered chats, transfers and rejections, ratings,
//! messages that match each chat's `first_*_msg_at`, calls, offline messages, presence and
//! bans. Rows stream into Postgres through COPY, one connection per table, so a million
//! chats take about a minute.

use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rand::{Rng, RngExt, SeedableRng, rngs::SmallRng};
use sqlx::PgPool;

use crate::copy::{Copy, id, next_ids, ts};

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedParams {
    pub account_name: String,
    pub plan: String,
    pub timezone: Tz,
    pub locale: String,
    pub admin_email: String,
    pub sites: u32,
    pub agents: u32,
    pub days: u32,
    /// The last day seeded (local); data covers `days` days up to and including it.
    pub last_day: NaiveDate,
    pub chats_per_day: u32,
    pub seed: u64,
    /// Chat events (rejections and transfers) per accepted chat, on average.
    pub events_per_accepted: f64,
    /// Bans per accepted chat, on average.
    pub bans_per_accepted: f64,
    /// Write the messages behind each chat's `first_*_msg_at` (most of the seeding time).
    pub messages: bool,
}

impl SeedParams {
    /// The shares of a typical account.
    pub const EVENTS_PER_ACCEPTED: f64 = 0.13;
    pub const BANS_PER_ACCEPTED: f64 = 0.002;
}

/// What was seeded.
#[derive(Debug, Clone, Default)]
pub struct SeedSummary {
    pub account_id: i64,
    pub admin_user_id: i64,
    pub chats: u64,
    pub messages: u64,
    pub calls: u64,
    pub chat_events: u64,
    pub offline_messages: u64,
    pub presence: u64,
    pub bans: u64,
    pub steps: u64,
    pub elapsed: std::time::Duration,
}

/// Hour weights of a business day: quiet nights, peaks at 11:00 and 16:00.
const HOURS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 14, 20, 24, 26, 20, 18, 22, 25, 26, 22, 16, 12, 9, 6, 4, 2,
];

fn pick_hour(rng: &mut SmallRng) -> u32 {
    let total: u32 = HOURS.iter().sum();
    let mut x = rng.random_range(0..total);
    for (h, w) in HOURS.iter().enumerate() {
        if x < *w {
            return h as u32;
        }
        x -= w;
    }
    23
}

fn local(tz: Tz, day: NaiveDate, secs_of_day: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(secs_of_day as i64);
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => {
            exportd_core::domain::local_day_start(day, tz) + Duration::seconds(secs_of_day as i64)
        }
    }
}

/// Seeds one account. Deterministic for the same parameters.
pub async fn seed(pool: &PgPool, p: &SeedParams) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let mut rng = SmallRng::seed_from_u64(p.seed);
    let mut sum = SeedSummary::default();

    let account_id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (name, plan, timezone, locale) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&p.account_name)
    .bind(&p.plan)
    .bind(p.timezone.name())
    .bind(&p.locale)
    .fetch_one(pool)
    .await?;
    sum.account_id = account_id;
    sum.admin_user_id = sqlx::query_scalar("INSERT INTO users (account_id, email, name, role) VALUES ($1, $2, 'Admin', 'admin') RETURNING id")
        .bind(account_id)
        .bind(&p.admin_email)
        .fetch_one(pool)
        .await?;
    const FIRST: [&str; 12] = [
        "Ana", "Bruno", "Carla", "Diego", "Elena", "Fabián", "Gabriela", "Hugo", "Inés", "Jorge",
        "Karina", "Lucas",
    ];
    const LAST: [&str; 8] = [
        "García", "Pérez", "López", "Soto", "Rojas", "Díaz", "Muñoz", "Vega",
    ];
    let agents: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, name, role)
         SELECT $1, 'agent' || g || '@' || $2, $3[1 + g % 12] || ' ' || $4[1 + (g / 12) % 8] || ' ' || g, 'agent'
           FROM generate_series(1, $5) g RETURNING id",
    )
    .bind(account_id)
    .bind(format!("account{account_id}.example"))
    .bind(FIRST.as_slice())
    .bind(LAST.as_slice())
    .bind(p.agents.max(1) as i32)
    .fetch_all(pool)
    .await?;
    const CHANNELS: [&str; 5] = ["webchat", "whatsapp", "facebook", "instagram", "phone"];
    let mut sites = Vec::new();
    for i in 0..p.sites.max(1) {
        let channel = CHANNELS[i as usize % CHANNELS.len()];
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sites (account_id, name, channel) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(account_id)
        .bind(format!("Sitio {} ({channel})", i + 1))
        .bind(channel)
        .fetch_one(pool)
        .await?;
        sites.push(id);
    }
    let total_chats = p.chats_per_day as i64 * p.days as i64;
    let n_contacts = (total_chats / 3).max(10);
    let first_contact: i64 = sqlx::query_scalar(
        "INSERT INTO contacts (account_id, name, phone)
         SELECT $1, 'Contacto ' || g, '+56 9 ' || lpad((g % 100000000)::text, 8, '0') FROM generate_series(1, $2) g
         RETURNING id",
    )
    .bind(account_id)
    .bind(n_contacts)
    .fetch_all(pool)
    .await?
    .into_iter()
    .min()
    .unwrap_or(0);
    // Four contacts in five have an owner among the agents (seed 003's "dueño").
    sqlx::query(
        "UPDATE contacts SET owner_id = ($2::int8[])[1 + (id % array_length($2::int8[], 1))]
          WHERE account_id = $1 AND id % 5 <> 0",
    )
    .bind(account_id)
    .bind(&agents)
    .execute(pool)
    .await?;

    let first_chat = next_ids(pool, "chats", total_chats.max(1)).await?;
    let mut chats = Copy::open(pool, "COPY chats (id, account_id, site_id, contact_id, started_at, panel_at, accepted_at, accepted_by, first_client_msg_at, first_agent_msg_at, first_bot_msg_at, last_msg_at, closed_at, missed, rating, reason, comment, fields, msgs_in, msgs_out) FROM STDIN").await?;
    let mut messages = if p.messages {
        Copy::open(
            pool,
            "COPY messages (account_id, chat_id, sender, agent_id, sent_at, body) FROM STDIN",
        )
        .await?
    } else {
        Copy::skipped()
    };
    let mut events = Copy::open(
        pool,
        "COPY chat_events (account_id, chat_id, site_id, agent_id, kind, at) FROM STDIN",
    )
    .await?;
    let mut calls = Copy::open(
        pool,
        "COPY calls (account_id, site_id, agent_id, started_at, answered_at, ended_at) FROM STDIN",
    )
    .await?;
    let mut offline = Copy::open(
        pool,
        "COPY offline_messages (account_id, site_id, agent_id, created_at, body) FROM STDIN",
    )
    .await?;
    let mut presence = Copy::open(
        pool,
        "COPY agent_presence (account_id, agent_id, status, started_at, ended_at) FROM STDIN",
    )
    .await?;
    let mut bans = Copy::open(
        pool,
        "COPY bans (account_id, site_id, agent_id, contact_id, created_at) FROM STDIN",
    )
    .await?;
    let mut steps = Copy::open(
        pool,
        "COPY steps (account_id, chat_id, step, entered_at, left_at) FROM STDIN",
    )
    .await?;

    const MENU: [&str; 5] = [
        "Bancos",
        "Financieras",
        "Salud",
        "Seguros",
        "Transporte y envíos",
    ];
    const REASONS: [&str; 4] = ["Motivo 1", "Motivo 2", "Motivo 3", "Motivo 4"];
    let acc = id(account_id);
    let mut chat_id = first_chat;
    let first_day = p.last_day - Duration::days(p.days as i64 - 1);
    for d in 0..p.days {
        let day = first_day + Duration::days(d as i64);
        for _ in 0..p.chats_per_day {
            let secs = pick_hour(&mut rng) * 3600 + rng.random_range(0..3600);
            let started = local(p.timezone, day, secs);
            let site = sites[rng.random_range(0..sites.len())];
            let contact = first_contact + rng.random_range(0..n_contacts);
            let s = |n: i64| Duration::seconds(n);
            let fcm = started + s(rng.random_range(1..10));
            let fbm = started + s(1);
            let roll: f64 = rng.random();
            let (mut panel, mut accepted, mut by, mut fam, mut missed) =
                (None, None, None, None, false);
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
                    events
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
                    events
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
                    bans.row(&[acc.clone(), id(site), id(agent), id(contact), ts(last)])
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
            messages
                .row(&[
                    acc.clone(),
                    id(chat_id),
                    Some("bot".into()),
                    None,
                    ts(fbm),
                    Some("Elige una opción:".into()),
                ])
                .await?;
            messages
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
                messages
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
                messages
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
                steps.row(row).await?;
            }
            // The bot's answer to the client's choice.
            messages
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
            chats
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
            chat_id += 1;
        }
        for _ in 0..(p.chats_per_day / 5).max(1) {
            let started = local(
                p.timezone,
                day,
                pick_hour(&mut rng) * 3600 + rng.random_range(0..3600),
            );
            let site = sites[rng.random_range(0..sites.len())];
            if rng.random_bool(0.8) {
                let answered = started + Duration::seconds(rng.random_range(3..40));
                let agent = agents[rng.random_range(0..agents.len())];
                let ended = answered + Duration::seconds(rng.random_range(30..900));
                calls
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
                calls
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
        for _ in 0..(p.chats_per_day / 25).max(1) {
            let at = local(p.timezone, day, rng.random_range(0..86_400));
            let site = sites[rng.random_range(0..sites.len())];
            let agent = rng
                .random_bool(0.7)
                .then(|| agents[rng.random_range(0..agents.len())]);
            offline
                .row(&[
                    acc.clone(),
                    id(site),
                    agent.and_then(id),
                    ts(at),
                    Some("Necesito ayuda con mi pedido".into()),
                ])
                .await?;
        }
        // Each agent: a working day of four online stretches with two away breaks.
        for &agent in &agents {
            let mut t = local(p.timezone, day, 8 * 3600 + rng.random_range(0..3600));
            for k in 0..6 {
                let (status, len) = if k % 3 == 2 {
                    ("away", rng.random_range(300..1800))
                } else {
                    ("online", rng.random_range(3600..7200))
                };
                let end = t + Duration::seconds(len);
                presence
                    .row(&[acc.clone(), id(agent), Some(status.into()), ts(t), ts(end)])
                    .await?;
                t = end;
            }
        }
    }
    sum.chats = chats.finish().await?;
    sum.messages = messages.finish().await?;
    sum.chat_events = events.finish().await?;
    sum.calls = calls.finish().await?;
    sum.offline_messages = offline.finish().await?;
    sum.presence = presence.finish().await?;
    sum.bans = bans.finish().await?;
    sum.steps = steps.finish().await?;
    sqlx::query(
        "ANALYZE chats, messages, chat_events, calls, offline_messages, agent_presence, bans, steps",
    )
    .execute(pool)
    .await?;
    sum.elapsed = started.elapsed();
    let _ = rng.next_u32();
    Ok(sum)
}
