//! The inbox's conversation templates (seed 003) against a fixture worked by hand: read back
//! from the xlsx and the csv, with the chart checked in the workbook's parts.

use std::io::Read;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    harness::{TestApp, assert_error, wait_emails},
    sheets::{csv_zip, part, whole_numbers, xlsx},
};

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn secs(t: DateTime<Utc>, s: i64) -> DateTime<Utc> {
    t + chrono::Duration::seconds(s)
}

async fn id(pool: &PgPool, sql: &str, account: i64, name: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(account)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub async fn user(pool: &PgPool, account: i64, name: &str) -> i64 {
    let sql = "INSERT INTO users (account_id, name, email, role) VALUES ($1, $2, $2 || '@x.example', 'agent') RETURNING id";
    id(pool, sql, account, name).await
}

pub async fn site(pool: &PgPool, account: i64, name: &str, channel: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO sites (account_id, name, channel) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(account)
    .bind(name)
    .bind(channel)
    .fetch_one(pool)
    .await
    .unwrap()
}

pub async fn contact(pool: &PgPool, account: i64, owner: Option<i64>) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO contacts (account_id, name, owner_id) VALUES ($1, 'c', $2) RETURNING id",
    )
    .bind(account)
    .bind(owner)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// One conversation: site, contact, start, closed?, accepted by, first client / agent /
/// bot message (seconds after the start), messages in and out.
#[allow(clippy::too_many_arguments)]
async fn chat(
    pool: &PgPool,
    account: i64,
    site: i64,
    contact: i64,
    start: DateTime<Utc>,
    closed: bool,
    by: Option<i64>,
    replies: (Option<i64>, Option<i64>, Option<i64>),
    msgs: (i32, i32),
) {
    let off = |s: Option<i64>| s.map(|s| secs(start, s));
    sqlx::query(
        "INSERT INTO chats (account_id, site_id, contact_id, started_at, closed_at, accepted_at, accepted_by,
                            first_client_msg_at, first_agent_msg_at, first_bot_msg_at, last_msg_at, msgs_in, msgs_out)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $4 + interval '5 minutes', $11, $12)",
    )
    .bind(account)
    .bind(site)
    .bind(contact)
    .bind(start)
    .bind(closed.then(|| secs(start, 600)))
    .bind(by.map(|_| secs(start, 1)))
    .bind(by)
    .bind(off(replies.0))
    .bind(off(replies.1))
    .bind(off(replies.2))
    .bind(msgs.0)
    .bind(msgs.1)
    .execute(pool)
    .await
    .unwrap();
}

/// Builds the fixture: three conversations of one contact (owner Ana), one of Beto's
/// contact, one of a contact without owner, on both sides of local midnight and on the
/// 23-hour DST day of America/Santiago (2026-09-06), plus one a second outside each edge.
pub async fn fixture(pool: &PgPool, account: i64) -> (i64, i64) {
    let (ana, beto) = (
        user(pool, account, "Ana").await,
        user(pool, account, "Beto").await,
    );
    let (carla, dani) = (
        user(pool, account, "Carla").await,
        user(pool, account, "Dani").await,
    );
    let ventas = site(pool, account, "WA Ventas", "whatsapp").await;
    let soporte = site(pool, account, "WA Soporte", "whatsapp").await;
    let web = site(pool, account, "Web", "webchat").await;
    let k1 = contact(pool, account, Some(ana)).await;
    let k2 = contact(pool, account, Some(beto)).await;
    let k3 = contact(pool, account, None).await;
    // 2026-09-05 23:59:59 local (-04): bot after 10 s, agent after 60 s.
    let c1 = at("2026-09-06T03:59:59Z");
    chat(
        pool,
        account,
        ventas,
        k1,
        c1,
        true,
        Some(carla),
        (Some(10), Some(70), Some(20)),
        (4, 3),
    )
    .await;
    // The first instant of the DST day (01:00 -03): only a bot reply.
    let c2 = at("2026-09-06T04:00:00Z");
    chat(
        pool,
        account,
        ventas,
        k1,
        c2,
        false,
        Some(carla),
        (Some(0), None, Some(30)),
        (2, 1),
    )
    .await;
    // The agent's reply before the client's first message: out of every average.
    let c3 = at("2026-09-06T18:30:00Z");
    chat(
        pool,
        account,
        web,
        k1,
        c3,
        true,
        Some(dani),
        (Some(100), Some(40), None),
        (6, 5),
    )
    .await;
    // 2026-09-07 00:00:01 local: a bot reply before the agent's; nobody accepted it.
    let c4 = at("2026-09-07T03:00:01Z");
    chat(
        pool,
        account,
        soporte,
        k2,
        c4,
        false,
        None,
        (Some(0), Some(120), Some(60)),
        (1, 0),
    )
    .await;
    let c5 = at("2026-09-07T13:00:00Z");
    chat(
        pool,
        account,
        soporte,
        k3,
        c5,
        true,
        Some(dani),
        (Some(5), Some(35), None),
        (3, 2),
    )
    .await;
    // A second before the range (2026-09-05 00:00 -04) and the first second after it.
    chat(
        pool,
        account,
        ventas,
        k1,
        at("2026-09-05T03:59:59Z"),
        true,
        Some(carla),
        (None, None, None),
        (1, 1),
    )
    .await;
    chat(
        pool,
        account,
        ventas,
        k2,
        at("2026-09-08T03:00:00Z"),
        true,
        Some(carla),
        (None, None, None),
        (1, 1),
    )
    .await;
    (ana, ventas)
}

pub fn rows(v: &[&[&str]]) -> Vec<Vec<String>> {
    v.iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect()
}

fn expected() -> Vec<(&'static str, Vec<Vec<String>>)> {
    vec![
        (
            "Abiertas vs cerradas",
            rows(&[&["Recibidas", "Abiertas", "Cerradas"], &["5", "2", "3"]]),
        ),
        (
            "Por cuenta y canal",
            rows(&[
                &["Canal", "Cuenta", "Conversaciones"],
                &["webchat", "Web", "1"],
                &["webchat", "Subtotal", "1"],
                &["whatsapp", "WA Soporte", "2"],
                &["whatsapp", "WA Ventas", "2"],
                &["whatsapp", "Subtotal", "4"],
                &["Total", "", "5"],
            ]),
        ),
        (
            "Recurrencia por dueño",
            rows(&[
                &[
                    "Dueño",
                    "Contactos",
                    "Conversaciones",
                    "Promedio por contacto",
                ],
                &["Ana", "1", "3", "3"],
                &["Beto", "1", "1", "1"],
                &["Sin dueño", "1", "1", "1"],
                &["Total", "3", "5", "1.67"],
            ]),
        ),
        (
            "Nuevas por hora",
            rows(&[
                &["Fecha", "Hora", "Conversaciones"],
                &["2026-09-05", "23", "1"],
                &["2026-09-06", "1", "1"],
                &["2026-09-06", "15", "1"],
                &["2026-09-07", "0", "1"],
                &["2026-09-07", "10", "1"],
            ]),
        ),
        (
            "Por usuario según estado",
            rows(&[
                &[
                    "Usuario",
                    "Abiertas",
                    "Cerradas",
                    "Promedio de mensajes recibidos",
                    "Promedio de mensajes enviados",
                ],
                &["Carla", "1", "1", "3", "2"],
                &["Dani", "0", "2", "4.50", "3.50"],
                &["Sin asignar", "1", "0", "1", "0"],
            ]),
        ),
        (
            "Tiempos de respuesta",
            rows(&[
                &[
                    "Dueño",
                    "Conversaciones",
                    "Primera respuesta manual",
                    "Primera respuesta automática",
                    "Primera respuesta general",
                ],
                &["Ana", "3", "0:01:00", "0:00:20", "0:00:20"],
                &["Beto", "1", "0:02:00", "0:01:00", "0:01:00"],
                &["Sin dueño", "1", "0:00:30", "", "0:00:30"],
                &["Total", "5", "0:01:10", "0:00:33", "0:00:33"],
            ]),
        ),
    ]
}

fn body(format: &str, options: Value) -> Value {
    json!({"kind": "conversations", "format": format, "from": "2026-09-05", "to": "2026-09-07", "options": options})
}

/// Exports the report over the fixture's days in xlsx and csv and checks every sheet and
/// the chart against the figures worked by hand.
pub async fn check_templates(app: &TestApp, token: &str) {
    let file = app.export_file(token, &body("xlsx", json!({}))).await;
    let sheets = xlsx(&file);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Resumen",
            "Abiertas vs cerradas",
            "Por cuenta y canal",
            "Recurrencia por dueño",
            "Nuevas por hora",
            "Por usuario según estado",
            "Tiempos de respuesta"
        ]
    );
    for (name, want) in expected() {
        assert_eq!(part(&sheets, name), want.as_slice(), "sheet {name}");
    }
    // The chart of new conversations per hour: one column chart, one series.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(file.clone())).unwrap();
    let charts: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.starts_with("xl/charts/chart"))
        .collect();
    assert_eq!(charts.len(), 1, "{charts:?}");
    let mut xml = String::new();
    zip.by_name(&charts[0])
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(
        xml.contains("<c:barChart>") && xml.contains("<c:barDir val=\"col\"/>"),
        "a column chart"
    );
    // By hour of the day, 0 to 23, over every date: the sheet's rows summed by "Hora".
    let mut by_hour = vec![0.0; 24];
    for row in &part(&sheets, "Nuevas por hora")[1..] {
        by_hour[row[1].parse::<usize>().unwrap()] += row[2].parse::<f64>().unwrap();
    }
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    assert_eq!(
        crate::sheets::chart_figures(&xml),
        [("Conversaciones".to_owned(), hours, by_hour)]
    );
    assert!(xml.contains("<a:t>Conversaciones por hora del día</a:t>"));
    crate::sheets::assert_charts_print_whole(&file);

    let csv = csv_zip(
        &app.export_file(token, &body("csv", json!({"delimiter": ";"})))
            .await,
        b';',
    );
    for (i, (_, want)) in expected().into_iter().enumerate() {
        let key = [
            "open_closed",
            "by_account_channel",
            "recurrence_by_owner",
            "new_per_hour",
            "by_user_status",
            "response_times",
        ][i];
        // `;` files write decimals with a comma, as Spanish-locale Excel reads them.
        let got = whole_numbers(
            part(&csv, &format!("{key}.csv"))
                .iter()
                .map(|r| r.iter().map(|c| c.replace(',', ".")).collect())
                .collect(),
        );
        assert_eq!(got, whole_numbers(want), "csv {key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_six_templates_match_the_hand_worked_fixture_in_xlsx_and_csv() {
    let app = TestApp::spawn().await;
    let acct = app.account("Inbox", "America/Santiago", "vip", "es").await;
    let (ana, ventas) = fixture(&app.pool, acct.id).await;
    // Another account with same-named users and sites, and conversations in the range.
    let other = app.account("Otra", "America/Santiago", "vip", "es").await;
    fixture(&app.pool, other.id).await;

    check_templates(&app, &acct.token).await;

    // Filters: Ana's conversations on WA Ventas only (c1 and c2), named in the summary.
    let sheets = xlsx(
        &app.export_file(
            &acct.token,
            &body("xlsx", json!({"sites": [ventas], "owners": [ana]})),
        )
        .await,
    );
    assert_eq!(part(&sheets, "Abiertas vs cerradas")[1], ["2", "1", "1"]);
    let summary = part(&sheets, "Resumen");
    assert!(
        summary.iter().any(|r| r == &["Cuentas", "WA Ventas"]),
        "{summary:?}"
    );
    assert!(
        summary.iter().any(|r| r == &["Dueños", "Ana"]),
        "{summary:?}"
    );
    // The email of the filtered export names its filters too.
    let mails = wait_emails(&acct.admin_email, 3).await;
    assert!(
        mails
            .iter()
            .any(|m| m.text.contains("Cuentas: WA Ventas") && m.text.contains("Dueños: Ana")),
        "{:?}",
        mails.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    assert!(
        mails
            .iter()
            .all(|m| m.subject.contains("Reportes de conversaciones del inbox"))
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_of_another_account_or_of_the_wrong_shape_are_refused_by_name() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Mine", "UTC", "vip", "en").await;
    let other = app.account("Theirs", "UTC", "vip", "en").await;
    let theirs = site(&app.pool, other.id, "WA", "whatsapp").await;
    for (options, names) in [
        (json!({"sites": [theirs]}), "sites"),
        (json!({"owners": ["x"]}), "owners"),
        (json!({"agents": [1]}), "agents"),
    ] {
        let (s, e) = app.post_export(&acct.token, &body("xlsx", options)).await;
        assert!(
            assert_error(s, &e, 422, "invalid_option").contains(names),
            "{e}"
        );
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn headers_are_translated_for_english_and_portuguese_accounts() {
    let app = TestApp::spawn().await;
    for (locale, sheet, header) in [
        ("en", "Response times", "First response overall"),
        ("pt", "Tempos de resposta", "Primeira resposta geral"),
    ] {
        let acct = app.account(locale, "America/Santiago", "vip", locale).await;
        fixture(&app.pool, acct.id).await;
        let sheets = xlsx(&app.export_file(&acct.token, &body("xlsx", json!({}))).await);
        assert_eq!(part(&sheets, sheet)[0][4], header);
        assert_eq!(part(&sheets, sheet).last().unwrap()[1], "5");
    }
    app.shutdown().await;
}

/// A contact of a new id range: the contacts' sequence moved on past the 65,536 ids a
/// report's owner row holds.
async fn contact_of_a_new_range(pool: &PgPool, account: i64, owner: Option<i64>) -> i64 {
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('contacts', 'id'),
                       nextval(pg_get_serial_sequence('contacts', 'id')) + 65536)",
    )
    .execute(pool)
    .await
    .unwrap();
    contact(pool, account, owner).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owners_contacts_far_apart_in_id_add_up_to_one_row() {
    let app = TestApp::spawn().await;
    let acct = app
        .account("Lejanos", "America/Santiago", "vip", "es")
        .await;
    let pool = &app.pool;
    let eva = user(pool, acct.id, "Eva").await;
    let web = site(pool, acct.id, "Web", "webchat").await;
    // Eva's contacts in two ranges of ids, one without owner in the second.
    let near = contact(pool, acct.id, Some(eva)).await;
    let far = contact_of_a_new_range(pool, acct.id, Some(eva)).await;
    let nobody = contact(pool, acct.id, None).await;
    assert_ne!(near >> 16, far >> 16, "{near} and {far}");
    // Today's conversations: the report reads them from the source tables.
    let start = Utc::now() - chrono::Duration::minutes(20);
    for (k, replies) in [
        (near, (Some(0), Some(60), None)),
        (far, (Some(0), Some(120), Some(30))),
        (far, (Some(0), Some(120), Some(30))),
        (nobody, (Some(0), Some(100), None)),
    ] {
        chat(
            pool,
            acct.id,
            web,
            k,
            start,
            true,
            Some(eva),
            replies,
            (1, 1),
        )
        .await;
    }
    let today = Utc::now()
        .with_timezone(&chrono_tz::America::Santiago)
        .date_naive();
    let body = json!({"kind": "conversations", "format": "xlsx",
                      "from": (today - chrono::Duration::days(1)).to_string(), "to": today.to_string()});
    let sheets = xlsx(&app.export_file(&acct.token, &body).await);
    assert_eq!(
        part(&sheets, "Recurrencia por dueño")[1..],
        rows(&[
            &["Eva", "2", "3", "1.50"],
            &["Sin dueño", "1", "1", "1"],
            &["Total", "3", "4", "1.33"],
        ])
    );
    // Manual (60 + 120 + 120) / 3, automatic 30, overall (60 + 30 + 30) / 3.
    assert_eq!(
        part(&sheets, "Tiempos de respuesta")[1..],
        rows(&[
            &["Eva", "3", "0:01:40", "0:00:30", "0:00:40"],
            &["Sin dueño", "1", "0:01:40", "", "0:01:40"],
            &["Total", "4", "0:01:40", "0:00:30", "0:00:55"],
        ])
    );
    app.shutdown().await;
}
