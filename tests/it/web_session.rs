//! The web page's sessions over real HTTP: the cookie's flags, CSRF on every request that
//! changes state, one-time hand-over links, sign-in from another site refused, sign-out.

use serde_json::json;

use crate::harness::{TestApp, assert_error_response};

fn cookie_of(r: &reqwest::Response) -> String {
    let set = r
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "no Secure flag on a plain-http public URL: {set}"
    );
    set.split(';').next().unwrap().to_owned()
}

/// A JSON POST with the session cookie and, maybe, the CSRF header.
async fn post_with_cookie(
    app: &TestApp,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: &serde_json::Value,
) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .json(body);
    if let Some(token) = csrf {
        req = req.header("x-csrf-token", token);
    }
    req.send().await.unwrap()
}

fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf-token\" content=\"")
        .expect("the page has its CSRF token")
        + 27;
    html[at..at + 64].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cookie_needs_its_csrf_token_to_change_anything_and_ends_at_sign_out() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Web", "UTC", "pro", "en").await;
    let day = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();

    // A wrong token gets the sign-in page again, with 401.
    let r = app
        .http
        .post(format!("{}/web/session", app.base))
        .form(&[("token", "exd_nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-error=\"invalid_token\"")
    );
    // From another site: refused even with a good token.
    let r = app
        .http
        .post(format!("{}/web/session", app.base))
        .header("origin", "https://evil.example")
        .form(&[("token", acct.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none());

    let r = app
        .http
        .post(format!("{}/web/session", app.base))
        .header("origin", &app.base)
        .form(&[("token", acct.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = cookie_of(&r);
    let page = app
        .http
        .get(format!("{}/", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let csrf = csrf_in(&page.text().await.unwrap());

    // Reading needs no CSRF token; changing state does.
    let me = app
        .http
        .get(format!("{}/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["account_id"], acct.id);
    let body = json!({"kind": "global", "format": "xlsx", "from": day, "to": day});
    let r = post_with_cookie(&app, "/v1/exports", &cookie, None, &body).await;
    assert_error_response(r, 403, "csrf_failed").await;
    let r = post_with_cookie(&app, "/v1/exports", &cookie, Some(&"0".repeat(64)), &body).await;
    assert_error_response(r, 403, "csrf_failed").await;
    let r = post_with_cookie(&app, "/v1/exports", &cookie, Some(&csrf), &body).await;
    assert_eq!(r.status(), 202);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM exports WHERE account_id = $1")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1, "only the request with the token made an export");

    // Sign-out wants the token too, then the cookie is worthless.
    let r = app
        .http
        .post(format!("{}/web/signout", app.base))
        .header("cookie", &cookie)
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .http
        .post(format!("{}/web/signout", app.base))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let r = app
        .http
        .get(format!("{}/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_error_response(r, 401, "unauthorized").await;
    let page = app
        .http
        .get(format!("{}/", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("data-error=\"session_ended\"")
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_over_link_signs_in_once_and_a_changed_one_not_at_all() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Handover", "UTC", "pro", "pt").await;
    let user: i64 = sqlx::query_scalar("SELECT id FROM users WHERE account_id = $1")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let link = exportd_core::sessions::handover_url(&app.ctx.cfg.keys, &app.base, user, 60);

    let tampered = link.replace(&format!("user={user}"), &format!("user={}", user + 1));
    let r = app.http.get(&tampered).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-error=\"invalid_link\"")
    );

    let r = app.http.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = cookie_of(&r);
    let me: serde_json::Value = app
        .http
        .get(format!("{}/v1/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user_id"], user);
    assert_eq!(me["locale"], "pt");

    let again = app.http.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 403);
    assert!(again.headers().get("set-cookie").is_none());
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("data-error=\"used_link\"")
    );

    // An agent signed in gets "admins only", and the API refuses the cookie too.
    let agent: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, name, role) VALUES ($1, 'Ag', 'agent') RETURNING id",
    )
    .bind(acct.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let r = app
        .http
        .get(exportd_core::sessions::handover_url(
            &app.ctx.cfg.keys,
            &app.base,
            agent,
            60,
        ))
        .send()
        .await
        .unwrap();
    let cookie = cookie_of(&r);
    let page = app
        .http
        .get(format!("{}/", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("id=\"admins-only\""));
    let r = app
        .http
        .get(format!("{}/v1/exports", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_error_response(r, 403, "not_admin").await;
    app.shutdown().await;
}
