//! The API refuses bad requests clearly: one error shape, the right status, a machine code,
//! and a message that says what is allowed.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::{
    hardening::queued,
    harness::{TestApp, assert_error, assert_error_response},
    lifecycle::small,
};

fn day(offset: i64) -> String {
    (Utc::now() + Duration::days(offset))
        .date_naive()
        .to_string()
}

fn global(from: &str, to: &str) -> Value {
    json!({"kind": "global", "format": "xlsx", "from": from, "to": to})
}

async fn refused(app: &TestApp, token: &str, body: Value, status: u16, code: &str, names: &str) {
    let (got, e) = app.post_export(token, &body).await;
    let msg = assert_error(got, &e, status, code);
    assert!(msg.contains(names), "message {msg:?} should name {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_validation_case_is_refused_with_its_code_and_the_limit() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let free = app.account("Free", "UTC", "free", "es").await;
    let t = &free.token;
    refused(
        &app,
        t,
        global(&day(-91), &day(-1)),
        422,
        "range_too_long",
        "at most 90 days",
    )
    .await;
    refused(
        &app,
        t,
        global(&day(-1), &day(-3)),
        422,
        "from_after_to",
        "on or before",
    )
    .await;
    refused(
        &app,
        t,
        global(&day(-1), &day(1)),
        422,
        "date_in_future",
        &day(0),
    )
    .await;
    // Free keeps 60 days: the message names the earliest day allowed.
    refused(
        &app,
        t,
        global(&day(-70), &day(-65)),
        422,
        "beyond_retention",
        &day(-60),
    )
    .await;
    refused(
        &app,
        t,
        json!({"kind": "nope", "format": "xlsx", "from": day(-2), "to": day(-1)}),
        422,
        "unknown_kind",
        "global",
    )
    .await;
    refused(
        &app,
        t,
        json!({"kind": "global", "format": "pdf", "from": day(-2), "to": day(-1)}),
        422,
        "unknown_format",
        "xlsx or csv",
    )
    .await;
    refused(&app, t, json!({"kind": "global", "format": "csv", "from": day(-2), "to": day(-1), "timezone": "Mars/Olympus"}), 422, "unknown_timezone", "IANA").await;
    refused(
        &app,
        t,
        global("2026-02-30", &day(-1)),
        422,
        "invalid_date",
        "YYYY-MM-DD",
    )
    .await;
    refused(
        &app,
        t,
        global("yesterday", &day(-1)),
        422,
        "invalid_date",
        "YYYY-MM-DD",
    )
    .await;
    let mut bad_email = global(&day(-2), &day(-1));
    bad_email["notify"] = json!({"emails": ["ok@x.example", "not an email"]});
    refused(&app, t, bad_email, 422, "invalid_email", "not an email").await;
    let mut bad_delim = small("csv");
    bad_delim["options"] = json!({"delimiter": "|"});
    refused(&app, t, bad_delim, 422, "invalid_option", "delimiter").await;
    // Exactly 90 days, ending yesterday, on a plan that keeps a year: accepted.
    let pro = app.account("Pro", "UTC", "pro", "es").await;
    let (s, e) = app
        .post_export(&pro.token, &global(&day(-90), &day(-1)))
        .await;
    assert_eq!(s, 202, "{e}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_unauthenticated_forbidden_and_oversized_requests_get_the_error_shape() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Shape", "UTC", "pro", "es").await;
    let url = format!("{}/v1/exports", app.base);
    let r = app
        .http
        .post(&url)
        .bearer_auth(&acct.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error_response(r, 400, "malformed_json").await;

    let r = app
        .http
        .post(&url)
        .json(&small("csv"))
        .send()
        .await
        .unwrap();
    assert_error_response(r, 401, "unauthorized").await;
    let r = app
        .http
        .get(&url)
        .bearer_auth("exd_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let agent: i64 = sqlx::query_scalar("INSERT INTO users (account_id, email, name, role) VALUES ($1, 'agent@x.example', 'Agent', 'agent') RETURNING id")
        .bind(acct.id).fetch_one(&app.pool).await.unwrap();
    let agent_token = exportd_core::auth::create_token(&app.pool, agent)
        .await
        .unwrap();
    let (s, e) = app.post_export(&agent_token, &small("csv")).await;
    assert_error(s, &e, 403, "not_admin");

    let huge = "x".repeat(70 * 1024);
    let r = app
        .http
        .post(&url)
        .bearer_auth(&acct.token)
        .header("content-type", "application/json")
        .body(format!("{{\"kind\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_error_response(r, 413, "body_too_large").await;

    let r = app
        .http
        .get(format!("{url}/999999"))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    assert_error_response(r, 404, "not_found").await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_export_is_not_found_for_get_download_and_delete() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let mine = app.account("Mine", "UTC", "pro", "es").await;
    let theirs = app.account("Theirs", "UTC", "pro", "es").await;
    let (_, e) = app.post_export(&mine.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    let base = format!("{}/v1/exports/{id}", app.base);
    for req in [
        app.http.get(&base),
        app.http.get(format!("{base}/download")),
        app.http.delete(&base),
    ] {
        let r = req.bearer_auth(&theirs.token).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
    assert_eq!(
        app.get_export(&mine.token, id).await.1["status"],
        "queued",
        "the delete did not touch it"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_returns_the_same_export_and_refuses_another_body() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Idem", "UTC", "pro", "es").await;
    let post = |body: Value, key: &str| {
        app.http
            .post(format!("{}/v1/exports", app.base))
            .bearer_auth(&acct.token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let a: Value = post(small("csv"), "k-1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = post(small("csv"), "k-1").await.unwrap();
    assert_eq!(r.status(), 202);
    let b: Value = r.json().await.unwrap();
    assert_eq!(a["id"], b["id"]);
    let r = post(small("xlsx"), "k-1").await.unwrap();
    assert_error_response(r, 409, "idempotency_key_reused").await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM exports")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_active_exports_get_429_with_retry_after() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_MAX_ACTIVE_EXPORTS", "2")]).await;
    let acct = app.account("Busy", "UTC", "pro", "es").await;
    let post = |key: &'static str| {
        let mut req = app
            .http
            .post(format!("{}/v1/exports", app.base))
            .bearer_auth(&acct.token)
            .json(&small("csv"));
        if !key.is_empty() {
            req = req.header("Idempotency-Key", key);
        }
        req.send()
    };
    let first = post("k-first").await.unwrap();
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(post("").await.unwrap().status(), 202);
    let r = post("").await.unwrap();
    assert!(r.headers().get("retry-after").is_some());
    let msg = assert_error_response(r, 429, "too_many_active_exports").await;
    assert!(msg.contains('2'));
    // At the cap, a retry of an accepted request still gets its export; a new key does not.
    let again = post("k-first").await.unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    assert_error_response(post("k-new").await.unwrap(), 429, "too_many_active_exports").await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM exports")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 2, "nothing past the cap was inserted");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_never_pass_the_cap_and_one_key_makes_one_export() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_MAX_ACTIVE_EXPORTS", "4")]).await;
    let many = app.account("Many", "UTC", "pro", "es").await;
    let keyed = app.account("Keyed", "UTC", "pro", "es").await;
    let post = |token: String, key: Option<&'static str>| {
        let mut req = app
            .http
            .post(format!("{}/v1/exports", app.base))
            .bearer_auth(token)
            .json(&small("csv"));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    // All at once, so that the API writes them in shared commits.
    let answers = futures::future::join_all(
        (0..40)
            .map(|_| post(many.token.clone(), None))
            .chain((0..16).map(|_| post(keyed.token.clone(), Some("same")))),
    )
    .await;
    let (many_answers, keyed_answers) = answers.split_at(40);
    let accepted = many_answers.iter().filter(|(s, _)| *s == 202).count();
    assert_eq!(accepted, 4, "exactly the cap is accepted: {many_answers:?}");
    for (s, b) in many_answers.iter().filter(|(s, _)| *s != 202) {
        assert_error(*s, b, 429, "too_many_active_exports");
    }
    let mut ids: Vec<&Value> = keyed_answers.iter().map(|(_, b)| &b["id"]).collect();
    assert!(
        keyed_answers.iter().all(|(s, _)| *s == 202),
        "{keyed_answers:?}"
    );
    ids.dedup();
    assert_eq!(ids.len(), 1, "one key, one export: {ids:?}");
    let count = |account: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM exports WHERE account_id = $1")
                .bind(account)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count(many.id).await, 4, "nothing past the cap was inserted");
    assert_eq!(count(keyed.id).await, 1);
    app.shutdown().await;
}

async fn admin_of(app: &TestApp, account: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE account_id = $1")
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A one-day csv export of `account` ([`queued`]) asked for by `user`, told apart by `hash`.
fn asked(
    account: i64,
    user: i64,
    key: Option<&str>,
    hash: String,
) -> exportd_core::exports::NewExport {
    exportd_core::exports::NewExport {
        requested_by: Some(user),
        idempotency_key: key.map(str::to_owned),
        request_hash: Some(hash),
        ..queued(account)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_holds_between_batches_written_at_the_same_time() {
    use exportd_core::exports::{Ask, insert_if_room};
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    // Two batches of three for one account, cap three, written at the same time; rounds,
    // so that their statements overlap.
    for round in 0..20 {
        let acct = app
            .account(&format!("Round {round}"), "UTC", "pro", "es")
            .await;
        let user = admin_of(&app, acct.id).await;
        let batch = |side: &str| -> Vec<Ask> {
            (0..3)
                .map(|i| Ask {
                    new: asked(acct.id, user, None, format!("{side}-{i}")),
                    authority: None,
                })
                .collect()
        };
        let (left, right) = (batch("left"), batch("right"));
        let (l, r) = tokio::join!(
            insert_if_room(&app.pool, &left, 3),
            insert_if_room(&app.pool, &right, 3)
        );
        let written = l.unwrap().iter().chain(&r.unwrap()).flatten().count();
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM exports WHERE account_id = $1")
            .bind(acct.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!((written, stored), (3, 3), "round {round}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_asked_for_together_are_each_checked_on_their_own() {
    use exportd_core::{
        auth::hash_token,
        exports::{self, Ask, Authority},
    };
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let a = app.account("A", "UTC", "pro", "es").await;
    let b = app.account("B", "America/Santiago", "vip", "es").await;
    let (admin_a, admin_b) = (admin_of(&app, a.id).await, admin_of(&app, b.id).await);
    let authority = |token: &str, plan: &str, tz: &str| {
        Some(Authority {
            token_sha256: hash_token(token),
            plan: exportd_core::domain::Plan::parse(plan).unwrap(),
            timezone: tz.parse().unwrap(),
        })
    };
    // A has one export queued already, under the key "old".
    exports::insert(
        &app.pool,
        &asked(a.id, admin_a, Some("old"), "stored".into()),
    )
    .await
    .unwrap()
    .unwrap();
    let of_a = || authority(&a.token, "pro", "UTC");
    let of_b = || authority(&b.token, "vip", "America/Santiago");
    let plan = [
        // (account, key, authority, inserted)
        (a.id, Some("k"), of_a(), true),
        (b.id, None, of_b(), true),
        (a.id, Some("k"), of_a(), false), // the key of an earlier ask
        (a.id, Some("old"), of_a(), false), // the key of a stored export
        (a.id, None, authority(&a.token, "free", "UTC"), false), // the plan changed
        (a.id, None, of_a(), true),       // the third active of A: the stale ones did not count
        (a.id, None, of_a(), false),      // a fourth: over the cap
        (b.id, None, authority(&b.token, "vip", "UTC"), false), // the timezone changed
        (b.id, None, authority(&a.token, "pro", "UTC"), false), // another account's token
        (b.id, None, None, true),         // no authority to check: read afresh by the caller
    ];
    let asks: Vec<Ask> = plan
        .iter()
        .enumerate()
        .map(|(i, (account, key, authority, _))| {
            let user = if *account == a.id { admin_a } else { admin_b };
            Ask {
                new: asked(*account, user, *key, format!("ask-{i}")),
                authority: authority.clone(),
            }
        })
        .collect();
    let answers = exports::insert_if_room(&app.pool, &asks, 3).await.unwrap();
    assert_eq!(answers.len(), asks.len());
    for (i, ((account, _, _, inserted), answer)) in plan.iter().zip(&answers).enumerate() {
        assert_eq!(answer.is_some(), *inserted, "ask {i}");
        if let Some(e) = answer {
            assert_eq!(
                e.request_hash.as_deref(),
                Some(format!("ask-{i}").as_str()),
                "ask {i}'s own export"
            );
            assert_eq!(e.account_id, *account);
        }
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM exports")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 5, "the stored one and the four answered");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_is_newest_first_paginated_and_filtered_by_status() {
    let app =
        TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_MAX_ACTIVE_EXPORTS", "50")]).await;
    let acct = app.account("List", "UTC", "pro", "es").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            app.post_export(&acct.token, &small("csv")).await.1["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.http
        .delete(format!("{}/v1/exports/{}", app.base, ids[1]))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    let page = |q: String| {
        let app = &app;
        let token = acct.token.clone();
        async move {
            app.http
                .get(format!("{}/v1/exports?{q}", app.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let p1 = page("limit=2".into()).await;
    let got: Vec<i64> = p1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, [ids[4], ids[3]]);
    let p2 = page(format!(
        "limit=2&cursor={}",
        p1["next_cursor"].as_str().unwrap()
    ))
    .await;
    let got: Vec<i64> = p2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, [ids[2], ids[1]]);
    let p3 = page(format!(
        "limit=2&cursor={}",
        p2["next_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(p3["items"].as_array().unwrap().len(), 1);
    assert!(p3["next_cursor"].is_null());
    let cancelled = page("status=cancelled".into()).await;
    assert_eq!(cancelled["items"].as_array().unwrap().len(), 1);
    assert_eq!(cancelled["items"][0]["id"], ids[1]);
    let r = app
        .http
        .get(format!("{}/v1/exports?status=bogus", app.base))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_alive_and_ready_checks_postgres_redis_and_storage() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let r = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["storage"]["ok"], true);
    // Storage gone: not ready.
    if let exportd_core::storage::Storage::S3 { client, bucket } = &app.ctx.storage {
        client.delete_bucket().bucket(bucket).send().await.unwrap();
    }
    let r = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    app.shutdown().await;
}

/// One figure of a Prometheus text: the sample whose name and labels start with `series`.
fn figure(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_are_counted_in_the_process_and_move_with_an_export() {
    let app = TestApp::spawn_with(&[("EXPORTD_METRICS_TOKEN", "scrape-me")]).await;
    let acct = app.account("Metrics", "UTC", "pro", "es").await;
    let scrape = |token: Option<&'static str>| {
        let (http, url) = (app.http.clone(), format!("{}/metrics", app.base));
        async move {
            let mut req = http.get(url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(scrape(None).await.0, 401, "the token is wanted");
    assert_eq!(scrape(Some("wrong")).await.0, 401);
    let (status, before) = scrape(Some("scrape-me")).await;
    assert_eq!(status, 200);
    let done = r#"exportd_exports_total{kind="global",format="csv",outcome="succeeded"}"#;
    let posts = r#"exportd_http_requests_total{route="/v1/exports",method="POST",status="202"}"#;
    let rows = r#"exportd_rows_written_total{format="csv"}"#;
    let bytes = "exportd_bytes_uploaded_total";
    let sent = r#"exportd_notifications_total{channel="email",outcome="sent"}"#;
    let (s, e) = app.post_export(&acct.token, &small("csv")).await;
    assert_eq!(s, 202);
    let id = e["id"].as_i64().unwrap();
    assert_eq!(
        app.wait_finished(&acct.token, id).await["status"],
        "succeeded"
    );
    let after = crate::harness::poll(20, "the email to be counted", || async {
        let (_, text) = scrape(Some("scrape-me")).await;
        (figure(&text, sent) > figure(&before, sent)).then_some(text)
    })
    .await;
    // At least: other tests may share this process (and its recorder) under `cargo test`.
    assert!(
        figure(&after, done) - figure(&before, done) >= 1.0,
        "{after}"
    );
    assert!(figure(&after, posts) - figure(&before, posts) >= 1.0);
    assert!(figure(&after, rows) > figure(&before, rows));
    assert!(figure(&after, bytes) > figure(&before, bytes));
    for histogram in [
        "exportd_export_run_seconds_bucket",
        "exportd_export_queue_wait_seconds_bucket",
        "exportd_http_request_duration_seconds_bucket",
    ] {
        assert!(after.contains(histogram), "{histogram} in {after}");
    }
    assert!(after.contains("exportd_dispatch_depth{queue=\"generate\"}"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_targets_on_private_addresses_long_urls_and_unknown_fields_are_refused() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Guard", "UTC", "pro", "es").await;
    app.webhook_secret(&acct.token).await;
    for target in [
        "http://127.0.0.1:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
        "http://localhost:8080/hook",
        "https://user:pw@hooks.example.com/",
    ] {
        let mut body = small("csv");
        body["notify"] = json!({"webhook": target});
        let (s, e) = app.post_export(&acct.token, &body).await;
        assert_error(s, &e, 422, "invalid_webhook");
    }
    let mut body = small("csv");
    body["notify"] = json!({"webhook": format!("https://hooks.example.com/{}", "a".repeat(2100))});
    let (s, e) = app.post_export(&acct.token, &body).await;
    assert!(assert_error(s, &e, 422, "invalid_webhook").contains("2048"));
    let mut body = small("csv");
    body["notify"] = json!({"emails": [format!("{}@example.com", "a".repeat(250))]});
    let (s, e) = app.post_export(&acct.token, &body).await;
    assert!(assert_error(s, &e, 422, "invalid_email").contains("254"));
    let mut body = small("csv");
    body["notfy"] = json!({"emails": ["boss@example.com"]});
    let (s, e) = app.post_export(&acct.token, &body).await;
    assert!(assert_error(s, &e, 422, "unknown_field").contains("notfy"));
    let r = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(&acct.token)
        .json(&json!({"kind": "global", "format": "xlsx", "day_of_month": 1, "hour": 6, "enabld": false}))
        .send()
        .await
        .unwrap();
    assert!(
        assert_error_response(r, 422, "unknown_field")
            .await
            .contains("enabld")
    );
    // The secret is shown once: reading it back says only that it exists.
    let r: Value = app
        .http
        .get(format!("{}/v1/webhook-secret", app.base))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["configured"], true);
    assert!(r.get("secret").is_none(), "{r}");
    app.shutdown().await;
}

#[test]
fn serving_without_a_secret_of_32_bytes_is_refused_at_start() {
    for secret in [None, Some("too-short")] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_exportd"));
        cmd.arg("api")
            .env_remove("EXPORTD_SECRET")
            .env_remove("EXPORTD_DEV")
            .env("EXPORTD_LISTEN", "127.0.0.1:0");
        if let Some(s) = secret {
            cmd.env("EXPORTD_SECRET", s);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{secret:?}: started anyway");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("EXPORTD_SECRET"), "{err}");
        assert!(
            !err.contains("too-short"),
            "the secret is not echoed: {err}"
        );
    }
}
