//! The whole page once, as an admin goes through it: signs in, asks for the global
//! report and watches its bar reach 100 % without a reload, sees the toast and the bell,
//! downloads the file and reads it back, creates and deletes a schedule, and checks that
//! an agent is refused.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};

use super::{browser, click, doc_shot, js, shot, sign_in, start_driver, wait_js};
use crate::{
    fixture,
    harness::{TestApp, poll},
    sheets,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_requests_follows_downloads_and_schedules_in_a_real_browser_and_an_agent_is_refused()
 {
    let app = TestApp::spawn().await;
    let acct = app.account("Navegador", fixture::TZ, "pro", "es").await;
    fixture::insert(&app.pool, acct.id).await;
    let agent: i64 = sqlx::query_scalar("INSERT INTO users (account_id, email, name, role) VALUES ($1, 'agente@x.example', 'Agente', 'agent') RETURNING id")
        .bind(acct.id).fetch_one(&app.pool).await.unwrap();
    let agent_token = exportd_core::auth::create_token(&app.pool, agent)
        .await
        .unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let driver = start_driver().await;
    let c = browser(&driver, downloads.path()).await;

    // Signed out: the sign-in page, in the browser's language.
    c.goto(&format!("{}/", app.base)).await.unwrap();
    wait_js(
        &c,
        10,
        "the sign-in page",
        "return document.querySelector('label[for=token]')?.textContent === 'Token de API'",
    )
    .await;
    shot(&c, "01-sign-in").await;
    sign_in(&c, &app.base, &acct.token).await;
    wait_js(
        &c,
        20,
        "the page to load its data",
        "return document.body.dataset.ready === 'true'",
    )
    .await;
    assert_eq!(js(&c, "return document.documentElement.lang").await, "es");
    let kinds = js(
        &c,
        "return [...document.querySelectorAll('#kind option')].map(o => o.value)",
    )
    .await;
    assert_eq!(
        kinds,
        json!([
            "global",
            "conversations",
            "steps",
            "agents_activity",
            "sessions",
            "sessions_detail",
            "campaigns"
        ])
    );
    let earliest = js(&c, "return document.getElementById('from').min").await;
    let today_madrid = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Madrid)
        .date_naive();
    assert_eq!(
        earliest,
        json!((today_madrid - chrono::Duration::days(365)).to_string()),
        "the plan's earliest day"
    );
    // The plan keeps data *from* that day on (it said "hasta", the opposite).
    let help = js(
        &c,
        "return document.getElementById('range-help').textContent",
    )
    .await;
    let day = js(&c, &format!("return new Intl.DateTimeFormat('es', {{day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC'}}).format(new Date('{}T00:00:00Z'))", earliest.as_str().unwrap())).await;
    assert!(
        help.as_str().unwrap().contains(&format!(
            "entre el {} (tu plan guarda datos desde ese día)",
            day.as_str().unwrap()
        )),
        "{help}"
    );
    assert!(!help.as_str().unwrap().contains("hasta"), "{help}");

    // Each kind shows its own filters.
    js(&c, "const k = document.getElementById('kind'); k.value = 'campaigns'; k.dispatchEvent(new Event('change')); return 1").await;
    let filters = js(&c, "return [...document.querySelectorAll('#filter-fields [data-option]')].filter(e => e.tagName !== 'DIV').map(e => e.dataset.option)").await;
    assert_eq!(
        filters,
        json!([
            "delimiter",
            "sites",
            "statuses",
            "templates",
            "queued",
            "contact"
        ])
    );
    js(&c, "const k = document.getElementById('kind'); k.value = 'global'; k.dispatchEvent(new Event('change')); return 1").await;

    // More than 90 days is refused on the page, before any request.
    let set_range = |from: &str, to: &str| {
        format!(
            "for (const [id, v] of [['from', '{from}'], ['to', '{to}']]) {{ const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('input')); }} return 1"
        )
    };
    js(&c, &set_range("2026-07-01", "2026-10-26")).await;
    assert_eq!(
        js(
            &c,
            "return document.getElementById('submit-request').disabled"
        )
        .await,
        true
    );
    let err = js(
        &c,
        "return document.getElementById('range-error').textContent",
    )
    .await;
    assert!(err.as_str().unwrap().contains("118 días"), "{err}");
    shot(&c, "02-range-refused").await;

    js(&c, &set_range(fixture::FROM, fixture::TO)).await;
    js(
        &c,
        "document.getElementById('emails').value = ''; window.stayed = 'no reload'; return 1",
    )
    .await;
    click(&c, Locator::Id("submit-request")).await;

    // The row appears and its bar reaches 100 % over SSE, without a reload.
    let id = wait_js(
        &c,
        10,
        "the export's row",
        "const r = document.querySelector('#export-rows tr'); return r && Number(r.id.slice(7))",
    )
    .await;
    let done = wait_js(&c, 60, "the bar to reach 100 %", &format!(
        "const r = document.getElementById('export-{id}'); return r && r.dataset.status === 'succeeded' && r.querySelector('[role=progressbar]').getAttribute('aria-valuenow')")).await;
    assert_eq!(done, "100");
    assert_eq!(js(&c, "return window.stayed").await, "no reload");
    let toast = wait_js(
        &c,
        10,
        "the toast",
        "const t = document.querySelector('.toast'); return t && t.textContent.replace(/\\u00a0/g, ' ').replace(/\\u2060/g, '')",
    )
    .await;
    // It names the export and its range.
    assert!(
        toast.as_str().unwrap().contains("Informe global")
            && toast.as_str().unwrap().contains("oct 2026"),
        "{toast}"
    );
    let unread = wait_js(
        &c,
        10,
        "the bell's count",
        "const u = document.getElementById('unread').textContent; return u !== '0' && u",
    )
    .await;
    assert_eq!(unread, "1");
    js(&c, "window.scrollTo(0, 0); return 1").await;
    shot(&c, "03-export-ready").await;
    doc_shot(&c, "export-ready").await;
    click(&c, Locator::Id("bell")).await;
    wait_js(
        &c,
        10,
        "the feed",
        "return document.querySelectorAll('#feed-items li.unread a').length === 1",
    )
    .await;
    shot(&c, "04-notifications").await;
    click(&c, Locator::Id("bell")).await;

    // Download through the page's link, and read the file back.
    click(&c, Locator::Css(&format!("#export-{id} a.download"))).await;
    let file = poll(30, "the downloaded file", || async {
        std::fs::read_dir(downloads.path())
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"))
    })
    .await;
    let parts = sheets::xlsx(&std::fs::read(&file).unwrap());
    assert_eq!(sheets::part(&parts, "Por sitio"), fixture::by_site());

    // A schedule: created, shown with its next run in local time, deleted.
    js(&c, "document.getElementById('s-day').value = '3'; document.getElementById('s-hour').value = '7'; return 1").await;
    click(&c, Locator::Id("s-save")).await;
    let row = wait_js(&c, 10, "the schedule's row", "const r = document.querySelector('#schedule-rows tr'); return r && [r.querySelector('.when').textContent, r.querySelector('.next').textContent]").await;
    assert!(
        row[0].as_str().unwrap().contains("Europe/Madrid")
            && row[1].as_str().unwrap().contains("07:00"),
        "{row}"
    );
    let stored: (i16, i16) =
        sqlx::query_as("SELECT day_of_month, hour FROM schedules WHERE account_id = $1")
            .bind(acct.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, (3, 7));
    shot(&c, "05-schedule").await;
    click(&c, Locator::Css("#schedule-rows button.delete")).await;
    wait_js(
        &c,
        5,
        "the confirmation",
        "return document.getElementById('confirm').open",
    )
    .await;
    click(&c, Locator::Id("confirm-yes")).await;
    wait_js(
        &c,
        10,
        "the schedule to go",
        "return document.querySelectorAll('#schedule-rows tr').length === 0",
    )
    .await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM schedules WHERE account_id = $1")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // Signed out, then an agent: "admins only".
    click(&c, Locator::Css("header form button")).await;
    wait_js(
        &c,
        10,
        "the sign-in page again",
        "return !!document.getElementById('token')",
    )
    .await;
    sign_in(&c, &app.base, &agent_token).await;
    let refused = wait_js(&c, 10, "the admins-only page", "const m = document.getElementById('admins-only'); return m && m.querySelector('h1').textContent").await;
    assert_eq!(refused, "Solo administradores");
    assert_eq!(
        js(&c, "return document.getElementById('request-form')").await,
        Value::Null
    );
    shot(&c, "06-agent-refused").await;

    c.close().await.unwrap();
    drop(driver);
    tokio::time::sleep(Duration::ZERO).await;
    app.shutdown().await;
}
