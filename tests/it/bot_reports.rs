//! The bot platform's reports (seed 000), `steps`, `agents_activity` and `sessions`,
//! against a fixture worked by hand in America/Santiago over 2026-09-05 – 2026-09-07 (the
//! 6th is the 23-hour DST day): files read back as xlsx and csv, charts read in the
//! workbook's parts, and another account with same-named sites and agents that must not
//! leak.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    conversations::{at, contact, rows, secs, site, user},
    harness::{TestApp, assert_error, wait_emails},
    sheets::{charts, csv_zip, part, xlsx, xlsx_number},
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
struct Ids {
    wa: i64,
    beto: i64,
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

fn body(kind: &str, format: &str, options: Value) -> Value {
    json!({"kind": kind, "format": format, "from": "2026-09-05", "to": "2026-09-07", "options": options})
}

/// An account with the fixture, and another with the same names and rows beside it.
async fn two_accounts(app: &TestApp, locale: &str) -> (crate::harness::TestAccount, Ids) {
    let acct = app.account("Bots", "America/Santiago", "vip", locale).await;
    let ids = fixture(&app.pool, acct.id).await;
    let other = app.account("Otra", "America/Santiago", "vip", locale).await;
    fixture(&app.pool, other.id).await;
    (acct, ids)
}

fn csv_parts(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    csv_zip(bytes, b',')
}

/// Keeps a workbook under `target/reports/`, to open or render and look at.
fn keep(name: &str, bytes: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn steps_count_every_entry_with_shares_and_average_durations() {
    let app = TestApp::spawn().await;
    let (acct, ids) = two_accounts(&app, "es").await;
    let file = app
        .export_file(&acct.token, &body("steps", "xlsx", json!({})))
        .await;
    keep("steps.xlsx", &file);
    let sheets = xlsx(&file);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Resumen", "Pasos", "Pasos por bot"]);
    // Shares read back as stored fractions: 3/9 and 1/9.
    let pasos = part(&sheets, "Pasos");
    let want = [
        ("Inicia Conversacion", "3", 3.0 / 9.0, "0:00:02"),
        ("Menu principal", "3", 3.0 / 9.0, "0:00:03"),
        ("Finaliza conversación", "1", 1.0 / 9.0, ""),
        ("Financieras", "1", 1.0 / 9.0, "0:01:00"),
        ("Salud", "1", 1.0 / 9.0, "0:00:06"),
    ];
    assert_eq!(pasos[0], ["Paso", "Veces", "Porcentaje", "Duración"]);
    assert_eq!(pasos.len(), want.len() + 1, "{pasos:?}");
    for (i, (step, times, share, dur)) in want.iter().enumerate() {
        let r = &pasos[i + 1];
        assert_eq!(
            (r[0].as_str(), r[1].as_str(), r[3].as_str()),
            (*step, *times, *dur),
            "row {i}"
        );
        assert!((xlsx_number(&file, "Pasos", i as u32 + 1, 2) - share).abs() < 1e-9);
    }
    let by_bot = part(&sheets, "Pasos por bot");
    let got: Vec<(&str, &str, &str, &str)> = by_bot[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        by_bot[0],
        ["Bot", "Paso", "Veces", "Porcentaje", "Duración"]
    );
    assert_eq!(
        got,
        [
            ("WA", "Inicia Conversacion", "1", "0:00:01"),
            ("WA", "Menu principal", "1", "0:00:03"),
            ("WA", "Salud", "1", "0:00:06"),
            ("Web", "Inicia Conversacion", "2", "0:00:02"),
            ("Web", "Menu principal", "2", "0:00:03"),
            ("Web", "Finaliza conversación", "1", ""),
            ("Web", "Financieras", "1", "0:01:00"),
        ]
    );
    // Within its bot: Web has 6 entries, so 2 is a third and 1 a sixth.
    assert!((xlsx_number(&file, "Pasos por bot", 4, 3) - 2.0 / 6.0).abs() < 1e-9);
    assert!((xlsx_number(&file, "Pasos por bot", 6, 3) - 1.0 / 6.0).abs() < 1e-9);

    // csv: percentages as text with two decimals.
    let csv = csv_parts(
        &app.export_file(&acct.token, &body("steps", "csv", json!({})))
            .await,
    );
    assert_eq!(
        part(&csv, "steps.csv")[1],
        ["Inicia Conversacion", "3", "33.33%", "0:00:02"]
    );
    assert_eq!(
        part(&csv, "steps.csv")[3],
        ["Finaliza conversación", "1", "11.11%", ""]
    );

    // Another site's steps are left out by `sites`, and the summary says so.
    let sheets = xlsx(
        &app.export_file(
            &acct.token,
            &body("steps", "xlsx", json!({"sites": [ids.wa]})),
        )
        .await,
    );
    let pasos = part(&sheets, "Pasos");
    let names: Vec<&str> = pasos[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Inicia Conversacion", "Menu principal", "Salud"]);
    assert!(
        part(&sheets, "Resumen")
            .iter()
            .any(|r| r == &["Bots", "WA"])
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agents_activity_counts_overlapping_chats_once_with_a_pie_of_messages() {
    let app = TestApp::spawn().await;
    let (acct, ids) = two_accounts(&app, "es").await;
    let file = app
        .export_file(&acct.token, &body("agents_activity", "xlsx", json!({})))
        .await;
    keep("agents_activity.xlsx", &file);
    let sheets = xlsx(&file);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Resumen", "Agentes"]);
    let t = part(&sheets, "Agentes");
    assert_eq!(
        t[0],
        [
            "Agente",
            "Sesiones",
            "Tiempo ocupado",
            "Tiempo ocupado promedio",
            "Mensajes",
            "% de mensajes"
        ]
    );
    // Ana: c1 [04:00:20, 04:10:20) and c2 (open) [04:05:20, 04:15:20): 900 s once.
    let cols = |r: &Vec<String>| {
        [
            r[0].clone(),
            r[1].clone(),
            r[2].clone(),
            r[3].clone(),
            r[4].clone(),
        ]
    };
    assert_eq!(cols(&t[1]), ["Ana", "2", "0:15:00", "0:07:30", "3"]);
    assert_eq!(cols(&t[2]), ["Beto", "1", "0:05:00", "0:05:00", "1"]);
    assert_eq!(cols(&t[3]), ["Total", "3", "0:20:00", "0:06:40", "4"]);
    assert_eq!(t.len(), 4);
    for (row, share) in [(1, 0.75), (2, 0.25), (3, 1.0)] {
        assert!((xlsx_number(&file, "Agentes", row, 5) - share).abs() < 1e-9);
    }
    let charts = charts(&file);
    assert_eq!(charts.len(), 1);
    assert!(charts[0].contains("<c:pieChart>"), "a pie chart");
    assert_eq!(charts[0].matches("<c:ser>").count(), 1);
    assert!(
        charts[0].contains("Agentes!$E$2:$E$3"),
        "over the agents, not the total"
    );

    // `agents` and `sites` narrow it; Beto alone has all of his messages.
    for options in [json!({"agents": [ids.beto]}), json!({"sites": [ids.wa]})] {
        let f = app
            .export_file(
                &acct.token,
                &body("agents_activity", "xlsx", options.clone()),
            )
            .await;
        let t = part(&xlsx(&f), "Agentes").to_vec();
        assert_eq!(
            cols(&t[1]),
            ["Beto", "1", "0:05:00", "0:05:00", "1"],
            "{options}"
        );
        assert_eq!(t.len(), 3, "{options}");
        assert!((xlsx_number(&f, "Agentes", 1, 5) - 1.0).abs() < 1e-9);
    }
    let csv = csv_parts(
        &app.export_file(&acct.token, &body("agents_activity", "csv", json!({})))
            .await,
    );
    assert_eq!(
        part(&csv, "agents.csv")[1],
        ["Ana", "2", "0:15:00", "0:07:30", "3", "75.00%"]
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_per_bot_day_and_hour_and_the_seeds_traffic_csv() {
    let app = TestApp::spawn().await;
    let (acct, ids) = two_accounts(&app, "es").await;
    let file = app
        .export_file(&acct.token, &body("sessions", "xlsx", json!({})))
        .await;
    keep("sessions.xlsx", &file);
    let sheets = xlsx(&file);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Resumen",
            "Por bot",
            "Sesiones por día",
            "Sesiones por hora",
            "Tráfico por día del mes"
        ]
    );
    let by_bot = rows(&[
        &[
            "Bot",
            "Sesiones",
            "Sesiones con panel",
            "Sesiones abandonadas",
            "Contactos únicos",
        ],
        &["WA", "3", "2", "1", "2"],
        &["Web", "3", "2", "0", "2"],
        // Two contacts over all bots, not 2 + 2.
        &["Total", "6", "4", "1", "2"],
    ]);
    assert_eq!(part(&sheets, "Por bot"), by_bot.as_slice());
    let per_day = rows(&[
        &["Fecha", "WA", "Web"],
        &["2026-09-05", "0", "2"],
        &["2026-09-06", "2", "0"],
        &["2026-09-07", "1", "1"],
    ]);
    assert_eq!(part(&sheets, "Sesiones por día"), per_day.as_slice());
    let per_hour = part(&sheets, "Sesiones por hora");
    assert_eq!(per_hour.len(), 25);
    assert_eq!(per_hour[0], ["Hora", "WA", "Web"]);
    let nonzero: Vec<&Vec<String>> = per_hour[1..]
        .iter()
        .filter(|r| r[1] != "0" || r[2] != "0")
        .collect();
    assert_eq!(
        nonzero,
        [
            &vec!["0".to_owned(), "0".into(), "2".into()],
            &vec!["9".to_owned(), "1".into(), "0".into()],
            &vec!["12".to_owned(), "1".into(), "0".into()],
            &vec!["23".to_owned(), "1".into(), "1".into()],
        ]
    );
    let traffic = rows(&[
        &[
            "bot",
            "día",
            "sesiones",
            "contactos únicos",
            "mensajes entrantes",
            "mensajes salientes",
            "largo de sesión (promedio)",
            "tiempo de espera (promedio)",
            "sesiones abandonadas",
        ],
        &["Web", "5", "2", "1", "5", "6", "610000", "10000", "0"],
        &["WA", "6", "2", "1", "2", "1", "40000", "0", "1"],
        &["WA", "7", "1", "1", "2", "3", "330000", "30000", "0"],
        &["Web", "7", "1", "1", "1", "1", "10000", "0", "0"],
    ]);
    assert_eq!(part(&sheets, "Tráfico por día del mes"), traffic.as_slice());
    // Charts: per day (line) and per hour (column) with a series per bot, then the
    // traffic's messages (2 series) and sessions (3 series).
    let charts = charts(&file);
    assert_eq!(charts.len(), 4);
    let series: Vec<usize> = charts
        .iter()
        .map(|x| x.matches("<c:ser>").count())
        .collect();
    assert_eq!(series, [2, 2, 2, 3]);
    assert!(charts[0].contains("<c:lineChart>") && charts[1].contains("<c:barChart>"));

    // The csv's traffic file is the seed's, header byte for byte.
    let zip = app
        .export_file(&acct.token, &body("sessions", "csv", json!({})))
        .await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("traffic.csv").unwrap(), &mut raw).unwrap();
    let header = "\u{feff}bot,día,sesiones,contactos únicos,mensajes entrantes,mensajes salientes,largo de sesión (promedio),tiempo de espera (promedio),sesiones abandonadas";
    assert!(
        raw.starts_with(header.as_bytes()) && matches!(raw.get(header.len()), Some(b'\r' | b'\n')),
        "{:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(300)])
    );
    assert_eq!(part(&csv_parts(&zip), "traffic.csv"), traffic.as_slice());

    // `sites` keeps WA only.
    let sheets = xlsx(
        &app.export_file(
            &acct.token,
            &body("sessions", "xlsx", json!({"sites": [ids.wa]})),
        )
        .await,
    );
    assert_eq!(
        part(&sheets, "Por bot")[1..],
        rows(&[&["WA", "3", "2", "1", "2"], &["Total", "3", "2", "1", "2"]])
    );
    assert_eq!(part(&sheets, "Sesiones por día")[0], ["Fecha", "WA"]);
    let mails = wait_emails(&acct.admin_email, 3).await;
    assert!(
        mails.iter().any(|m| m.text.contains("Bots: WA")),
        "the email names the filter"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_options_of_the_bot_reports_are_refused_by_name() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Mine", "UTC", "vip", "en").await;
    let other = app.account("Theirs", "UTC", "vip", "en").await;
    let theirs = site(&app.pool, other.id, "WA", "whatsapp").await;
    let their_agent = user(&app.pool, other.id, "Ana").await;
    for (kind, options, name) in [
        ("steps", json!({"sites": [theirs]}), "sites"),
        ("steps", json!({"agents": [1]}), "agents"),
        ("sessions", json!({"sites": "all"}), "sites"),
        ("sessions", json!({"owners": [1]}), "owners"),
        (
            "agents_activity",
            json!({"agents": [their_agent]}),
            "agents",
        ),
        ("agents_activity", json!({"agents": []}), "agents"),
    ] {
        let (s, e) = app
            .post_export(&acct.token, &body(kind, "xlsx", options.clone()))
            .await;
        assert!(
            assert_error(s, &e, 422, "invalid_option").contains(name),
            "{kind} {options}: {e}"
        );
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_bot_reports_speak_english_and_portuguese() {
    let app = TestApp::spawn().await;
    for (locale, sheet, header) in [
        ("en", "Traffic by day of month", "wait time (average)"),
        ("pt", "Tráfego por dia do mês", "tempo de espera (média)"),
    ] {
        let (acct, _) = two_accounts(&app, locale).await;
        let sheets = xlsx(
            &app.export_file(&acct.token, &body("sessions", "xlsx", json!({})))
                .await,
        );
        assert_eq!(part(&sheets, sheet)[0][7], header);
        assert_eq!(part(&sheets, sheet)[1][7], "10000");
    }
    app.shutdown().await;
}
