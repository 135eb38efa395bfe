//! Notifications arrive exactly once, links keep working until the file expires, and the
//! in-app stream shows an account its own exports only.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{http::HeaderMap, routing::post};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::{
    harness::{
        TestApp, assert_error, assert_error_response, emails_in, emails_to, env, link_in, nonce,
        poll, wait_emails,
    },
    lifecycle::small,
};

async fn all_sent(app: &TestApp, export_id: i64, secs: u64) {
    poll(secs, "every notification to be sent", || async {
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications WHERE export_id = $1 AND status <> 'sent'",
        )
        .bind(export_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        (pending == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_recipients_one_refused_once_by_smtp_each_get_exactly_one_email() {
    let app = TestApp::spawn_with(&[("EXPORTD_RETRY_BASE_MS", "200")]).await;
    let acct = app.account("Three", "UTC", "pro", "es").await;
    let n = nonce();
    let to = [
        format!("a-{n}@test.example"),
        format!("b-{n}+reject-once@test.example"),
        format!("c-{n}@test.example"),
    ];
    let mut body = small("csv");
    body["notify"] = json!({"emails": to});
    let (_, e) = app.post_export(&acct.token, &body).await;
    let id = e["id"].as_i64().unwrap();
    app.wait_finished(&acct.token, id).await;
    all_sent(&app, id, 60).await;
    for addr in &to {
        assert_eq!(emails_to(addr).len(), 1, "{addr} gets exactly one email");
    }
    let attempts: Vec<(String, i32)> = sqlx::query_as(
        "SELECT recipient, attempts FROM notifications WHERE export_id = $1 ORDER BY recipient",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        attempts.iter().map(|(_, a)| *a).collect::<Vec<_>>(),
        [1, 2, 1],
        "{attempts:?}"
    );
    assert!(
        emails_to(&acct.admin_email).is_empty(),
        "named recipients replace the default"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_receiver_failing_twice_gets_exactly_one_accepted_signed_delivery() {
    #[derive(Default)]
    struct Seen {
        calls: usize,
        accepted: Vec<(HeaderMap, Vec<u8>)>,
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let receiver = axum::Router::new().route(
        "/hook",
        post({
            let seen = seen.clone();
            move |headers: HeaderMap, body: axum::body::Bytes| async move {
                let mut s = seen.lock().unwrap();
                s.calls += 1;
                if s.calls <= 2 {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                s.accepted.push((headers, body.to_vec()));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let app = TestApp::spawn_with(&[
        ("EXPORTD_RETRY_BASE_MS", "200"),
        ("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true"),
    ])
    .await;
    let acct = app.account("Hook", "UTC", "pro", "es").await;
    let mut body = small("csv");
    body["notify"] = json!({"webhook": hook});
    let (s, e) = app.post_export(&acct.token, &body).await;
    assert_error(s, &e, 422, "webhook_secret_missing");
    let secret = app.webhook_secret(&acct.token).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, e) = app.post_export(&acct.token, &body).await;
    let id = e["id"].as_i64().unwrap();
    app.wait_finished(&acct.token, id).await;
    all_sent(&app, id, 60).await;

    let (calls, accepted) = {
        let s = seen.lock().unwrap();
        (s.calls, s.accepted.clone())
    };
    assert_eq!(calls, 3);
    assert_eq!(accepted.len(), 1, "exactly one accepted delivery");
    let (headers, raw) = &accepted[0];
    // Verified as a receiver would, with the specification's published libraries: the
    // Rust one here, the Python one (PyPI `standardwebhooks`) in another process.
    let wh = standardwebhooks::Webhook::new(&secret).unwrap();
    wh.verify(raw, headers).expect("the signature verifies");
    assert!(
        standardwebhooks::Webhook::new(&exportd_core::webhooks::new_secret())
            .unwrap()
            .verify(raw, headers)
            .is_err(),
        "another account's secret does not verify it"
    );
    verify_with_python(&secret, headers, raw);
    assert!(
        headers["webhook-id"].to_str().unwrap().starts_with("msg_"),
        "{headers:?}"
    );
    let payload: Value = serde_json::from_slice(raw).unwrap();
    assert_eq!(payload["event"], "export.succeeded");
    assert_eq!(payload["export_id"], id);
    assert_eq!(payload["status"], "succeeded");
    assert!(
        payload["link"]
            .as_str()
            .unwrap()
            .contains(&format!("/v1/exports/{id}/download?kid="))
    );
    let log: Vec<bool> = sqlx::query_scalar(
        "SELECT a.ok FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id WHERE n.export_id = $1 ORDER BY a.id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(log, [false, false, true], "every attempt is recorded");
    server.abort();
    app.shutdown().await;
}

/// Runs the Python `standardwebhooks` library's verification on a delivery.
fn verify_with_python(secret: &str, headers: &HeaderMap, body: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body"), body).unwrap();
    let h: std::collections::HashMap<&str, &str> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .into_iter()
            .map(|k| (k, headers[k].to_str().unwrap()))
            .collect();
    std::fs::write(dir.path().join("headers"), serde_json::to_vec(&h).unwrap()).unwrap();
    let out = std::process::Command::new(env("EXPORTD_TEST_PYTHON"))
        .arg("-c")
        .arg("import json,sys; from standardwebhooks import Webhook; d=sys.argv[2]; Webhook(sys.argv[1]).verify(open(d+'/body','rb').read(), json.load(open(d+'/headers'))); print('verified')")
        .arg(secret)
        .arg(dir.path())
        .output()
        .expect("python runs");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("verified"),
        "the Python library verifies the delivery: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An event stream being read: its events (id, data) as they arrive.
struct Events {
    stream: futures::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buf: String,
    seen: Vec<(i64, Value)>,
}

impl Events {
    fn new(resp: reqwest::Response) -> Events {
        Events {
            stream: resp.bytes_stream().map(|c| c.map(|b| b.to_vec())).boxed(),
            buf: String::new(),
            seen: Vec::new(),
        }
    }

    /// Reads until `done` says stop, within `secs`; every event read so far.
    async fn until(
        &mut self,
        secs: u64,
        what: &str,
        mut done: impl FnMut(&[(i64, Value)]) -> bool,
    ) -> &[(i64, Value)] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !done(&self.seen) {
            let Ok(chunk) = tokio::time::timeout_at(deadline, self.stream.next()).await else {
                panic!(
                    "timed out after {secs}s waiting for {what}; the stream sent {:?}",
                    self.seen
                );
            };
            let chunk = chunk.expect("stream open").unwrap();
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data = serde_json::from_str(v.trim()).ok();
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    self.seen.push((id, data));
                }
            }
        }
        &self.seen
    }
}

/// Reads SSE events (id, data) from a response until `done` says stop.
async fn read_events(
    resp: reqwest::Response,
    done: impl FnMut(&[(i64, Value)]) -> bool,
) -> Vec<(i64, Value)> {
    Events::new(resp)
        .until(60, "the events", done)
        .await
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_shows_running_then_succeeded_for_the_accounts_export_and_nothing_of_another() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let mine = app.account("Mine", "UTC", "pro", "es").await;
    let theirs = app.account("Theirs", "UTC", "pro", "es").await;
    let url = format!("{}/v1/notifications/stream", app.base);
    let resp = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&mine.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (_, other) = app.post_export(&theirs.token, &small("csv")).await;
    let (_, e) = app.post_export(&mine.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    // The report is held up long enough for its progress to be written: an attempt writes
    // it at most twice a second, and one done sooner has no steps between running and
    // succeeded.
    let lock = app.block_reports().await;
    app.start_worker();
    poll(30, "the export to run for more than a second", || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT status = 'running' AND now() - started_at > interval '1 second' FROM exports WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .then_some(())
    })
    .await;
    TestApp::unblock(lock).await;
    let events = read_events(resp, |evs| {
        evs.iter()
            .any(|(_, e)| e["export_id"] == id && e["status"] == "succeeded")
    })
    .await;
    assert!(
        events.iter().all(|(_, e)| e["export_id"] == id),
        "only this account's export: {events:?}"
    );
    let mut statuses: Vec<&str> = events
        .iter()
        .map(|(_, e)| e["status"].as_str().unwrap())
        .collect();
    // Progress while running is an event too, and it only grows.
    let progress: Vec<i64> = events
        .iter()
        .map(|(_, e)| e["progress"].as_i64().unwrap())
        .collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert!(
        statuses.len() > 3,
        "progress events while running: {statuses:?}"
    );
    statuses.dedup();
    assert_eq!(statuses, ["queued", "running", "succeeded"]);
    assert!(other["id"] != id);

    // Reconnecting after the first event replays the rest.
    let first = events[0].0;
    let resp = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&mine.token)
        .header("Last-Event-ID", first.to_string())
        .send()
        .await
        .unwrap();
    let want = events.len() - 1;
    let replay = read_events(resp, |evs| evs.len() >= want).await;
    assert_eq!(
        replay.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        events[1..].iter().map(|(i, _)| *i).collect::<Vec<_>>()
    );
    app.shutdown().await;
}

/// An export's finish records its notifications in the transaction that changes its state,
/// so it commits after its state changed. Another export's progress committed meanwhile
/// must not make the stream pass over it (the page then showed a finished export as still
/// running).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_committed_after_a_later_one_still_reaches_the_stream() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Orden", "UTC", "pro", "es").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (status, e) = app.post_export(&acct.token, &small("csv")).await;
        assert_eq!(status, 202, "{e}");
        ids.push(e["id"].as_i64().unwrap());
    }
    let (slow, quick) = (ids[0], ids[1]);
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/notifications/stream", app.base))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut events = Events::new(resp);
    let progress = "UPDATE exports SET progress = $2 WHERE id = $1";

    let mut finishing = app.pool.begin().await.unwrap();
    sqlx::query(progress)
        .bind(slow)
        .bind(40_i16)
        .execute(&mut *finishing)
        .await
        .unwrap();
    sqlx::query(progress)
        .bind(quick)
        .bind(10_i16)
        .execute(&app.pool)
        .await
        .unwrap();
    // Streams read again within seconds without an announcement.
    let is =
        |id: i64, p: i64| move |e: &(i64, Value)| e.1["export_id"] == id && e.1["progress"] == p;
    events
        .until(30, "the quick change", |evs| evs.iter().any(is(quick, 10)))
        .await;
    finishing.commit().await.unwrap();
    let seen = events
        .until(30, "the change committed last", |evs| {
            evs.iter().any(is(slow, 40))
        })
        .await;
    // Numbered as they committed: the change committed last has the higher id.
    let id_of = |id: i64, p: i64| seen.iter().find(|e| is(id, p)(e)).unwrap().0;
    assert!(id_of(slow, 40) > id_of(quick, 10), "{seen:?}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_link_works_three_times_refuses_tampering_and_expiry_and_answers_410_after_the_sweep() {
    let app = TestApp::spawn().await;
    let acct = app.account("Links", "UTC", "pro", "es").await;
    let (_, e) = app.post_export(&acct.token, &small("xlsx")).await;
    let id = e["id"].as_i64().unwrap();
    assert_eq!(
        app.wait_finished(&acct.token, id).await["status"],
        "succeeded"
    );
    let link = link_in(&wait_emails(&acct.admin_email, 1).await[0]);
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let (code, bytes) = app.download_url(&link, None).await;
        assert_eq!(code, 200);
        bodies.push(bytes);
    }
    assert!(
        bodies.iter().all(|b| b == &bodies[0]) && bodies[0].starts_with(b"PK"),
        "the same file each time"
    );

    let url = reqwest::Url::parse(&link).unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let (expires, sig) = (&q["expires"], &q["sig"]);
    let mut flipped = sig.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    let tampered = [
        format!(
            "{}/v1/exports/{id}/download?expires={expires}&sig={flipped}",
            app.base
        ),
        format!(
            "{}/v1/exports/{}/download?expires={expires}&sig={sig}",
            app.base,
            id + 1
        ),
        format!(
            "{}/v1/exports/{id}/download?expires={}&sig={sig}",
            app.base,
            expires.parse::<i64>().unwrap() + 1
        ),
        format!("{}/v1/exports/{id}/download?sig={sig}", app.base),
        // Signed with a key this server never had.
        exportd_core::links::Keys::new(
            secrecy::SecretString::from("another-key-of-at-least-32-bytes!"),
            vec![],
        )
        .download_url(&app.base, id, expires.parse().unwrap()),
    ];
    for t in &tampered {
        let r = app.http.get(t).send().await.unwrap();
        assert_error_response(r, 403, "invalid_link").await;
    }
    let keys = app.ctx.cfg.keys.clone();
    let past = chrono::Utc::now().timestamp() - 10;
    let expired = keys.download_url(&app.base, id, past);
    assert_eq!(
        app.http.get(&expired).send().await.unwrap().status(),
        403,
        "an expired link"
    );

    let key: String = sqlx::query_scalar("SELECT file_key FROM exports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(app.objects().await.contains(&key));
    sqlx::query("UPDATE exports SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    poll(30, "the sweeper to expire the file", || async {
        let (_, e) = app.get_export(&acct.token, id).await;
        (e["status"] == "expired").then_some(())
    })
    .await;
    let r = app.http.get(&link).send().await.unwrap();
    assert_error_response(r, 410, "file_expired").await;
    assert!(
        !app.objects().await.contains(&key),
        "the object is gone from S3"
    );
    // The link's own time passing does not hide that the file expired.
    let late = keys.download_url(&app.base, id, past);
    assert_eq!(app.http.get(&late).send().await.unwrap().status(), 410);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_smtp_down_for_a_while_every_email_goes_out_once_it_is_back() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let maildir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(&[
        ("SMTP_PORT", &port),
        ("EXPORTD_RETRY_BASE_MS", "300"),
        ("EXPORTD_MAX_ATTEMPTS", "12"),
    ])
    .await;
    let acct = app.account("Down", "UTC", "pro", "es").await;
    let n = nonce();
    let to = [format!("x-{n}@test.example"), format!("y-{n}@test.example")];
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut body = small("csv");
        body["notify"] = json!({"emails": to});
        ids.push(
            app.post_export(&acct.token, &body).await.1["id"]
                .as_i64()
                .unwrap(),
        );
    }
    poll(60, "sends to fail while SMTP is down", || async {
        let failing: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications WHERE attempts >= 2 AND last_error IS NOT NULL",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        (failing == 4).then_some(())
    })
    .await;
    let sink = env("EXPORTD_TEST_SMTP_SINK");
    let mut cmd = sink.split_whitespace();
    let mut server = std::process::Command::new(cmd.next().unwrap())
        .args(cmd)
        .args([
            "--port",
            &port,
            "--maildir",
            maildir.path().to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for id in &ids {
        all_sent(&app, *id, 120).await;
    }
    for addr in &to {
        assert_eq!(
            emails_in(maildir.path(), addr).len(),
            2,
            "{addr}: one email per export, none twice"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_in_app_feed_lists_the_ready_export_with_its_link_and_marks_it_read() {
    let app = TestApp::spawn().await;
    let acct = app.account("Feed", "UTC", "pro", "es").await;
    let (_, e) = app.post_export(&acct.token, &small("csv")).await;
    let id = e["id"].as_i64().unwrap();
    app.wait_finished(&acct.token, id).await;
    let feed = |q: &'static str| {
        let (app, token) = (&app, acct.token.clone());
        async move {
            app.http
                .get(format!("{}/v1/notifications{q}", app.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let f = feed("?unread=true").await;
    assert_eq!(f["unread"], 1);
    let item = &f["items"][0];
    assert_eq!(
        (
            item["export_id"].as_i64(),
            item["event"].as_str(),
            item["read"].as_bool()
        ),
        (Some(id), Some("succeeded"), Some(false))
    );
    let (code, _) = app.download_url(item["link"].as_str().unwrap(), None).await;
    assert_eq!(code, 200);
    let nid = item["id"].as_i64().unwrap();
    let r = app
        .http
        .post(format!("{}/v1/notifications/{nid}/read", app.base))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let f = feed("").await;
    assert_eq!(
        (f["unread"].as_i64(), f["items"][0]["read"].as_bool()),
        (Some(0), Some(true))
    );
    assert!(
        feed("?unread=true").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.shutdown().await;
}
