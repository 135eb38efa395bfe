//! The admin web page in a real browser: Debian's chromium, headless, driven over WebDriver
//! (chromedriver + fantoccini). One module per part of the page; this one starts the
//! browser and holds what they share. Screenshots go to `target/screenshots/`; with
//! `EXPORTD_DOC_SCREENSHOTS=1` the ones the docs show are written to `docs/screenshots/`
//! too.

mod cadences;
mod cancel;
mod destinations;
mod export_rows;
mod file_destinations;
mod list;
mod live;
mod progress;
mod schedules;
mod submit;
mod tour;
mod words;

use std::{path::PathBuf, process::Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::harness::{TestApp, poll};

/// chromedriver on a free port, killed when dropped.
pub struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_driver() -> Driver {
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

pub async fn browser(driver: &Driver, downloads: &std::path::Path) -> Client {
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

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

/// A screenshot the docs show: in `target/screenshots/`, and in `docs/screenshots/` when
/// `EXPORTD_DOC_SCREENSHOTS` is set.
pub async fn doc_shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), &png).unwrap();
    if std::env::var_os("EXPORTD_DOC_SCREENSHOTS").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::write(docs.join(format!("{name}.png")), &png).unwrap();
    }
}

/// Clicks an element, finding it again if the page redrew it in between (live updates
/// replace rows).
pub async fn click(c: &Client, at: Locator<'_>) {
    for _ in 0..50 {
        match c.find(at).await.unwrap().click().await {
            Ok(()) => return,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("click: {e}"),
        }
    }
    panic!("the element kept going stale");
}

pub async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Polls a script until it returns something other than null or false. On timeout, says
/// what the page showed: its live state, toasts and export rows.
pub async fn wait_js(c: &Client, secs: u64, what: &str, script: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let v = js(c, script).await;
        if !v.is_null() && v != json!(false) {
            return v;
        }
        if std::time::Instant::now() >= deadline {
            let shown = js(
                c,
                "const text = (id) => document.getElementById(id)?.innerText ?? '(none)';
                 return {live: text('live'), toasts: text('toasts'), exports: text('export-rows'),
                         stream: typeof Live === 'undefined' ? null : Live.state()}",
            )
            .await;
            panic!("timed out after {secs}s waiting for {what}; the page showed {shown:#}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/")).await.unwrap();
    c.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    click(c, Locator::Css("form button[type=submit]")).await;
}

pub async fn wait_ready(c: &Client) {
    wait_js(
        c,
        20,
        "the page to load its data",
        "return document.body.dataset.ready === 'true'",
    )
    .await;
}

/// A signed-in admin's page: the browser, its driver and its downloads directory.
pub struct Page {
    pub c: Client,
    _downloads: tempfile::TempDir,
    _driver: Driver,
}

impl Page {
    /// Starts a browser, signs in with `token` and waits for the page to load its data.
    pub async fn open(app: &TestApp, token: &str) -> Page {
        let downloads = tempfile::tempdir().unwrap();
        let driver = start_driver().await;
        let c = browser(&driver, downloads.path()).await;
        sign_in(&c, &app.base, token).await;
        wait_ready(&c).await;
        Page {
            c,
            _downloads: downloads,
            _driver: driver,
        }
    }

    pub async fn js(&self, script: &str) -> Value {
        js(&self.c, script).await
    }

    pub async fn wait(&self, secs: u64, what: &str, script: &str) -> Value {
        wait_js(&self.c, secs, what, script).await
    }

    pub async fn click(&self, css: &str) {
        click(&self.c, Locator::Css(css)).await;
    }

    pub async fn close(self) {
        self.c.close().await.unwrap();
    }
}

/// Yesterday in UTC: a day every plan may report on, and not today.
pub fn yesterday() -> String {
    (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string()
}

/// Asks for a one-day global report through the API; returns its id.
pub async fn small_export(app: &TestApp, token: &str) -> i64 {
    let day = yesterday();
    let (status, e) = app
        .post_export(
            token,
            &json!({"kind": "global", "format": "xlsx", "from": day, "to": day, "notify": {"in_app": true}}),
        )
        .await;
    assert_eq!(status, 202, "{e}");
    e["id"].as_i64().unwrap()
}

/// The export's state in the database.
pub async fn status_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM exports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}
