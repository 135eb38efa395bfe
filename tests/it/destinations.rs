//! Slack destinations, against a local receiver: the webhook URL kept sealed and never
//! shown, a test message, each finished file posted once as Block Kit with a download
//! button that works, a refusal told in words and failing only that delivery, and every
//! input checked, each account seeing only its own.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use serde_json::{Value, json};

use crate::{
    harness::{TestAccount, TestApp, assert_error, poll},
    lifecycle::small,
};

/// A Slack stand-in: `/services/T/B/ok` takes a message, `/services/T/B/gone` answers as
/// Slack does for a removed webhook.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let router = axum::Router::new()
        .route(
            "/services/T/B/ok",
            post({
                let got = got.clone();
                move |axum::Json(v): axum::Json<Value>| async move {
                    got.lock().unwrap().push(v);
                    "ok"
                }
            }),
        )
        .route(
            "/services/T/B/gone",
            post(|| async { (axum::http::StatusCode::NOT_FOUND, "no_service") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/services/T/B", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, got)
}

pub async fn call(
    app: &TestApp,
    a: &TestAccount,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", app.base);
    let mut req = match method {
        "POST" => app.http.post(url),
        "PATCH" => app.http.patch(url),
        "DELETE" => app.http.delete(url),
        _ => app.http.get(url),
    }
    .bearer_auth(&a.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn delivery(app: &TestApp, export: i64) -> (String, Option<String>) {
    poll(60, "the delivery to settle", || async {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT status, last_error FROM notifications WHERE export_id = $1 AND channel = 'slack'",
        )
        .bind(export)
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        row.filter(|(s, _)| s != "pending")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slack_destination_gets_each_finished_file_once_with_a_download_button() {
    let (base, got) = receiver().await;
    let app = TestApp::spawn_with(&[
        ("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("EXPORTD_RETRY_BASE_MS", "200"),
    ])
    .await;
    let a = app.account("Slack", "UTC", "pro", "es").await;
    let ok_url = format!("{base}/ok");
    let (s, d) = call(
        &app,
        &a,
        "POST",
        "/v1/destinations",
        Some(json!({"type": "slack", "name": "Ventas", "webhook_url": ok_url})),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(
        (d["type"].as_str(), d["host"].as_str()),
        (Some("slack"), Some("127.0.0.1"))
    );
    let id = d["id"].as_i64().unwrap();
    // The URL is a secret: not in any answer, and not stored in the clear.
    let (_, list) = call(&app, &a, "GET", "/v1/destinations", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains("/services/T/B"), "{list}");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret FROM destinations WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        !stored.windows(10).any(|w| w == b"services/T"),
        "sealed at rest"
    );

    let (s, t) = call(
        &app,
        &a,
        "POST",
        &format!("/v1/destinations/{id}/test"),
        None,
    )
    .await;
    assert_eq!((s, t["delivered"].as_bool()), (200, Some(true)), "{t}");
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert!(
            got[0]["text"]
                .as_str()
                .unwrap()
                .starts_with("Prueba de exportd: "),
            "{}",
            got[0]
        );
    }
    // A destination that cannot be reached: the reason says so without its secret URL.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_, down) = call(&app, &a, "POST", "/v1/destinations",
        Some(json!({"type": "slack", "name": "Caído", "webhook_url": format!("http://127.0.0.1:{port}/services/T/B/hidden")}))).await;
    let (s, t) = call(
        &app,
        &a,
        "POST",
        &format!("/v1/destinations/{}/test", down["id"]),
        None,
    )
    .await;
    assert_eq!(
        (s, t["delivered"].as_bool(), t["retryable"].as_bool()),
        (200, Some(false), Some(true)),
        "{t}"
    );
    assert!(
        !t.to_string().contains("hidden"),
        "the secret stays hidden: {t}"
    );

    let mut body = small("xlsx");
    body["deliver"] = json!([id]);
    let (s, e) = app.post_export(&a.token, &body).await;
    assert_eq!(s, 202, "{e}");
    assert_eq!(e["deliver"], json!([id]));
    let export = e["id"].as_i64().unwrap();
    assert_eq!(
        app.wait_finished(&a.token, export).await["status"],
        "succeeded"
    );
    assert_eq!(delivery(&app, export).await.0, "sent");
    let message = {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 2, "the test message and one delivery");
        got[1].clone()
    };
    // Block Kit as Slack takes it: a fallback text, a header, a section, a link button.
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .starts_with("Informe global listo: "),
        "{message}"
    );
    let blocks = message["blocks"].as_array().unwrap();
    let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["header", "section", "actions"]);
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert_eq!(blocks[1]["text"]["type"], "mrkdwn");
    assert!(
        blocks[1]["text"]["text"]
            .as_str()
            .unwrap()
            .contains(".xlsx"),
        "{message}"
    );
    let button = &blocks[2]["elements"][0];
    assert_eq!(
        (button["type"].as_str(), button["text"]["type"].as_str()),
        (Some("button"), Some("plain_text"))
    );
    let link = button["url"].as_str().unwrap();
    assert!(
        link.len() <= 3000,
        "Slack takes button URLs up to 3000 characters"
    );
    let (code, bytes) = app.download_url(link, None).await;
    assert_eq!(code, 200);
    assert!(
        bytes.starts_with(b"PK"),
        "the button downloads the workbook"
    );

    // A webhook Slack no longer knows: that delivery fails at once, in words; the export
    // stays succeeded and downloadable.
    let (_, gone) = call(
        &app,
        &a,
        "POST",
        "/v1/destinations",
        Some(json!({"type": "slack", "name": "Viejo", "webhook_url": format!("{base}/gone")})),
    )
    .await;
    let gone_id = gone["id"].as_i64().unwrap();
    let (s, t) = call(
        &app,
        &a,
        "POST",
        &format!("/v1/destinations/{gone_id}/test"),
        None,
    )
    .await;
    assert_eq!(
        (s, t["delivered"].as_bool(), t["retryable"].as_bool()),
        (200, Some(false), Some(false)),
        "{t}"
    );
    assert!(
        t["reason"].as_str().unwrap().contains("no longer exists"),
        "{t}"
    );
    body["deliver"] = json!([gone_id]);
    let (_, e) = app.post_export(&a.token, &body).await;
    let export = e["id"].as_i64().unwrap();
    assert_eq!(
        app.wait_finished(&a.token, export).await["status"],
        "succeeded"
    );
    let (status, error) = delivery(&app, export).await;
    assert_eq!(status, "failed");
    assert!(error.unwrap_or_default().contains("no longer exists"));
    assert_eq!(got.lock().unwrap().len(), 2, "nothing more arrived");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destinations_are_the_accounts_own_and_every_field_is_checked() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let a = app.account("Own", "UTC", "pro", "es").await;
    let b = app.account("Other", "UTC", "pro", "es").await;
    for (body, code) in [
        (
            json!({"type": "ftp", "name": "x", "webhook_url": "https://hooks.slack.com/services/T/B/x"}),
            "unknown_destination_type",
        ),
        (
            json!({"type": "slack", "name": "", "webhook_url": "https://hooks.slack.com/services/T/B/x"}),
            "invalid_destination_name",
        ),
        (
            json!({"type": "slack", "name": "n".repeat(101), "webhook_url": "https://hooks.slack.com/services/T/B/x"}),
            "invalid_destination_name",
        ),
        (json!({"type": "slack", "name": "x"}), "invalid_webhook_url"),
        (
            json!({"type": "slack", "name": "x", "webhook_url": "ftp://hooks.slack.com/x"}),
            "invalid_webhook_url",
        ),
        (
            json!({"type": "slack", "name": "x", "webhook_url": "http://hooks.slack.com/services/T/B/x"}),
            "invalid_webhook_url",
        ),
        (
            json!({"type": "slack", "name": "x", "webhook_url": "https://10.1.2.3/services/T/B/x"}),
            "invalid_webhook_url",
        ),
        (
            json!({"type": "slack", "name": "x", "webhook_url": "https://169.254.169.254/latest"}),
            "invalid_webhook_url",
        ),
        (
            json!({"type": "slack", "name": "x", "webhook_url": format!("https://hooks.slack.com/{}", "a".repeat(3000))}),
            "invalid_webhook_url",
        ),
        (
            json!({"type": "slack", "name": "x", "url": "https://hooks.slack.com/x"}),
            "unknown_field",
        ),
    ] {
        let (s, got) = call(&app, &a, "POST", "/v1/destinations", Some(body.clone())).await;
        assert_error(s, &got, 422, code);
        assert!(
            !got.to_string().contains("services/T/B/x"),
            "an error does not echo the secret: {got}"
        );
    }
    // A destination made directly (the host need not resolve here): the other account
    // neither sees nor uses it.
    let sealer = app.ctx.cfg.sealer.clone().unwrap();
    let sealed = sealer.seal(a.id, b"https://hooks.slack.com/services/T/B/x");
    let d = exportd_core::destinations::insert(
        &app.pool,
        exportd_core::ids::AccountId(a.id),
        exportd_core::ids::UserId(0),
        "slack",
        "Ventas",
        &json!({"host": "hooks.slack.com"}),
        &sealed,
    )
    .await
    .unwrap();
    let (s, _) = call(&app, &a, "GET", &format!("/v1/destinations/{}", d.id), None).await;
    assert_eq!(s, 200);
    for (method, path) in [
        ("GET", format!("/v1/destinations/{}", d.id)),
        ("DELETE", format!("/v1/destinations/{}", d.id)),
        ("POST", format!("/v1/destinations/{}/test", d.id)),
    ] {
        let (s, got) = call(&app, &b, method, &path, None).await;
        assert_error(s, &got, 404, "not_found");
    }
    let mut body = small("csv");
    body["deliver"] = json!([d.id]);
    let (s, e) = app.post_export(&b.token, &body).await;
    assert_error(s, &e, 422, "invalid_destination");
    let (s, e) = call(&app, &b, "POST", "/v1/schedules",
        Some(json!({"kind": "global", "format": "csv", "day_of_month": 1, "hour": 6, "deliver": [d.id]}))).await;
    assert_error(s, &e, 422, "invalid_destination");
    let (s, sch) = call(&app, &a, "POST", "/v1/schedules",
        Some(json!({"kind": "global", "format": "csv", "day_of_month": 1, "hour": 6, "deliver": [d.id, d.id]}))).await;
    assert_eq!(s, 201, "{sch}");
    assert_eq!(sch["deliver"], json!([d.id]));
    // Its runs deliver there too.
    let sid = sch["id"].as_i64().unwrap();
    crate::schedules::set_next_run(&app, sid, chrono::Utc::now() - chrono::Duration::minutes(1))
        .await;
    let made = exportd_worker::jobs::schedule::tick(&app.ctx, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(made.len(), 1);
    let deliver: Vec<i64> = sqlx::query_scalar("SELECT deliver FROM exports WHERE id = $1")
        .bind(made[0])
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(deliver, [d.id]);
    body["deliver"] = json!((0..11).collect::<Vec<i64>>());
    let (s, e) = app.post_export(&a.token, &body).await;
    assert_error(s, &e, 422, "invalid_destination");
    // The secret sealed for one account does not open as another's.
    assert!(sealer.open(b.id, &sealed).is_err());
    // An agent of the account neither sees nor uses its destinations.
    sqlx::query("UPDATE users SET role = 'agent' WHERE account_id = $1")
        .bind(a.id)
        .execute(&app.pool)
        .await
        .unwrap();
    for (method, path) in [
        ("GET", "/v1/destinations".to_owned()),
        ("GET", format!("/v1/destinations/{}", d.id)),
        ("POST", format!("/v1/destinations/{}/test", d.id)),
        ("DELETE", format!("/v1/destinations/{}", d.id)),
    ] {
        let (s, got) = call(&app, &a, method, &path, None).await;
        assert_error(s, &got, 403, "not_admin");
    }
    body["deliver"] = json!([d.id]);
    let (s, e) = app.post_export(&a.token, &body).await;
    assert_error(s, &e, 403, "not_admin");
    app.shutdown().await;

    let bare = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_ENCRYPTION_KEY", "")]).await;
    let c = bare.account("No key", "UTC", "pro", "es").await;
    let (s, got) = call(&bare, &c, "POST", "/v1/destinations",
        Some(json!({"type": "slack", "name": "x", "webhook_url": "https://hooks.slack.com/services/T/B/x"}))).await;
    assert_error(s, &got, 503, "destinations_unavailable");
    bare.shutdown().await;
}
