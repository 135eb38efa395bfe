//! The export lifecycle under real faults: a worker killed with SIGKILL mid-export, Redis
//! losing its data, a stalled worker waking after a takeover, several workers sharing work,
//! a burst far beyond the dispatch cap, cancellation, permanent and transient failures.

use std::time::Duration;

use chrono::Utc;
use exportd_core::{exports, queue::QueueName};
use futures::{StreamExt, stream};
use serde_json::{Value, json};

use crate::harness::{TestApp, emails_to, poll, wait_emails};

/// The smallest report: one day, csv.
pub fn small(format: &str) -> Value {
    let day = (Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    json!({"kind": "global", "format": format, "from": day, "to": day})
}

async fn status_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM exports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn wait_status(app: &TestApp, id: i64, want: &str, secs: u64) {
    poll(secs, &format!("export {id} to be {want}"), || async {
        (status_of(app, id).await == want).then_some(())
    })
    .await;
}

/// Cancels an export through the API; it answers 200 with the export cancelled.
async fn cancel(app: &TestApp, token: &str, id: i64) {
    let r = app
        .http
        .delete(format!("{}/v1/exports/{id}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_export_five_times_a_second_worker_finishes_each_with_one_object_and_one_email()
{
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_LEASE_SECS", "3")]).await;
    let mut accounts = Vec::new();
    for round in 1..=5 {
        let acct = app
            .account(&format!("Kill {round}"), "UTC", "pro", "es")
            .await;
        let lock = app.block_reports().await;
        let mut first = app.worker_process(&[]);
        let (status, e) = app.post_export(&acct.token, &small("xlsx")).await;
        assert_eq!(status, 202);
        let id = e["id"].as_i64().unwrap();
        wait_status(&app, id, "running", 30).await;
        first.kill().unwrap(); // SIGKILL
        first.wait().unwrap();
        let mut second = app.worker_process(&[]);
        TestApp::unblock(lock).await;
        wait_status(&app, id, "succeeded", 60).await;
        wait_emails(&acct.admin_email, 1).await;
        second.kill().unwrap();
        second.wait().unwrap();
        let prefix = format!("exports/{}/{id}/", acct.id);
        let objects: Vec<String> = app
            .objects()
            .await
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect();
        assert_eq!(
            objects.len(),
            1,
            "round {round}: one object, got {objects:?}"
        );
        let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM exports WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(
            attempts, 2,
            "round {round}: the killed attempt and the one that finished"
        );
        accounts.push(acct);
    }
    for a in &accounts {
        assert_eq!(
            emails_to(&a.admin_email).len(),
            1,
            "exactly one email for {}",
            a.admin_email
        );
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exports_accepted_before_redis_lost_its_data_all_succeed() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Flush", "UTC", "pro", "es").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (status, e) = app.post_export(&acct.token, &small("csv")).await;
        assert_eq!(status, 202);
        ids.push(e["id"].as_i64().unwrap());
    }
    // The API hands each export to Redis right after answering; one it skipped (another
    // dispatch held the lock) is handed over here, as the worker's dispatcher would.
    exportd_worker::jobs::dispatch::pass(&app.ctx)
        .await
        .unwrap();
    poll(10, "all five to be in Redis", || async {
        let undispatched: i64 =
            sqlx::query_scalar("SELECT count(*) FROM exports WHERE dispatched_at IS NULL")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        // A row the API and this pass both pushed is in Redis twice: harmless, and counted.
        (undispatched == 0 && app.queue_depth(QueueName::Generate).await >= 5).then_some(())
    })
    .await;
    assert!(app.lose_redis_data().await > 0);
    assert_eq!(app.queue_depth(QueueName::Generate).await, 0);
    app.start_worker();
    for id in ids {
        wait_status(&app, id, "succeeded", 60).await;
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_worker_whose_lease_was_taken_over_cannot_overwrite_the_result() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_LEASE_SECS", "3")]).await;
    let acct = app.account("Stall", "UTC", "pro", "es").await;
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    // The stalled worker claims, then sleeps past its lease.
    let (_, stale) = exports::claim(&app.pool, id, "stalled-worker", 3.0)
        .await
        .unwrap()
        .expect("claimable");
    assert!(
        exports::claim(&app.pool, id, "other", 3.0)
            .await
            .unwrap()
            .is_none(),
        "a live lease is exclusive"
    );
    sqlx::query("UPDATE exports SET lease_expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    // A healthy worker takes over and finishes.
    exportd_worker::jobs::generate::run(&app.ctx, id)
        .await
        .unwrap();
    let done = exports::get(&app.pool, id).await.unwrap().unwrap();
    assert_eq!(done.status, exportd_core::domain::Status::Succeeded);
    // The stalled worker wakes: every write it tries is refused.
    let forged = exports::StoredFile {
        name: "stale.csv".into(),
        key: "stale".into(),
        bytes: 1,
        rows: 1,
        expires_at: Utc::now(),
    };
    assert!(!exports::set_progress(&app.pool, stale, 10).await.unwrap());
    assert!(!exports::succeed(&app.pool, stale, &forged).await.unwrap());
    assert!(
        !exports::fail(&app.pool, stale, "x", "stale failure")
            .await
            .unwrap()
    );
    assert!(
        !exports::retry_later(&app.pool, stale, "stale", 0.0)
            .await
            .unwrap()
    );
    let after = exports::get(&app.pool, id).await.unwrap().unwrap();
    assert_eq!(
        (
            after.status.as_str(),
            after.file_key.clone(),
            after.progress
        ),
        ("succeeded", done.file_key.clone(), 100)
    );
    // A second delivery of the same job does nothing.
    exportd_worker::jobs::generate::run(&app.ctx, id)
        .await
        .unwrap();
    assert_eq!(
        exports::get(&app.pool, id).await.unwrap().unwrap().attempts,
        done.attempts
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_worker_processes_share_fifty_exports_and_do_each_once() {
    let mut app =
        TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_MAX_ACTIVE_EXPORTS", "100")]).await;
    let acct = app.account("Share", "UTC", "pro", "es").await;
    let w1 = app.worker_process(&[]);
    let w2 = app.worker_process(&[]);
    app.own(w1);
    app.own(w2);
    let mut ids = Vec::new();
    for _ in 0..50 {
        let (status, e) = app.post_export(&acct.token, &small("csv")).await;
        assert_eq!(status, 202, "{e}");
        ids.push(e["id"].as_i64().unwrap());
    }
    poll(120, "50 exports to succeed", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM exports WHERE status = 'succeeded'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        (n == 50).then_some(())
    })
    .await;
    let attempts: Vec<i32> = sqlx::query_scalar("SELECT attempts FROM exports ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(
        attempts.iter().all(|a| *a == 1),
        "each export claimed once: {attempts:?}"
    );
    assert_eq!(app.objects().await.len(), 50);
    let emails = wait_emails(&acct.admin_email, 50).await;
    assert_eq!(emails.len(), 50, "one email per export");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_ten_thousand_exports_never_overfills_redis_and_all_succeed() {
    let storage = tempfile::tempdir().unwrap();
    let dir = storage.path().to_str().unwrap().to_owned();
    let mut app = TestApp::spawn_with(&[
        ("WORKER", "none"),
        ("S3_BUCKET", ""),
        ("EXPORTD_STORAGE_DIR", &dir),
        ("EXPORTD_DISPATCH_CAP", "500"),
        ("EXPORTD_MAX_ACTIVE_EXPORTS", "20000"),
        ("EXPORTD_WORKER_CONCURRENCY", "8"),
    ])
    .await;
    let acct = app.account("Burst", "UTC", "pro", "es").await;
    let mut body = small("csv");
    body["notify"] = json!({"in_app": true});
    let accepted = stream::iter(0..10_000)
        .map(|_| {
            let (app, token, body) = (&app, acct.token.clone(), body.clone());
            async move { app.post_export(&token, &body).await.0 }
        })
        .buffer_unordered(32)
        .filter(|s| futures::future::ready(*s == 202))
        .count()
        .await;
    assert_eq!(accepted, 10_000);
    let cap = 500;
    assert!(app.queue_depth(QueueName::Generate).await <= cap);
    app.start_worker();
    let max_depth = std::sync::atomic::AtomicUsize::new(0);
    poll(900, "10,000 exports to succeed", || async {
        max_depth.fetch_max(
            app.queue_depth(QueueName::Generate).await,
            std::sync::atomic::Ordering::SeqCst,
        );
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM exports WHERE status = 'succeeded'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        (n == 10_000).then_some(())
    })
    .await;
    let max_depth = max_depth.into_inner();
    assert!(
        max_depth <= cap,
        "Redis held {max_depth} jobs, over the cap of {cap}"
    );
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exports WHERE status <> 'succeeded'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(failed, 0);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_a_queued_export_means_it_never_runs_and_nothing_is_sent() {
    let mut app =
        TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_WORKER_CONCURRENCY", "1")]).await;
    let acct = app.account("Cancel queued", "UTC", "pro", "es").await;
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    cancel(&app, &acct.token, id).await;
    app.start_worker();
    // A later export finishing on the single slot means the cancelled job was handled.
    let (_, later) = app.post_export(&acct.token, &small("csv")).await;
    wait_status(&app, later["id"].as_i64().unwrap(), "succeeded", 60).await;
    assert_eq!(status_of(&app, id).await, "cancelled");
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM exports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 0, "never claimed");
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE export_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sent, 0);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_a_running_export_stops_it_without_a_file_or_a_notification() {
    let app = TestApp::spawn_with(&[
        ("EXPORTD_WORKER_CONCURRENCY", "1"),
        ("EXPORTD_LEASE_SECS", "3"),
    ])
    .await;
    let acct = app.account("Cancel running", "UTC", "pro", "es").await;
    let lock = app.block_reports().await;
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    wait_status(&app, id, "running", 30).await;
    cancel(&app, &acct.token, id).await;
    let (_, later) = app.post_export(&acct.token, &small("csv")).await;
    TestApp::unblock(lock).await;
    wait_status(&app, later["id"].as_i64().unwrap(), "succeeded", 60).await;
    let after = exports::get(&app.pool, id).await.unwrap().unwrap();
    assert_eq!(after.status, exportd_core::domain::Status::Cancelled);
    assert!(after.file_key.is_none());
    let prefix = format!("exports/{}/{id}/", acct.id);
    assert!(
        app.objects().await.iter().all(|k| !k.starts_with(&prefix)),
        "no file for a cancelled export"
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE export_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_export_of_a_deleted_account_fails_at_once_and_the_requester_is_told() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Gone", "UTC", "pro", "en").await;
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(acct.id)
        .execute(&app.pool)
        .await
        .unwrap();
    app.start_worker();
    wait_status(&app, id, "failed", 30).await;
    let ex = exports::get(&app.pool, id).await.unwrap().unwrap();
    assert_eq!(ex.attempts, 1, "a permanent error is not retried");
    assert_eq!(ex.error_code.as_deref(), Some("account_not_found"));
    let mail = &wait_emails(&acct.admin_email, 1).await[0];
    assert!(mail.text.contains("no longer exists"), "{}", mail.text);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_that_keeps_failing_is_retried_with_backoff_then_failed_with_a_reason() {
    // Nothing listens where S3 should be: every upload fails for real, and transiently (a
    // missing bucket, by contrast, fails at once: see hardening.rs).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn_with(&[
        ("EXPORTD_MAX_ATTEMPTS", "3"),
        ("EXPORTD_RETRY_BASE_MS", "200"),
        ("EXPORTD_IO_TIMEOUT_SECS", "2"),
        ("S3_ENDPOINT", &endpoint),
    ])
    .await;
    let acct = app.account("Retry", "UTC", "pro", "es").await;
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    wait_status(&app, id, "failed", 60).await;
    let ex = exports::get(&app.pool, id).await.unwrap().unwrap();
    assert_eq!(ex.attempts, 3);
    assert_eq!(ex.error_code.as_deref(), Some("attempts_exhausted"));
    assert!(ex.error.unwrap().contains("after 3 attempts"));
    let started = ex.started_at.unwrap();
    let took = (ex.finished_at.unwrap() - started).to_std().unwrap();
    assert!(
        took >= Duration::from_millis(600),
        "backoff 200 ms then 400 ms between attempts, took {took:?}"
    );
    let mail = &wait_emails(&acct.admin_email, 1).await[0];
    assert!(
        mail.subject.contains("No pudimos") || mail.text.contains("No pudimos"),
        "{}",
        mail.text
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_frees_the_worker_within_a_second_even_while_the_report_query_waits() {
    let app = TestApp::spawn_with(&[("EXPORTD_WORKER_CONCURRENCY", "1")]).await;
    let acct = app.account("Cancel fast", "UTC", "pro", "es").await;
    // The global report reads chats, which stay locked: its query cannot finish.
    let lock = app.block_reports().await;
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    wait_status(&app, id, "running", 30).await;
    cancel(&app, &acct.token, id).await;
    let cancelled = std::time::Instant::now();
    // The one worker slot is free again only if the cancelled attempt stopped: a report
    // that reads no chats (campaigns) then runs while the lock is still held.
    let mut body = small("csv");
    body["kind"] = json!("campaigns");
    let (s, later) = app.post_export(&acct.token, &body).await;
    assert_eq!(s, 202, "{later}");
    wait_status(&app, later["id"].as_i64().unwrap(), "succeeded", 10).await;
    let took = cancelled.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "the slot came back after {took:?}"
    );
    TestApp::unblock(lock).await;
    app.shutdown().await;
}
