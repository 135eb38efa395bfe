//! The hand-worked fixture of the bot platform's reports (seed 000), in America/Santiago
//! over 2026-09-05 – 2026-09-07 (the 6th is the 23-hour DST day), and what its tests share.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    conversations::{at, contact, secs, site, user},
    harness::TestApp,
    sheets::csv_zip,
};

/// A chat: site, contact, start; panel, accepted and closing instants and the last
/// message, as seconds after the start; who accepted it, whether it was missed, messages
/// in and out.
struct Chat {
    site: i64,
    contact: i64,
    start: DateTime<Utc>,
    panel: Option<i64>,
    accepted: Option<(i64, i64)>,
    closed: Option<i64>,
    last: Option<i64>,
    missed: bool,
    msgs: (i32, i32),
}

async fn chat(pool: &PgPool, account: i64, c: Chat) -> i64 {
    let off = |s: Option<i64>| s.map(|s| secs(c.start, s));
    sqlx::query_scalar(
        "INSERT INTO chats (account_id, site_id, contact_id, started_at, panel_at, accepted_at, accepted_by,
                            closed_at, last_msg_at, missed, msgs_in, msgs_out)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(account)
    .bind(c.site)
    .bind(c.contact)
    .bind(c.start)
    .bind(off(c.panel))
    .bind(off(c.accepted.map(|a| a.1)))
    .bind(c.accepted.map(|a| a.0))
    .bind(off(c.closed))
    .bind(off(c.last))
    .bind(c.missed)
    .bind(c.msgs.0)
    .bind(c.msgs.1)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Steps of a chat: name, entered and left as seconds after `start`.
async fn steps(
    pool: &PgPool,
    account: i64,
    chat: i64,
    start: DateTime<Utc>,
    s: &[(&str, i64, Option<i64>)],
) {
    for (step, entered, left) in s {
        sqlx::query("INSERT INTO steps (account_id, chat_id, step, entered_at, left_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(account)
            .bind(chat)
            .bind(step)
            .bind(secs(start, *entered))
            .bind(left.map(|l| secs(start, l)))
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn message(
    pool: &PgPool,
    account: i64,
    chat: i64,
    sender: &str,
    agent: Option<i64>,
    at: DateTime<Utc>,
) {
    sqlx::query("INSERT INTO messages (account_id, chat_id, sender, agent_id, sent_at, body) VALUES ($1, $2, $3, $4, $5, 'hola')")
        .bind(account)
        .bind(chat)
        .bind(sender)
        .bind(agent)
        .bind(at)
        .execute(pool)
        .await
        .unwrap();
}

/// The fixture's ids: sites WA and Web, agents Ana and Beto.
pub struct Ids {
    pub wa: i64,
    pub beto: i64,
}

async fn fixture(pool: &PgPool, account: i64) -> Ids {
    let (ana, beto) = (
        user(pool, account, "Ana").await,
        user(pool, account, "Beto").await,
    );
    let web = site(pool, account, "Web", "webchat").await;
    let wa = site(pool, account, "WA", "whatsapp").await;
    let (k1, k2) = (
        contact(pool, account, None).await,
        contact(pool, account, None).await,
    );
    let base = |site, contact, start| Chat {
        site,
        contact,
        start,
        panel: None,
        accepted: None,
        closed: None,
        last: None,
        missed: false,
        msgs: (1, 1),
    };
    // The first second of the range (2026-09-05 00:00:00 -04): Ana, 600 s, closed.
    let t1 = at("2026-09-05T04:00:00Z");
    let c1 = chat(
        pool,
        account,
        Chat {
            panel: Some(10),
            accepted: Some((ana, 20)),
            closed: Some(620),
            last: Some(600),
            msgs: (3, 4),
            ..base(web, k1, t1)
        },
    )
    .await;
    // Five minutes later, still open: Ana again, busy until its last message; overlaps c1.
    let t2 = secs(t1, 300);
    let c2 = chat(
        pool,
        account,
        Chat {
            panel: Some(10),
            accepted: Some((ana, 20)),
            last: Some(620),
            msgs: (2, 2),
            ..base(web, k1, t2)
        },
    )
    .await;
    // On the DST day (09:00 -03): stayed with the bot.
    let t3 = at("2026-09-06T12:00:00Z");
    let c3 = chat(
        pool,
        account,
        Chat {
            closed: Some(60),
            last: Some(50),
            ..base(wa, k2, t3)
        },
    )
    .await;
    // 23:59:59 of the DST day: reached the panel, nobody took it (abandoned).
    let t4 = at("2026-09-07T02:59:59Z");
    chat(
        pool,
        account,
        Chat {
            panel: Some(5),
            closed: Some(100),
            last: Some(30),
            missed: true,
            msgs: (1, 0),
            ..base(wa, k2, t4)
        },
    )
    .await;
    // 2026-09-07 12:00 local: Beto, busy 300 s.
    let t5 = at("2026-09-07T15:00:00Z");
    let c5 = chat(
        pool,
        account,
        Chat {
            panel: Some(10),
            accepted: Some((beto, 40)),
            closed: Some(340),
            last: Some(330),
            msgs: (2, 3),
            ..base(wa, k1, t5)
        },
    )
    .await;
    // The last second of the range (2026-09-07 23:59:59 -03): stayed with the bot.
    let t6 = at("2026-09-08T02:59:59Z");
    let c6 = chat(
        pool,
        account,
        Chat {
            last: Some(10),
            ..base(web, k2, t6)
        },
    )
    .await;
    // A second before the range and the first second after it.
    let before = at("2026-09-05T03:59:59Z");
    let c0 = chat(
        pool,
        account,
        Chat {
            panel: Some(1),
            accepted: Some((ana, 2)),
            closed: Some(100),
            last: Some(90),
            ..base(web, k1, before)
        },
    )
    .await;
    let after = at("2026-09-08T03:00:00Z");
    let c7 = chat(
        pool,
        account,
        Chat {
            last: Some(5),
            ..base(wa, k2, after)
        },
    )
    .await;

    // Steps: "Menu principal" entered twice in c1.
    steps(
        pool,
        account,
        c1,
        t1,
        &[
            ("Inicia Conversacion", 0, Some(2)),
            ("Menu principal", 2, Some(5)),
            ("Financieras", 5, Some(65)),
            ("Menu principal", 65, Some(68)),
            ("Finaliza conversación", 68, None),
        ],
    )
    .await;
    steps(
        pool,
        account,
        c3,
        t3,
        &[
            ("Inicia Conversacion", 0, Some(1)),
            ("Menu principal", 1, Some(4)),
            ("Salud", 4, Some(10)),
        ],
    )
    .await;
    steps(
        pool,
        account,
        c6,
        t6,
        &[("Inicia Conversacion", 0, Some(2))],
    )
    .await;
    steps(
        pool,
        account,
        c0,
        before,
        &[("Inicia Conversacion", 0, Some(1))],
    )
    .await;
    steps(
        pool,
        account,
        c7,
        after,
        &[("Inicia Conversacion", 0, Some(1))],
    )
    .await;

    // Agents' messages: Ana in two chats, Beto in one; a client's and a bot's don't count,
    // nor Ana's a second before the range.
    message(pool, account, c1, "agent", Some(ana), secs(t1, 30)).await;
    message(pool, account, c1, "agent", Some(ana), secs(t1, 40)).await;
    message(pool, account, c2, "agent", Some(ana), secs(t2, 30)).await;
    message(pool, account, c5, "agent", Some(beto), secs(t5, 50)).await;
    message(pool, account, c1, "client", None, secs(t1, 1)).await;
    message(pool, account, c3, "bot", None, secs(t3, 1)).await;
    message(pool, account, c0, "agent", Some(ana), before).await;
    Ids { wa, beto }
}

pub fn body(kind: &str, format: &str, options: Value) -> Value {
    json!({"kind": kind, "format": format, "from": "2026-09-05", "to": "2026-09-07", "options": options})
}

/// An account with the fixture, and another with the same names and rows beside it.
pub async fn two_accounts(app: &TestApp, locale: &str) -> (crate::harness::TestAccount, Ids) {
    let acct = app.account("Bots", "America/Santiago", "vip", locale).await;
    let ids = fixture(&app.pool, acct.id).await;
    let other = app.account("Otra", "America/Santiago", "vip", locale).await;
    fixture(&app.pool, other.id).await;
    (acct, ids)
}

pub fn csv_parts(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    csv_zip(bytes, b',')
}

/// Keeps a workbook under `target/reports/`, to open or render and look at.
pub fn keep(name: &str, bytes: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}
