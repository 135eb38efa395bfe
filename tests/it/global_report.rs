//! The global report from HTTP request to emailed link, read back and compared cell by cell
//! with values worked out by hand.

use serde_json::json;

use crate::{
    fixture,
    harness::{TestApp, link_in, wait_emails},
    sheets,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn xlsx_report_from_request_to_emailed_link_matches_hand_computed_values() {
    let app = TestApp::spawn().await;
    let acct = app
        .account("Cuenta Fixture", fixture::TZ, "pro", "es")
        .await;
    fixture::insert(&app.pool, acct.id).await;
    // A neighbouring account with activity at the same moments must not leak in.
    let other = app.account("Vecina", fixture::TZ, "pro", "es").await;
    fixture::insert(&app.pool, other.id).await;
    sqlx::query("INSERT INTO chats (account_id, site_id, started_at, missed) SELECT $1, id, '2026-10-21T10:00:00+02:00', true FROM sites WHERE account_id = $1")
        .bind(other.id).execute(&app.pool).await.unwrap();

    let (status, created) = app
        .post_export(
            &acct.token,
            &json!({"kind": "global", "format": "xlsx", "from": fixture::FROM, "to": fixture::TO}),
        )
        .await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(created["status"], "queued");
    assert_eq!(created["timezone"], fixture::TZ);
    let id = created["id"].as_i64().unwrap();

    let done = app.wait_finished(&acct.token, id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"], 100);
    assert!(done["file"]["name"].as_str().unwrap().ends_with(".xlsx"));
    assert!(done["expires_at"].is_string());

    let emails = wait_emails(&acct.admin_email, 1).await;
    assert_eq!(emails.len(), 1);
    let email = &emails[0];
    assert!(
        email.raw.contains("Content-Type: text/html"),
        "the email has an HTML part"
    );
    for needle in [fixture::FROM, fixture::TO, fixture::TZ] {
        assert!(
            email.text.contains(needle),
            "email names {needle}: {}",
            email.text
        );
    }
    let link = link_in(email);
    assert!(
        link.starts_with(&format!("{}/v1/exports/{id}/download?kid=", app.base)),
        "{link}"
    );

    let (code, via_link) = app.download_url(&link, None).await;
    assert_eq!(code, 200);
    let (code, via_api) = app
        .download_url(
            &format!("{}/v1/exports/{id}/download", app.base),
            Some(&acct.token),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(via_link, via_api, "the link and the API give the same file");
    assert_eq!(
        via_link.len() as i64,
        done["file"]["bytes"].as_i64().unwrap()
    );

    let book = sheets::xlsx(&via_link);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Resumen", "Por sitio", "Por agente", "Por sitio y agente"]
    );
    let summary = sheets::part(&book, "Resumen");
    assert_eq!(summary[1], ["Cuenta", "Cuenta Fixture"]);
    assert_eq!(summary[2], ["Período", "2026-10-20 – 2026-10-26"]);
    assert_eq!(summary[3], ["Zona horaria", "Europe/Madrid"]);
    assert_eq!(sheets::part(&book, "Por sitio"), fixture::by_site());
    // xlsx keeps the exact number; the expectation's "30.00" reads back as 30.
    assert_eq!(
        sheets::part(&book, "Por agente"),
        sheets::whole_numbers(fixture::by_agent())
    );
    assert_eq!(
        sheets::part(&book, "Por sitio y agente"),
        sheets::whole_numbers(fixture::per_site())
    );

    // The neighbour's own report counts its extra missed chats and nothing of ours.
    let bytes = app
        .export_file(
            &other.token,
            &json!({"kind": "global", "format": "xlsx", "from": fixture::FROM, "to": fixture::TO}),
        )
        .await;
    let theirs = sheets::xlsx(&bytes);
    let mut expected = fixture::by_site();
    expected[1][3] = "1".into();
    expected[2][3] = "2".into();
    expected[3][3] = "3".into();
    assert_eq!(sheets::part(&theirs, "Por sitio"), expected);
    assert_eq!(
        sheets::part(&theirs, "Por agente"),
        sheets::whole_numbers(fixture::by_agent())
    );

    // Another account's export is not found, by id or by download.
    assert_eq!(app.get_export(&other.token, id).await.0, 404);
    assert_eq!(
        app.download_url(
            &format!("{}/v1/exports/{id}/download", app.base),
            Some(&other.token)
        )
        .await
        .0,
        404
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn csv_zip_report_matches_the_same_hand_computed_values() {
    let app = TestApp::spawn().await;
    let acct = app.account("Cuenta CSV", fixture::TZ, "pro", "es").await;
    fixture::insert(&app.pool, acct.id).await;
    let body = json!({"kind": "global", "format": "csv", "from": fixture::FROM, "to": fixture::TO, "options": {"delimiter": ";"}});
    let (status, created) = app.post_export(&acct.token, &body).await;
    assert_eq!(status, 202, "{created}");
    let id = created["id"].as_i64().unwrap();
    let done = app.wait_finished(&acct.token, id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(done["file"]["name"].as_str().unwrap().ends_with(".zip"));

    let link = link_in(&wait_emails(&acct.admin_email, 1).await[0]);
    let (code, bytes) = app.download_url(&link, None).await;
    assert_eq!(code, 200);
    let parts = sheets::csv_zip(&bytes, b';');
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["summary.csv", "by_site.csv", "by_agent.csv", "per_site.csv"]
    );
    assert_eq!(sheets::part(&parts, "by_site.csv"), fixture::by_site());
    // With `;` the decimals use a comma, as Spanish-locale Excel expects.
    let decimal_comma = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
        rows.into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| {
                        if c.ends_with(".00") {
                            c.replace('.', ",")
                        } else {
                            c
                        }
                    })
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        sheets::part(&parts, "by_agent.csv"),
        decimal_comma(fixture::by_agent())
    );
    assert_eq!(
        sheets::part(&parts, "per_site.csv"),
        decimal_comma(fixture::per_site())
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_written_before_its_chat_still_counts_on_the_chats_site() {
    let app = TestApp::spawn().await;
    let acct = app.account("Orden", "UTC", "pro", "es").await;
    let site: i64 =
        sqlx::query_scalar("INSERT INTO sites (account_id, name) VALUES ($1, 'Late') RETURNING id")
            .bind(acct.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let agent: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, name, role) VALUES ($1, 'Eva', 'agent') RETURNING id",
    )
    .bind(acct.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let day = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let at = format!("{day}T12:00:00Z");
    // The event first (its chat does not exist yet, so no site is copied onto it) …
    sqlx::query("INSERT INTO chat_events (id, account_id, chat_id, agent_id, kind, at) VALUES (1000001, $1, 990001, $2, 'transferred', $3::timestamptz)")
        .bind(acct.id).bind(agent).bind(&at).execute(&app.pool).await.unwrap();
    let copied: Option<i64> =
        sqlx::query_scalar("SELECT site_id FROM chat_events WHERE id = 1000001")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(copied, None);
    // … then the chat.
    sqlx::query("INSERT INTO chats (id, account_id, site_id, started_at, accepted_at, accepted_by) VALUES (990001, $1, $2, $3::timestamptz, $3::timestamptz, $4)")
        .bind(acct.id).bind(site).bind(&at).bind(agent).execute(&app.pool).await.unwrap();
    let (_, e) = app
        .post_export(
            &acct.token,
            &json!({"kind": "global", "format": "csv", "from": day, "to": day}),
        )
        .await;
    let id = e["id"].as_i64().unwrap();
    assert_eq!(
        app.wait_finished(&acct.token, id).await["status"],
        "succeeded"
    );
    let (_, bytes) = app
        .download_url(
            &format!("{}/v1/exports/{id}/download", app.base),
            Some(&acct.token),
        )
        .await;
    let parts = sheets::csv_zip(&bytes, b',');
    let per_site = sheets::part(&parts, "per_site.csv");
    assert_eq!(
        per_site[1][..5],
        ["Late", "Eva", "1", "0", "1"].map(String::from),
        "{per_site:?}"
    );
    app.shutdown().await;
}
