//! The row-level kinds of seed 000, `sessions_detail` and `campaigns`, against a fixture
//! worked by hand (America/Santiago, 2026-10-01 – 2026-10-02, offset -03): every filter
//! alone and two combined, a transfer, an abandoned chat, a `fields` key in some rows only,
//! a text match across case and accents, another account with the same text, a chat a
//! second outside each edge; the text filter puts no index on message bodies.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    conversations::{at, secs, site, user},
    harness::{TestApp, assert_error},
    sheets::{csv_zip, part, xlsx},
};

async fn contact(pool: &PgPool, account: i64, name: &str, phone: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO contacts (account_id, name, phone) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(account)
    .bind(name)
    .bind(phone)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[allow(clippy::too_many_arguments)]
async fn chat(
    pool: &PgPool,
    account: i64,
    site: i64,
    contact: i64,
    start: DateTime<Utc>,
    fields: Value,
    panel: Option<i64>,
    accepted: Option<(i64, i64)>,
    missed: bool,
) -> i64 {
    let off = |s: Option<i64>| s.map(|s| secs(start, s));
    sqlx::query_scalar(
        "INSERT INTO chats (account_id, site_id, contact_id, started_at, fields, panel_at, accepted_at, accepted_by,
                            missed, reason, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $8 IS NULL THEN NULL ELSE 'Motivo 4' END,
                 CASE WHEN $8 IS NULL THEN NULL ELSE 'Prueba' END) RETURNING id",
    )
    .bind(account)
    .bind(site)
    .bind(contact)
    .bind(start)
    .bind(fields)
    .bind(off(panel))
    .bind(off(accepted.map(|a| a.1)))
    .bind(accepted.map(|a| a.0))
    .bind(missed)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn message(pool: &PgPool, account: i64, chat: i64, sender: &str, body: &str) {
    sqlx::query("INSERT INTO messages (account_id, chat_id, sender, body) VALUES ($1, $2, $3, $4)")
        .bind(account)
        .bind(chat)
        .bind(sender)
        .bind(body)
        .execute(pool)
        .await
        .unwrap();
}

struct Ids {
    wa: i64,
    ana: i64,
    beto: i64,
}

async fn fixture(pool: &PgPool, account: i64) -> Ids {
    let (ana, beto) = (
        user(pool, account, "Ana").await,
        user(pool, account, "Beto").await,
    );
    let web = site(pool, account, "Web", "webchat").await;
    let wa = site(pool, account, "WA", "whatsapp").await;
    let paulina = contact(pool, account, "Paulina", "59898481672").await;
    let noelia = contact(pool, account, "Noelia", "59892489397").await;
    // d1: 10:00 local, taken by Ana, then by Beto through a transfer.
    let t1 = at("2026-10-01T13:00:00Z");
    let d1 = chat(
        pool,
        account,
        web,
        paulina,
        t1,
        json!({"MenuPrincipal": "Bancos", "Ciudad": "Bogotá"}),
        Some(10),
        Some((ana, 20)),
        false,
    )
    .await;
    sqlx::query("INSERT INTO chat_events (account_id, chat_id, agent_id, kind, at) VALUES ($1, $2, $3, 'transferred', $4)")
        .bind(account)
        .bind(d1)
        .bind(beto)
        .bind(secs(t1, 60))
        .execute(pool)
        .await
        .unwrap();
    message(pool, account, d1, "client", "Quiero información").await;
    message(pool, account, d1, "agent", "prueba Hey Now Training").await;
    // d2: abandoned (panel, nobody took it).
    let d2 = chat(
        pool,
        account,
        wa,
        noelia,
        at("2026-10-01T14:00:00Z"),
        json!({"MenuPrincipal": "Financieras"}),
        Some(5),
        None,
        true,
    )
    .await;
    message(pool, account, d2, "client", "Ayuda con mi PRÉSTAMO").await;
    // d3: stayed with the bot; no fields; went through "Salud".
    let t3 = at("2026-10-02T15:00:00Z");
    let d3 = chat(pool, account, wa, paulina, t3, json!({}), None, None, false).await;
    message(pool, account, d3, "bot", "Elige una opción").await;
    sqlx::query(
        "INSERT INTO steps (account_id, chat_id, step, entered_at) VALUES ($1, $2, 'Salud', $3)",
    )
    .bind(account)
    .bind(d3)
    .bind(t3)
    .execute(pool)
    .await
    .unwrap();
    // A second before the range and the first second after it, with the same text.
    for t in ["2026-10-01T02:59:59Z", "2026-10-03T03:00:00Z"] {
        let c = chat(
            pool,
            account,
            web,
            paulina,
            at(t),
            json!({"Otro": "x"}),
            None,
            None,
            false,
        )
        .await;
        message(pool, account, c, "agent", "prueba hey now training").await;
    }
    Ids { wa, ana, beto }
}

fn body(kind: &str, format: &str, options: Value) -> Value {
    json!({"kind": kind, "format": format, "from": "2026-10-01", "to": "2026-10-02", "options": options})
}

const HEADERS: [&str; 13] = [
    "Canal",
    "Inicio",
    "Contacto",
    "_Ciudad",
    "_MenuPrincipal",
    "_Motivo de consulta",
    "_Comentario",
    "Panel",
    "Agentes",
    "Inicio del panel",
    "Primer contacto",
    "Tiempo de espera",
    "Sesión abandonada",
];

fn d(row: &[&str]) -> Vec<String> {
    row.iter().map(|c| (*c).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_in_detail_with_every_filter_read_back_from_xlsx_and_csv() {
    let app = TestApp::spawn().await;
    let acct = app
        .account("Detalle", "America/Santiago", "vip", "es")
        .await;
    let ids = fixture(&app.pool, acct.id).await;
    let other = app.account("Otra", "America/Santiago", "vip", "es").await;
    fixture(&app.pool, other.id).await;

    let file = app
        .export_file(&acct.token, &body("sessions_detail", "xlsx", json!({})))
        .await;
    let sheets = xlsx(&file);
    assert_eq!(
        sheets.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["Resumen", "Sesiones"]
    );
    let rows = part(&sheets, "Sesiones");
    assert_eq!(rows[0], HEADERS);
    // The export says how many rows its file holds.
    let (_, list) = app.get_json(&acct.token, "/v1/exports").await;
    assert_eq!(
        list["items"][0]["file"]["rows"],
        rows.len() as i64 - 1,
        "{list}"
    );
    let d1 = d(&[
        "Web",
        "2026-10-01T10:00:00",
        "59898481672 Paulina",
        "Bogotá",
        "Bancos",
        "Motivo 4",
        "Prueba",
        "true",
        "Ana, Beto",
        "2026-10-01T10:00:10",
        "2026-10-01T10:00:20",
        "10000",
        "false",
    ]);
    let d2 = d(&[
        "WA",
        "2026-10-01T11:00:00",
        "59892489397 Noelia",
        "",
        "Financieras",
        "",
        "",
        "true",
        "",
        "2026-10-01T11:00:05",
        "",
        "",
        "true",
    ]);
    let d3 = d(&[
        "WA",
        "2026-10-02T12:00:00",
        "59898481672 Paulina",
        "",
        "",
        "",
        "",
        "false",
        "",
        "",
        "",
        "",
        "false",
    ]);
    assert_eq!(rows[1..], [d1.clone(), d2.clone(), d3.clone()]);

    // csv: the same rows, instants in ISO 8601 with the offset, booleans as words.
    let csv = csv_zip(
        &app.export_file(&acct.token, &body("sessions_detail", "csv", json!({})))
            .await,
        b',',
    );
    let c = part(&csv, "sessions.csv");
    assert_eq!(c[0], HEADERS);
    assert_eq!(c[1][1], "2026-10-01T10:00:00.000-03:00");
    assert_eq!(
        c[1][7..],
        [
            "true",
            "Ana, Beto",
            "2026-10-01T10:00:10.000-03:00",
            "2026-10-01T10:00:20.000-03:00",
            "10000",
            "false"
        ]
    );
    assert_eq!(c.len(), 4);

    // Each filter alone, and two combined: which rows come out (by their start).
    let starts = |rows: &[Vec<String>]| rows[1..].iter().map(|r| r[1].clone()).collect::<Vec<_>>();
    let (s1, s2, s3) = (d1[1].clone(), d2[1].clone(), d3[1].clone());
    for (options, want) in [
        (json!({"sites": [ids.wa]}), vec![&s2, &s3]),
        (json!({"mode": "panel"}), vec![&s1, &s2]),
        (json!({"mode": "bot"}), vec![&s3]),
        (json!({"mode": "all"}), vec![&s1, &s2, &s3]),
        (json!({"agents": [ids.beto]}), vec![&s1]),
        (json!({"agents": [ids.ana]}), vec![&s1]),
        (json!({"abandoned": true}), vec![&s2]),
        (json!({"abandoned": false}), vec![&s1, &s3]),
        (json!({"step": "Salud"}), vec![&s3]),
        (json!({"text": "HEY now"}), vec![&s1]),
        (json!({"text": "prestamo"}), vec![&s2]),
        (json!({"text": "información"}), vec![&s1]),
        (json!({"contact": "noelia"}), vec![&s2]),
        (json!({"contact": "5989848"}), vec![&s1, &s3]),
        (json!({"sites": [ids.wa], "contact": "Paulina"}), vec![&s3]),
    ] {
        let sheets = xlsx(
            &app.export_file(
                &acct.token,
                &body("sessions_detail", "xlsx", options.clone()),
            )
            .await,
        );
        let got = starts(part(&sheets, "Sesiones"));
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(got, want, "{options}");
    }
    // The `fields` columns are those of the exported rows only.
    let sheets = xlsx(
        &app.export_file(
            &acct.token,
            &body("sessions_detail", "xlsx", json!({"mode": "bot"})),
        )
        .await,
    );
    let h = &part(&sheets, "Sesiones")[0];
    assert!(
        !h.iter()
            .any(|c| c.starts_with("_M") && c != "_Motivo de consulta"),
        "{h:?}"
    );
    let summary = part(&sheets, "Resumen");
    assert!(
        summary.iter().any(|r| r == &["Modalidad", "Bot"]),
        "{summary:?}"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_filter_puts_no_index_on_message_bodies() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    // Every message the platform writes would pay for an index over bodies (migration
    // 0024): the filter reads the range's messages instead.
    let defs: Vec<String> =
        sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE tablename = 'messages'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(!defs.is_empty());
    assert!(
        defs.iter().all(|d| !d.contains("body")),
        "an index over bodies: {defs:?}"
    );
    // Folding ignores case and accents.
    let folded: String = sqlx::query_scalar("SELECT exportd_fold('PRÉSTAMO Información')")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(folded, "prestamo informacion");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn campaign_results_with_states_in_words_and_counts_by_template() {
    let app = TestApp::spawn().await;
    let acct = app
        .account("Campañas", "America/Santiago", "vip", "es")
        .await;
    let other = app.account("Otra", "America/Santiago", "vip", "es").await;
    for a in [acct.id, other.id] {
        let wa = site(&app.pool, a, "WA", "whatsapp").await;
        let k = contact(&app.pool, a, "Paulina", "598").await;
        for (t, template, status, queued) in [
            ("2026-10-01T03:00:00Z", "encuesta", "read", true),
            ("2026-10-01T12:00:00Z", "encuesta", "delivered", false),
            ("2026-10-02T12:00:00Z", "promo", "failed", true),
            ("2026-10-02T13:00:00Z", "encuesta", "read", false),
            ("2026-10-01T02:59:59Z", "encuesta", "sent", false),
            ("2026-10-03T03:00:00Z", "promo", "pending", false),
        ] {
            sqlx::query("INSERT INTO outbound_messages (account_id, site_id, contact_id, template, body, queued, status, channel_status, created_at)
                         VALUES ($1, $2, $3, $4, '<p>¡Hola!</p>', $5, $6, 'Status: ' || $6, $7)")
                .bind(a).bind(wa).bind(k).bind(template).bind(queued).bind(status).bind(at(t))
                .execute(&app.pool).await.unwrap();
        }
    }
    let b = |options| json!({"kind": "campaigns", "format": "xlsx", "from": "2026-10-01", "to": "2026-10-02", "options": options});
    let sheets = xlsx(&app.export_file(&acct.token, &b(json!({}))).await);
    assert_eq!(
        sheets.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["Resumen", "Envíos", "Por estado"]
    );
    let rows = part(&sheets, "Envíos");
    assert_eq!(
        rows[0],
        [
            "Contacto",
            "Fecha",
            "Encolados",
            "Estado",
            "Mensaje",
            "Template",
            "Estado del canal"
        ]
    );
    assert_eq!(
        rows[1],
        [
            "598 Paulina",
            // The first second of the range: local midnight reads back as a bare date.
            "2026-10-01",
            "Sí",
            "Leído",
            "<p>¡Hola!</p>",
            "encuesta",
            "Status: read"
        ]
    );
    let states: Vec<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(states, ["Leído", "Recibido", "Fallido", "Leído"]);
    assert_eq!(
        part(&sheets, "Por estado"),
        [
            d(&[
                "Template",
                "Enviado",
                "Recibido",
                "Leído",
                "Fallido",
                "Pendiente"
            ]),
            d(&["encuesta", "0", "1", "2", "0", "0"]),
            d(&["promo", "0", "0", "0", "1", "0"]),
            d(&["Total", "0", "1", "2", "1", "0"]),
        ]
    );
    for (options, n) in [
        (json!({"statuses": ["read"]}), 2),
        (json!({"templates": ["promo"]}), 1),
        (json!({"queued": true}), 2),
        (json!({"contact": "paul"}), 4),
        (json!({"statuses": ["read", "failed"], "queued": true}), 2),
    ] {
        let sheets = xlsx(&app.export_file(&acct.token, &b(options.clone())).await);
        assert_eq!(part(&sheets, "Envíos").len() - 1, n, "{options}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_of_the_row_level_kinds_are_refused_by_name() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Mine", "UTC", "vip", "en").await;
    let long = "x".repeat(201);
    for (kind, options, name) in [
        ("sessions_detail", json!({"mode": "robot"}), "mode"),
        ("sessions_detail", json!({"abandoned": "yes"}), "abandoned"),
        (
            "sessions_detail",
            json!({"agents": [1], "abandoned": true}),
            "abandoned",
        ),
        ("sessions_detail", json!({"text": ""}), "text"),
        ("sessions_detail", json!({"step": long}), "step"),
        ("sessions_detail", json!({"statuses": ["read"]}), "statuses"),
        ("campaigns", json!({"statuses": ["seen"]}), "statuses"),
        ("campaigns", json!({"templates": []}), "templates"),
        ("campaigns", json!({"queued": 1}), "queued"),
        ("campaigns", json!({"mode": "bot"}), "mode"),
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

/// The report transaction plans each query for its own values: after five runs of one
/// prepared statement Postgres may switch to a generic plan, and the generic plan of the
/// sessions_detail rows (estimated at one row) is a nested loop over every chat's
/// transfers, which ran into the statement timeout at 3M rows in `exportd bench detail`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_queries_get_plans_of_their_own_and_room_to_sort() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    // One connection, so that the check after the commit reads the same session.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&app.vars["DATABASE_URL"])
        .await
        .unwrap();
    let mut tx = exportd_worker::reports::roomy_transaction(&pool)
        .await
        .unwrap();
    let (mode, mem, pid): (String, String, i32) = sqlx::query_as(
        "SELECT current_setting('plan_cache_mode'), current_setting('work_mem'), pg_backend_pid()",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!((mode.as_str(), mem.as_str()), ("force_custom_plan", "64MB"));
    tx.commit().await.unwrap();
    // The settings end with the transaction: the connection's other queries keep the
    // defaults.
    let (mode, after): (String, i32) =
        sqlx::query_as("SELECT current_setting('plan_cache_mode'), pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((mode.as_str(), after), ("auto", pid));
    pool.close().await;
    app.shutdown().await;
}
