//! `POST /v1/exports/{id}/cancel` against `DELETE /v1/exports/{id}`: cancel stops a queued
//! export and never touches a finished one (409 `already_finished`, the file still
//! downloads); delete keeps deleting the file. A browser following the expired file's
//! link gets a page in the account's language. The list filters by kind and shows each
//! export's filters.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_error_response};

fn one_day() -> Value {
    let day = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    json!({"kind": "global", "format": "xlsx", "from": day, "to": day})
}

async fn cancel(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.http
        .post(format!("{}/v1/exports/{id}/cancel", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_after_finish_answers_409_already_finished_and_the_file_still_downloads() {
    let app = TestApp::spawn().await;
    let acct = app.account("Terminada", "UTC", "pro", "pt").await;
    let (status, e) = app.post_export(&acct.token, &one_day()).await;
    assert_eq!(status, 202, "{e}");
    let id = e["id"].as_i64().unwrap();
    assert_eq!(
        app.wait_finished(&acct.token, id).await["status"],
        "succeeded"
    );

    let message =
        assert_error_response(cancel(&app, &acct.token, id).await, 409, "already_finished").await;
    assert!(message.contains("succeeded"), "{message}");
    assert_eq!(
        app.get_export(&acct.token, id).await.1["status"],
        "succeeded"
    );
    let url = format!("{}/v1/exports/{id}/download", app.base);
    let (code, bytes) = app.download_url(&url, Some(&acct.token)).await;
    assert_eq!(code, 200);
    assert!(bytes.starts_with(b"PK"), "the file is intact");
    assert_eq!(app.objects().await.len(), 1, "the object is still stored");

    // DELETE still deletes the file, as documented.
    let r = app
        .http
        .delete(&url[..url.len() - "/download".len()])
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "expired");
    assert!(app.objects().await.is_empty());
    assert_error_response(cancel(&app, &acct.token, id).await, 409, "already_finished").await;

    // The expired file: JSON for a client, a page in the account's language for a browser.
    let r = app
        .http
        .get(&url)
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap();
    assert_error_response(r, 410, "file_expired").await;
    let r = app
        .http
        .get(&url)
        .bearer_auth(&acct.token)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-locale=\"pt\"") && html.contains("data-error=\"dl_file_expired\""),
        "{html}"
    );
    // A forged link names no account: the page takes the browser's language.
    let r = app
        .http
        .get(format!("{url}?expires=1&sig=00"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-error=\"dl_invalid_link\"") && !html.contains("data-locale"),
        "{html}"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_queued_export_once_and_the_list_filters_by_kind_with_each_exports_filters()
{
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("En cola", "UTC", "pro", "es").await;
    let other = app.account("Otra", "UTC", "pro", "es").await;
    let site: i64 = sqlx::query_scalar(
        "INSERT INTO sites (account_id, name, channel) VALUES ($1, 'Web', 'webchat') RETURNING id",
    )
    .bind(acct.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (_, e) = app.post_export(&acct.token, &one_day()).await;
    let id = e["id"].as_i64().unwrap();
    let mut steps = one_day();
    steps["kind"] = json!("steps");
    steps["options"] = json!({"sites": [site]});
    let (status, s) = app.post_export(&acct.token, &steps).await;
    assert_eq!(status, 202, "{s}");

    assert_error_response(cancel(&app, &other.token, id).await, 404, "not_found").await;
    let r = cancel(&app, &acct.token, id).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "cancelled");
    assert_error_response(cancel(&app, &acct.token, id).await, 409, "already_finished").await;

    let list = |q: &'static str| {
        let app = &app;
        let token = acct.token.clone();
        async move { app.get_json(&token, &format!("/v1/exports?{q}")).await }
    };
    let (_, page) = list("kind=steps").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["options"], json!({"sites": [site]}));
    let (_, page) = list("kind=global,steps&status=cancelled").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["id"], id);
    assert_eq!(page["items"][0]["options"], json!({}));
    let (code, body) = list("kind=nope").await;
    crate::harness::assert_error(code, &body, 422, "unknown_kind");
    app.shutdown().await;
}
