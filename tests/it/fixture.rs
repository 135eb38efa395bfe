//! A small hand-made account for the global report, and its expected report worked out by
//! hand from the definitions in DESIGN.md (not computed by exportd's code).
//!
//! Europe/Madrid, range 2026-10-20 … 2026-10-26: clocks go back on 2026-10-25 (a 25-hour
//! day), so the range is [2026-10-19T22:00Z, 2026-10-26T23:00Z).

use sqlx::PgPool;

pub const FROM: &str = "2026-10-20";
pub const TO: &str = "2026-10-26";
pub const TZ: &str = "Europe/Madrid";

async fn id(pool: &PgPool, sql: &str, account: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Inserts the fixture into `account`.
pub async fn insert(pool: &PgPool, account: i64) {
    let web = id(
        pool,
        "INSERT INTO sites (account_id, name, channel) VALUES ($1, 'Web', 'webchat') RETURNING id",
        account,
    )
    .await;
    let whatsapp = id(pool, "INSERT INTO sites (account_id, name, channel) VALUES ($1, 'WhatsApp', 'whatsapp') RETURNING id", account).await;
    let ana = id(pool, "INSERT INTO users (account_id, email, name, role) VALUES ($1, 'ana@x.example', 'Ana', 'agent') RETURNING id", account).await;
    let bruno = id(pool, "INSERT INTO users (account_id, email, name, role) VALUES ($1, 'bruno@x.example', 'Bruno', 'agent') RETURNING id", account).await;

    // chats: (site, started_at, accepted_at, accepted_by, first_client, first_agent, last_msg, missed, rating)
    type Chat<'a> = (
        i64,
        &'a str,
        Option<&'a str>,
        Option<i64>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        bool,
        Option<i16>,
    );
    let chats: Vec<Chat> = vec![
        // c0: 23:59 local the day before the range: out.
        (
            web,
            "2026-10-19T23:59:00+02:00",
            Some("2026-10-20T00:00:30+02:00"),
            Some(ana),
            Some("2026-10-19T23:59:10+02:00"),
            Some("2026-10-19T23:59:40+02:00"),
            Some("2026-10-20T00:10:00+02:00"),
            false,
            Some(1),
        ),
        // c1: 00:00 local on the first day: in. First response 30 s, duration 600 s, positive.
        (
            web,
            "2026-10-20T00:00:00+02:00",
            Some("2026-10-20T00:01:00+02:00"),
            Some(ana),
            Some("2026-10-20T00:00:10+02:00"),
            Some("2026-10-20T00:00:40+02:00"),
            Some("2026-10-20T00:11:00+02:00"),
            false,
            Some(1),
        ),
        // c2: 23:59 local on the last day (after the DST change, +01:00): in. 20 s, 300 s, negative.
        (
            web,
            "2026-10-26T23:59:00+01:00",
            Some("2026-10-26T23:59:30+01:00"),
            Some(bruno),
            Some("2026-10-26T23:59:05+01:00"),
            Some("2026-10-26T23:59:25+01:00"),
            Some("2026-10-27T00:04:30+01:00"),
            false,
            Some(-1),
        ),
        // c3: 00:00 local the day after: out.
        (
            web,
            "2026-10-27T00:00:00+01:00",
            Some("2026-10-27T00:00:30+01:00"),
            Some(bruno),
            Some("2026-10-27T00:00:05+01:00"),
            Some("2026-10-27T00:00:20+01:00"),
            Some("2026-10-27T00:05:00+01:00"),
            false,
            Some(-1),
        ),
        // c4: in the repeated hour of the DST change; accepted, no agent reply; duration 120 s.
        (
            whatsapp,
            "2026-10-25T01:30:00Z",
            Some("2026-10-25T01:31:00Z"),
            Some(ana),
            Some("2026-10-25T01:30:05Z"),
            None,
            Some("2026-10-25T01:33:00Z"),
            false,
            None,
        ),
        // c5: missed.
        (
            whatsapp,
            "2026-10-22T12:00:00+02:00",
            None,
            None,
            Some("2026-10-22T12:00:05+02:00"),
            None,
            Some("2026-10-22T12:00:05+02:00"),
            true,
            None,
        ),
        // c6: the agent wrote before the client (negative first response, left out); duration 60 s.
        (
            whatsapp,
            "2026-10-23T10:00:00+02:00",
            Some("2026-10-23T10:00:02+02:00"),
            Some(bruno),
            Some("2026-10-23T10:00:10+02:00"),
            Some("2026-10-23T10:00:05+02:00"),
            Some("2026-10-23T10:01:02+02:00"),
            false,
            None,
        ),
    ];
    let mut chat_ids = Vec::new();
    for (site, started, accepted, by, fc, fa, last, missed, rating) in chats {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO chats (account_id, site_id, started_at, panel_at, accepted_at, accepted_by, first_client_msg_at,
                                first_agent_msg_at, last_msg_at, closed_at, missed, rating)
             VALUES ($1, $2, $3::timestamptz, $3::timestamptz, $4::timestamptz, $5, $6::timestamptz, $7::timestamptz,
                     $8::timestamptz, $8::timestamptz, $9, $10) RETURNING id",
        )
        .bind(account).bind(site).bind(started).bind(accepted).bind(by).bind(fc).bind(fa).bind(last).bind(missed).bind(rating)
        .fetch_one(pool)
        .await
        .unwrap();
        chat_ids.push(id);
    }
    let exec = |sql: &'static str| sqlx::query(sql);
    // A transfer accepted by Bruno on c1 (Web); a rejection by Ana on c6 (WhatsApp); a
    // rejection by Bruno before the range.
    exec(
        "INSERT INTO chat_events (account_id, chat_id, agent_id, kind, at) VALUES
          ($1, $2, $4, 'transferred', '2026-10-20T10:00:00+02:00'),
          ($1, $3, $5, 'rejected', '2026-10-23T10:00:30+02:00'),
          ($1, $2, $4, 'rejected', '2026-10-19T10:00:00+02:00')",
    )
    .bind(account)
    .bind(chat_ids[1])
    .bind(chat_ids[6])
    .bind(bruno)
    .bind(ana)
    .execute(pool)
    .await
    .unwrap();
    // A call answered by Ana on Web; a missed call on WhatsApp.
    exec("INSERT INTO calls (account_id, site_id, agent_id, started_at, answered_at, ended_at) VALUES
          ($1, $2, $4, '2026-10-21T09:00:00+02:00', '2026-10-21T09:00:10+02:00', '2026-10-21T09:05:00+02:00'),
          ($1, $3, NULL, '2026-10-21T09:05:00+02:00', NULL, '2026-10-21T09:05:30+02:00')")
        .bind(account).bind(web).bind(whatsapp).bind(ana)
        .execute(pool).await.unwrap();
    exec(
        "INSERT INTO offline_messages (account_id, site_id, agent_id, created_at, body) VALUES
          ($1, $2, $3, '2026-10-24T20:00:00+02:00', '=HYPERLINK(\"x\")')",
    )
    .bind(account)
    .bind(web)
    .bind(bruno)
    .execute(pool)
    .await
    .unwrap();
    exec("INSERT INTO bans (account_id, site_id, agent_id, created_at) VALUES ($1, $2, $3, '2026-10-23T11:00:00+02:00')")
        .bind(account).bind(whatsapp).bind(ana)
        .execute(pool).await.unwrap();
    // Presence: Ana online across the start (2 h inside), away 2 h across the DST change;
    // Bruno online across the end (1 h inside), away still open (30 min inside), and a
    // stretch entirely before the range.
    exec(
        "INSERT INTO agent_presence (account_id, agent_id, status, started_at, ended_at) VALUES
          ($1, $2, 'online', '2026-10-19T22:00:00+02:00', '2026-10-20T02:00:00+02:00'),
          ($1, $2, 'away',   '2026-10-25T00:00:00Z',      '2026-10-25T02:00:00Z'),
          ($1, $3, 'online', '2026-10-26T22:00:00Z',      '2026-10-27T01:00:00Z'),
          ($1, $3, 'away',   '2026-10-26T22:30:00Z',      NULL),
          ($1, $3, 'online', '2026-10-10T09:00:00+02:00', '2026-10-10T18:00:00+02:00')",
    )
    .bind(account)
    .bind(ana)
    .bind(bruno)
    .execute(pool)
    .await
    .unwrap();
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_owned()).collect()
}

/// Expected "Por sitio": Sitio + 6 metrics.
pub fn by_site() -> Vec<Vec<String>> {
    vec![
        row(&[
            "Sitio",
            "Chats aceptados",
            "Llamadas aceptadas",
            "Chats perdidos",
            "Llamadas perdidas",
            "Chats aceptados sin respuesta del agente",
            "Mensajes fuera de línea",
        ]),
        row(&["Web", "2", "1", "0", "0", "0", "1"]),
        row(&["WhatsApp", "2", "0", "1", "1", "1", "0"]),
        row(&["Total", "4", "1", "1", "1", "1", "1"]),
    ]
}

pub const AGENT_HEADERS: [&str; 13] = [
    "Chats aceptados",
    "Llamadas aceptadas",
    "Chats transferidos",
    "Chats rechazados",
    "Chats aceptados sin respuesta del operador",
    "Mensajes fuera de línea",
    "Tiempo en línea (hh:mm:ss)",
    "Tiempo ausente (hh:mm:ss)",
    "Tiempo promedio de respuesta (en segundos)",
    "Duración promedio del chat (hh:mm:ss)",
    "Calificación positiva",
    "Calificación negativa",
    "Bloqueo de clientes",
];

/// Expected "Por agente": Agente + 13 metrics in the seed's order.
pub fn by_agent() -> Vec<Vec<String>> {
    let mut header = vec!["Agente".to_owned()];
    header.extend(AGENT_HEADERS.iter().map(|s| (*s).to_owned()));
    vec![
        header,
        row(&[
            "Ana", "2", "1", "0", "1", "1", "0", "2:00:00", "2:00:00", "30.00", "0:06:00", "1",
            "0", "1",
        ]),
        row(&[
            "Bruno", "2", "0", "1", "0", "0", "1", "1:00:00", "0:30:00", "20.00", "0:03:00", "0",
            "1", "0",
        ]),
        row(&[
            "Total", "4", "1", "1", "1", "1", "1", "3:00:00", "2:30:00", "25.00", "0:04:30", "1",
            "1", "1",
        ]),
    ]
}

/// Expected "Por sitio y agente": Sitio, Agente + 13 metrics, a total row per site.
pub fn per_site() -> Vec<Vec<String>> {
    let mut header = vec!["Sitio".to_owned(), "Agente".to_owned()];
    header.extend(AGENT_HEADERS.iter().map(|s| (*s).to_owned()));
    vec![
        header,
        row(&[
            "Web", "Ana", "1", "1", "0", "0", "0", "0", "2:00:00", "2:00:00", "30.00", "0:10:00",
            "1", "0", "0",
        ]),
        row(&[
            "Web", "Bruno", "1", "0", "1", "0", "0", "1", "1:00:00", "0:30:00", "20.00", "0:05:00",
            "0", "1", "0",
        ]),
        row(&[
            "Web", "Total", "2", "1", "1", "0", "0", "1", "3:00:00", "2:30:00", "25.00", "0:07:30",
            "1", "1", "0",
        ]),
        row(&[
            "WhatsApp", "Ana", "1", "0", "0", "1", "1", "0", "2:00:00", "2:00:00", "", "0:02:00",
            "0", "0", "1",
        ]),
        row(&[
            "WhatsApp", "Bruno", "1", "0", "0", "0", "0", "0", "1:00:00", "0:30:00", "", "0:01:00",
            "0", "0", "0",
        ]),
        row(&[
            "WhatsApp", "Total", "2", "0", "0", "1", "1", "0", "3:00:00", "2:30:00", "", "0:01:30",
            "0", "0", "1",
        ]),
    ]
}
