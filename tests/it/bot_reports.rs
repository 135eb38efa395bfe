//! The bot platform's reports (seed 000), `steps`, `agents_activity` and `sessions`,
//! against the hand-worked fixture of `bot_fixture` (America/Santiago, 2026-09-05 –
//! 2026-09-07, the 6th the 23-hour DST day): files read back as xlsx and csv, charts read
//! in the workbook's parts, and another account with same-named sites and agents that must
//! not leak.

use serde_json::json;

use crate::{
    bot_fixture::{Ids, body, csv_parts, keep, two_accounts},
    conversations::{rows, site, user},
    harness::{TestAccount, TestApp, assert_error, wait_emails},
    sheets::{charts, part, xlsx, xlsx_number},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn steps_count_every_entry_with_shares_and_average_durations() {
    // Read from the source tables alone; `bot_rollups` reads the same from rollups.
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false")]).await;
    let (acct, ids) = two_accounts(&app, "es").await;
    check_steps(&app, &acct, &ids).await;
    app.shutdown().await;
}

/// The fixture's steps report, worked by hand, in xlsx and csv, and narrowed by `sites`.
pub async fn check_steps(app: &TestApp, acct: &TestAccount, ids: &Ids) {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agents_activity_counts_overlapping_chats_once_with_a_pie_of_messages() {
    // Read from the source tables alone; `bot_rollups` reads the same from rollups.
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false")]).await;
    let (acct, ids) = two_accounts(&app, "es").await;
    check_agents_activity(&app, &acct, &ids).await;
    app.shutdown().await;
}

/// The fixture's agents' activity, worked by hand, in xlsx and csv, narrowed by `agents`
/// and by `sites`.
pub async fn check_agents_activity(app: &TestApp, acct: &TestAccount, ids: &Ids) {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_per_bot_day_and_hour_and_the_seeds_traffic_csv() {
    // Read from the source tables alone; `bot_rollups` reads the same from rollups.
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false")]).await;
    let (acct, ids) = two_accounts(&app, "es").await;
    check_sessions(&app, &acct, &ids).await;
    app.shutdown().await;
}

/// The fixture's session analysis, worked by hand: its four sheets and charts, the seed's
/// traffic csv, and narrowed by `sites`.
pub async fn check_sessions(app: &TestApp, acct: &TestAccount, ids: &Ids) {
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
    // The traffic's charts are lines of its figures summed over the bots per day; the
    // other two read their sheets' own rows.
    assert!(charts[2].contains("<c:lineChart>") && charts[3].contains("<c:lineChart>"));
    let cats: Vec<u32> = charts[..2]
        .iter()
        .map(|x| crate::sheets::chart_categories(x).1)
        .collect();
    assert_eq!(cats, [3, 24]);
    // 2026-09-05 to 07; the sums worked from the traffic rows above.
    let days: Vec<String> = ["2026-09-05", "2026-09-06", "2026-09-07"]
        .map(String::from)
        .to_vec();
    let named = |name: &str, values: [f64; 3]| (name.to_owned(), days.clone(), values.to_vec());
    assert_eq!(
        crate::sheets::chart_figures(&charts[2]),
        [
            named("mensajes entrantes", [5.0, 2.0, 3.0]),
            named("mensajes salientes", [6.0, 1.0, 4.0]),
        ]
    );
    assert_eq!(
        crate::sheets::chart_figures(&charts[3]),
        [
            named("sesiones", [2.0, 2.0, 2.0]),
            named("contactos únicos (suma de los bots)", [1.0, 1.0, 2.0]),
            named("sesiones abandonadas", [0.0, 1.0, 0.0]),
        ]
    );
    assert!(
        charts[2..]
            .iter()
            .all(|x| x.contains(r#"<c:legendPos val="b"/>"#)),
        "the legend below the plot, whole"
    );
    crate::sheets::assert_charts_print_whole(&file);

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
