//! Multi-tenant hardening, caused for real: Postgres cut away, streams over their cap or
//! with a revoked token, shutdown with streams open, a missing bucket, a tenant with many
//! queued exports, too many schedules.

use std::time::{Duration, Instant};

use chrono::Utc;
use exportd_core::{
    domain::Format,
    exports::{self, NewExport},
    kinds::ReportKind,
    storage::Storage,
};
use futures::StreamExt;
use serde_json::json;

use crate::{
    harness::{TestApp, assert_error, assert_error_response, poll},
    lifecycle::small,
};

async fn open_stream(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/v1/notifications/stream", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgres_gone_the_api_answers_a_quick_503_in_the_error_shape() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("DB_PROXY", "true")]).await;
    let acct = app.account("Down", "UTC", "pro", "es").await;
    let (s, _) = app.post_export(&acct.token, &small("csv")).await;
    assert_eq!(s, 202, "up before the cut");
    app.db_proxy.as_ref().unwrap().cut();
    let t = Instant::now();
    let r = app
        .http
        .get(format!("{}/v1/exports", app.base))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("retry-after").is_some());
    assert_error_response(r, 503, "unavailable").await;
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "answered in {:?}, not after a long wait",
        t.elapsed()
    );
    let r = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgres_gone_posts_queued_behind_a_failing_insert_get_their_503_with_it() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("DB_PROXY", "true")]).await;
    let acct = app.account("Down", "UTC", "pro", "es").await;
    let (s, _) = app.post_export(&acct.token, &small("csv")).await;
    assert_eq!(s, 202, "up before the cut (and the token cached)");
    app.db_proxy.as_ref().unwrap().cut();
    // Three waves, so that the API's two committing lanes are both waiting on the database
    // when the third comes: it must not wait for a whole attempt more after theirs.
    let mut waves = tokio::time::interval(Duration::from_millis(400));
    let mut posts = Vec::new();
    for _ in 0..3 {
        waves.tick().await;
        let (http, url, token) = (
            app.http.clone(),
            format!("{}/v1/exports", app.base),
            acct.token.clone(),
        );
        posts.push(tokio::spawn(async move {
            let at = Instant::now();
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&small("csv"))
                .send()
                .await
                .unwrap();
            (at.elapsed(), r)
        }));
    }
    for (i, post) in posts.into_iter().enumerate() {
        let (took, r) = post.await.unwrap();
        assert_error_response(r, 503, "unavailable").await;
        assert!(
            took < Duration::from_millis(4500),
            "wave {i} answered in {took:?}: more than one wait for a connection (3 s)"
        );
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_capped_per_user_and_a_revoked_token_stops_streaming() {
    let app = TestApp::spawn_with(&[
        ("WORKER", "none"),
        ("EXPORTD_MAX_STREAMS_PER_USER", "2"),
        ("EXPORTD_STREAM_RECHECK_SECS", "1"),
    ])
    .await;
    let acct = app.account("Streams", "UTC", "pro", "es").await;
    let first = open_stream(&app, &acct.token).await;
    let second = open_stream(&app, &acct.token).await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = open_stream(&app, &acct.token).await;
    assert_error_response(third, 429, "too_many_streams").await;
    drop(second);
    let again = poll(10, "a slot to free up once a stream closes", || async {
        let r = open_stream(&app, &acct.token).await;
        (r.status() == 200).then_some(r)
    })
    .await;
    sqlx::query("UPDATE api_tokens SET revoked_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    for resp in [first, again] {
        let mut body = resp.bytes_stream();
        let ended = tokio::time::timeout(Duration::from_secs(15), async {
            while let Some(chunk) = body.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "the stream ends once its token is revoked");
    }
    app.shutdown().await;
}

/// `POST /v1/exports` answers a bearer token seen lately from the API's cache, and its
/// insert checks the token again. So a change made straight in the database, as the
/// platform makes it, holds from the next request: a changed plan or timezone, a demoted
/// admin, a revoked token. Nothing is recorded for a request refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_answered_from_the_cache_is_checked_again_by_the_insert() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Cached", "UTC", "pro", "es").await;
    let change = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            let n = sqlx::query(sql)
                .bind(acct.id)
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected();
            assert_eq!(n, 1, "{sql}");
        }
    };
    let day = |d: i64| {
        (Utc::now() - chrono::Duration::days(d))
            .date_naive()
            .to_string()
    };
    // 100 days back: within pro's 365, beyond free's 60.
    let old = json!({"kind": "global", "format": "csv", "from": day(100), "to": day(99)});
    let mut accepted = 0;

    let (s, b) = app.post_export(&acct.token, &old).await;
    assert_eq!((s, b["timezone"].as_str()), (202, Some("UTC")), "{b}");
    accepted += 1;
    change("UPDATE accounts SET plan = 'free' WHERE id = $1").await;
    let (s, b) = app.post_export(&acct.token, &old).await;
    assert!(
        assert_error(s, &b, 422, "beyond_retention").contains(&day(60)),
        "validated with the plan of now"
    );

    change("UPDATE accounts SET timezone = 'America/Santiago' WHERE id = $1").await;
    let (s, b) = app.post_export(&acct.token, &small("csv")).await;
    assert_eq!(
        (s, b["timezone"].as_str()),
        (202, Some("America/Santiago")),
        "{b}"
    );
    accepted += 1;

    change("UPDATE users SET role = 'agent' WHERE account_id = $1").await;
    let (s, b) = app.post_export(&acct.token, &small("csv")).await;
    assert_error(s, &b, 403, "not_admin");
    change("UPDATE users SET role = 'admin' WHERE account_id = $1").await;
    let (s, _) = app.post_export(&acct.token, &small("csv")).await;
    assert_eq!(s, 202, "an admin again");
    accepted += 1;

    change(
        "UPDATE api_tokens SET revoked_at = now()
          WHERE user_id IN (SELECT id FROM users WHERE account_id = $1)",
    )
    .await;
    let (s, b) = app.post_export(&acct.token, &small("csv")).await;
    assert_error(s, &b, 401, "unauthorized");

    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM exports WHERE account_id = $1")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        recorded, accepted,
        "only the accepted requests were recorded"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_event_streams_instead_of_waiting_for_them() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Bye", "UTC", "pro", "es").await;
    let stream = open_stream(&app, &acct.token).await;
    assert_eq!(stream.status(), 200);
    let reader = tokio::spawn(async move {
        let mut body = stream.bytes_stream();
        while let Some(Ok(_)) = body.next().await {}
    });
    let done = tokio::time::timeout(Duration::from_secs(20), app.shutdown()).await;
    assert!(done.is_ok(), "the API stops with a stream open");
    tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .expect("the stream was ended")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_fails_the_export_at_once_with_a_reason_an_operator_can_act_on() {
    let app = TestApp::spawn().await;
    let acct = app.account("NoBucket", "UTC", "pro", "es").await;
    if let Storage::S3 { client, bucket } = &app.ctx.storage {
        client.delete_bucket().bucket(bucket).send().await.unwrap();
    }
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let done = app
        .wait_finished(&acct.token, e["id"].as_i64().unwrap())
        .await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["code"], "storage_misconfigured", "{done}");
    assert!(
        done["error"]["message"]
            .as_str()
            .unwrap()
            .contains("S3_BUCKET")
    );
    assert_eq!(done["attempts"], 1, "not retried: {done}");
    let r = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "readiness says storage is not usable");
    let ready: serde_json::Value = r.json().await.unwrap();
    assert_eq!(ready["storage"]["ok"], false, "{ready}");
    app.shutdown().await;
}

/// A one-day csv export of the account, queued, with nothing else set.
pub fn queued(account_id: i64) -> NewExport {
    let day = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    NewExport {
        account_id,
        requested_by: None,
        kind: ReportKind::Global,
        format: Format::Csv,
        range_from: day,
        range_to: day,
        timezone: chrono_tz::UTC,
        options: Default::default(),
        notify: Default::default(),
        idempotency_key: None,
        request_hash: None,
        schedule_id: None,
        period: None,
        deliver: vec![],
    }
}

/// `n` exports of the account, queued in Postgres; their ids in order.
async fn line_up(app: &TestApp, account_id: i64, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(
            exports::insert(&app.pool, &queued(account_id))
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    ids
}

/// Marks exports running under a lease of an hour, as a worker would.
async fn set_running(app: &TestApp, ids: &[i64]) {
    sqlx::query("UPDATE exports SET status = 'running', lease_expires_at = now() + interval '1 hour' WHERE id = ANY($1)")
        .bind(ids)
        .execute(&app.pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_many_queued_exports_does_not_go_ahead_of_the_others() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_MAX_ACTIVE_EXPORTS", "3")]).await;
    let busy = app.account("Busy", "UTC", "vip", "es").await;
    let quiet = app.account("Quiet", "UTC", "vip", "es").await;
    line_up(&app, busy.id, 40).await;
    line_up(&app, quiet.id, 1).await;
    exportd_worker::jobs::dispatch::pass(&app.ctx)
        .await
        .unwrap();
    let dispatched = |account: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM exports WHERE account_id = $1 AND dispatched_at IS NOT NULL",
            )
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        dispatched(quiet.id).await,
        1,
        "the quiet tenant's export is handed over"
    );
    assert_eq!(
        dispatched(busy.id).await,
        3,
        "the busy tenant gets its share, no more"
    );
    // A second pass adds nothing for the busy tenant while its three wait.
    exportd_worker::jobs::dispatch::pass(&app.ctx)
        .await
        .unwrap();
    assert_eq!(dispatched(busy.id).await, 3);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_has_at_most_the_configured_number_of_schedules() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_MAX_SCHEDULES", "2")]).await;
    let acct = app.account("Sched", "UTC", "pro", "es").await;
    let create = || async {
        let r = app
            .http
            .post(format!("{}/v1/schedules", app.base))
            .bearer_auth(&acct.token)
            .json(&json!({"kind": "global", "format": "xlsx", "day_of_month": 1, "hour": 6}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(create().await.0, 201);
    assert_eq!(create().await.0, 201);
    let (s, e) = create().await;
    assert!(assert_error(s, &e, 422, "too_many_schedules").contains('2'));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_holds_a_short_queue_filled_by_turns_the_account_with_least_in_flight_first() {
    let app = TestApp::spawn_with(&[
        ("WORKER", "none"),
        ("EXPORTD_MAX_ACTIVE_EXPORTS", "100"),
        ("EXPORTD_GENERATE_DEPTH", "4"),
    ])
    .await;
    let big = app.account("Big", "UTC", "vip", "es").await;
    let small_ = app.account("Small", "UTC", "vip", "es").await;
    let big_ids = line_up(&app, big.id, 10).await;
    let small_ids = line_up(&app, small_.id, 2).await;
    let pushed = exportd_worker::jobs::dispatch::pass(&app.ctx)
        .await
        .unwrap();
    assert_eq!(pushed, 4, "no more than the queue's depth");
    let handed = |ids: Vec<i64>| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM exports WHERE id = ANY($1) AND dispatched_at IS NOT NULL ORDER BY id",
            )
            .bind(ids)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        handed(big_ids.clone()).await,
        big_ids[..2],
        "turns: one each, then again"
    );
    assert_eq!(handed(small_ids.clone()).await, small_ids);
    assert_eq!(
        exportd_worker::jobs::dispatch::pass(&app.ctx)
            .await
            .unwrap(),
        0,
        "a full queue takes nothing more"
    );
    // Workers take the four: the big account's two run, the small one's finish. Then the
    // small account asks for two more; the big one already has two in flight, so the
    // small account's come first although the big account's waited longer.
    assert!(app.lose_redis_data().await > 0);
    set_running(&app, &big_ids[..2]).await;
    sqlx::query("UPDATE exports SET status = 'succeeded', finished_at = now() WHERE id = ANY($1)")
        .bind(&small_ids)
        .execute(&app.pool)
        .await
        .unwrap();
    let later = line_up(&app, small_.id, 2).await;
    let mut app_depth3 = (*app.ctx.cfg).clone();
    app_depth3.generate_depth = 3;
    let pushed = exportd_core::queue::dispatch_fair(
        &app.pool,
        &mut app.ctx.redis.clone(),
        &app_depth3,
        exportd_core::queue::OnBusy::Wait,
    )
    .await
    .unwrap();
    assert_eq!(pushed, 3);
    assert_eq!(
        handed(later.clone()).await,
        later,
        "the small account's two first"
    );
    assert_eq!(
        handed(big_ids.clone()).await,
        big_ids[..3],
        "then the big account's third"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_with_as_few_in_flight_take_turns_the_one_served_longest_ago_first() {
    let app = TestApp::spawn_with(&[
        ("WORKER", "none"),
        ("EXPORTD_MAX_ACTIVE_EXPORTS", "100"),
        ("EXPORTD_GENERATE_DEPTH", "1"),
    ])
    .await;
    let mut accounts = Vec::new();
    for name in ["First", "Second", "Third"] {
        let a = app.account(name, "UTC", "vip", "es").await;
        line_up(&app, a.id, 3).await;
        accounts.push(a.id);
    }
    // Each pass hands over one export; the worker finishes it before the next pass. With
    // ties broken by export id the first account would win every turn.
    let mut served = Vec::new();
    for _ in 0..6 {
        assert_eq!(
            exportd_worker::jobs::dispatch::pass(&app.ctx)
                .await
                .unwrap(),
            1
        );
        let account: i64 = sqlx::query_scalar(
            "UPDATE exports SET status = 'succeeded', finished_at = now()
              WHERE dispatched_at IS NOT NULL AND status = 'queued' RETURNING account_id",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        served.push(account);
        app.lose_redis_data().await;
    }
    let (a, b, c) = (accounts[0], accounts[1], accounts[2]);
    assert_eq!(served, [a, b, c, a, b, c]);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_more_accounts_than_room_the_least_busy_take_their_turns_and_nothing_past_them() {
    let app = TestApp::spawn_with(&[
        ("WORKER", "none"),
        ("EXPORTD_MAX_ACTIVE_EXPORTS", "100"),
        ("EXPORTD_GENERATE_DEPTH", "3"),
    ])
    .await;
    // Four accounts with three exports waiting each; A has two running, D one.
    let mut waiting = Vec::new();
    for (name, running) in [("A", 2), ("B", 0), ("C", 0), ("D", 1)] {
        let a = app.account(name, "UTC", "vip", "es").await;
        waiting.push(line_up(&app, a.id, 3).await);
        set_running(&app, &line_up(&app, a.id, running).await).await;
    }
    assert_eq!(
        exportd_worker::jobs::dispatch::pass(&app.ctx)
            .await
            .unwrap(),
        3
    );
    let handed: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM exports WHERE status = 'queued' AND dispatched_at IS NOT NULL ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // Turns are keyed by in flight + place in line: B and C's firsts (1), then among the
    // 2s (B's second, C's second, D's first) the oldest export, B's second. A (3) waits.
    let (b, c) = (&waiting[1], &waiting[2]);
    assert_eq!(handed, [b[0], b[1], c[0]]);
    app.shutdown().await;
}
