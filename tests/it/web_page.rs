//! The admin web page in a real browser: Debian's chromium, headless, driven over WebDriver
//! (chromedriver + fantoccini). Signs in, asks for the global report and watches its bar
//! reach 100 % without a reload, sees the toast and the bell, downloads the file and reads
//! it back, creates and deletes a schedule, and checks that an agent is refused.
//! Screenshots go to `target/screenshots/`.

use std::{path::PathBuf, process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::{
    fixture,
    harness::{TestApp, poll},
    sheets,
};

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = std::env::var("EXPORTD_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let child = std::process::Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin} (scripts/test installs chromium-driver): {e}"));
    let driver = Driver { child, port };
    poll(20, "chromedriver to listen", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
    })
    .await;
    driver
}

async fn browser(driver: &Driver, downloads: &std::path::Path) -> Client {
    let mut chrome = json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1800", "--lang=es"],
        "prefs": {"download.default_directory": downloads, "download.prompt_for_download": false,
                  "intl.accept_languages": "es"},
    });
    if let Ok(bin) = std::env::var("EXPORTD_TEST_CHROMIUM") {
        chrome["binary"] = json!(bin);
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), chrome);
    // chromedriver speaks plain HTTP on loopback: no TLS stack needed.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a chromium session")
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

async fn click(c: &Client, at: Locator<'_>) {
    c.find(at).await.unwrap().click().await.unwrap();
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Polls a script until it returns something other than null or false.
async fn wait_js(c: &Client, secs: u64, what: &str, script: &str) -> Value {
    poll(secs, what, || async {
        let v = js(c, script).await;
        (!v.is_null() && v != json!(false)).then_some(v)
    })
    .await
}

async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/")).await.unwrap();
    c.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    click(c, Locator::Css("form button[type=submit]")).await;
}

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
    assert!(
        js(
            &c,
            "return document.getElementById('range-help').textContent"
        )
        .await
        .as_str()
        .unwrap()
        .contains(earliest.as_str().unwrap())
    );

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
        "const t = document.querySelector('.toast'); return t && t.textContent",
    )
    .await;
    assert!(
        toast.as_str().unwrap().contains("Informe global"),
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
    let next = wait_js(&c, 10, "the schedule's row", "const r = document.querySelector('#schedule-rows tr'); return r && r.querySelector('.next').textContent").await;
    assert!(
        next.as_str().unwrap().contains("Europe/Madrid")
            && next.as_str().unwrap().contains("07:00"),
        "{next}"
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
    c.accept_alert().await.unwrap();
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
