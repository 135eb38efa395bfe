//! `TestApp`: the real API and worker on 127.0.0.1:0, with a database of its own (created
//! and dropped per test), its own Redis key prefix and its own S3 bucket.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use exportd_app::Service;
use exportd_core::Config;
use exportd_core::{Shared, storage::Storage};
use exportd_worker::Ctx;
use rand::Rng;
use serde_json::Value;
use sqlx::PgPool;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test, which starts the services")
    })
}

pub fn nonce() -> String {
    let mut b = [0u8; 6];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Polls `f` until it returns `Some`, or panics after `secs` seconds naming `what`.
pub async fn poll<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub ctx: Arc<Ctx>,
    pub pool: PgPool,
    pub vars: HashMap<String, String>,
    db_name: String,
    /// The server the database was made on, to drop it at shutdown.
    admin_url: String,
    service: Service,
    shared: Arc<Shared>,
    /// With `("DB_PROXY", "true")`: the app reaches Postgres through this.
    pub db_proxy: Option<exportd_bench::proxy::TcpProxy>,
    children: Vec<std::process::Child>,
}

/// An account made for a test, with its admin's token.
pub struct TestAccount {
    pub id: i64,
    pub admin_email: String,
    pub token: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Starts the app with extra settings on top of the test defaults. With
    /// `("WORKER", "none")` no worker runs until the test starts one.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let id = nonce();
        let db_name = format!("exportd_t_{id}");
        // With `("PG_PAIR", "true")`: the database is made on the streaming pair's primary,
        // and reports read its hot standby (`DATABASE_READ_URL`).
        let pair = extra.iter().any(|(k, v)| *k == "PG_PAIR" && *v == "true");
        let admin_url = if pair {
            env("EXPORTD_TEST_PAIR_PRIMARY_URL")
        } else {
            env("EXPORTD_TEST_PG_ADMIN_URL")
        };
        let admin = PgPool::connect(&admin_url)
            .await
            .expect("admin connection to Postgres");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db_name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let mut db_url = format!(
            "{}/{db_name}",
            admin_url.rsplit_once('/').expect("url has a database").0
        );
        // Through a proxy the test can cut, to take Postgres away for real.
        let db_proxy = if extra.iter().any(|(k, v)| *k == "DB_PROXY" && *v == "true") {
            let (authority, _) = db_url
                .split_once('@')
                .expect("url has credentials")
                .1
                .split_once('/')
                .expect("url has a database");
            let proxy = exportd_bench::proxy::TcpProxy::start(authority)
                .await
                .expect("start the Postgres proxy");
            db_url = db_url.replacen(authority, &proxy.addr, 1);
            Some(proxy)
        } else {
            None
        };

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let bucket = format!("exportd-{id}");
        let sealing_key = exportd_core::secrets::new_key("k1");
        let mut vars: HashMap<String, String> = [
            ("DATABASE_URL", db_url.as_str()),
            ("REDIS_URL", &env("EXPORTD_TEST_REDIS_URL")),
            ("EXPORTD_PUBLIC_URL", &base),
            ("EXPORTD_QUEUE_PREFIX", &format!("exportd-test-{id}")),
            ("EXPORTD_SECRET", &format!("{id}{id}{id}")),
            ("EXPORTD_ENCRYPTION_KEY", &sealing_key),
            ("EXPORTD_POLL_INTERVAL_MS", "50"),
            ("EXPORTD_RECONCILE_INTERVAL_MS", "200"),
            ("EXPORTD_DB_MAX_CONNECTIONS", "8"),
            ("S3_BUCKET", &bucket),
            ("S3_ENDPOINT", &env("EXPORTD_TEST_S3_ENDPOINT")),
            ("S3_FORCE_PATH_STYLE", "true"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", &env("EXPORTD_TEST_SMTP_PORT")),
            ("SMTP_TLS", "none"),
            ("MAIL_FROM", "exportd <exportd@test.example>"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        if pair {
            let standby = env("EXPORTD_TEST_PAIR_STANDBY_URL");
            let standby = standby.rsplit_once('/').expect("url has a database").0;
            vars.insert("DATABASE_READ_URL".into(), format!("{standby}/{db_name}"));
        }
        for (k, v) in extra {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        let cfg = Config::from_lookup(|k| vars.get(k).cloned()).expect("test configuration");
        let shared = exportd_app::connect(cfg).await.expect("connect the app");
        let ctx = Ctx::new(&shared).expect("the worker's context");
        exportd_core::db::migrate(&ctx.pool).await.expect("migrate");
        // A test that points S3 somewhere else makes its own storage fault.
        let own_s3 = extra.iter().any(|(k, _)| *k == "S3_ENDPOINT");
        if let Storage::S3 { client, bucket } = &ctx.storage
            && !own_s3
        {
            client
                .create_bucket()
                .bucket(bucket)
                .send()
                .await
                .expect("create the test bucket");
        }
        let mut service = Service::new();
        service.api(shared.clone(), listener);
        if vars.get("WORKER").map(String::as_str) != Some("none") {
            service.worker(ctx.clone());
        }
        TestApp {
            base,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            pool: ctx.pool.clone(),
            ctx,
            vars,
            db_name,
            admin_url,
            service,
            shared,
            db_proxy,
            children: Vec::new(),
        }
    }

    /// Starts a worker in this process (sharing its configuration).
    pub fn start_worker(&mut self) {
        self.service
            .worker(Ctx::new(&self.shared).expect("the worker's context"));
    }

    /// Starts `exportd worker` as a separate process with this app's configuration.
    pub fn worker_process(&self, extra: &[(&str, &str)]) -> std::process::Child {
        let log = std::fs::File::create(std::env::temp_dir().join(format!(
            "{}-worker-{}.log",
            self.db_name,
            nonce()
        )))
        .unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_exportd"))
            .arg("worker")
            .envs(self.vars.iter())
            .envs(extra.iter().copied())
            .env("EXPORTD_LOG", "info,exportd=debug")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start exportd worker")
    }

    /// Holds an exclusive lock on `chats`, so a report query blocks until the connection
    /// returned is given to [`TestApp::unblock`]: a real slow database, not a mock.
    pub async fn block_reports(&self) -> sqlx::PgConnection {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(self.vars["DATABASE_URL"].as_str())
            .await
            .unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query("LOCK TABLE chats IN ACCESS EXCLUSIVE MODE")
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    }

    /// Lets the report queries [`TestApp::block_reports`] held run.
    pub async fn unblock(mut conn: sqlx::PgConnection) {
        sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    }

    /// Keeps a child process to be killed at shutdown.
    pub fn own(&mut self, child: std::process::Child) {
        self.children.push(child);
    }

    /// How many jobs wait in a Redis queue of this app.
    pub async fn queue_depth(&self, q: exportd_core::queue::QueueName) -> usize {
        let rc = exportd_core::queue::redis_config(&self.ctx.cfg, q);
        exportd_core::queue::depth(&mut self.ctx.redis.clone(), &rc)
            .await
            .unwrap()
    }

    /// Deletes every Redis key of this app, as if Redis had lost its data.
    pub async fn lose_redis_data(&self) -> usize {
        let mut conn = self.ctx.redis.clone();
        let pattern = format!("{}*", self.ctx.cfg.queue_prefix);
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(&pattern)
            .query_async(&mut conn)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        keys.len()
    }

    /// Objects stored in this app's bucket (none on local storage).
    pub async fn objects(&self) -> Vec<String> {
        if !matches!(self.ctx.storage, Storage::S3 { .. }) {
            return vec![];
        }
        self.ctx.storage.list("").await.unwrap()
    }

    /// Stops the app and drops its database.
    pub async fn shutdown(mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = tokio::time::timeout(Duration::from_secs(35), self.service.shutdown()).await;
        self.pool.close().await;
        let admin = PgPool::connect(&self.admin_url).await.unwrap();
        // Its change-tracking slot first: a database with a slot cannot be dropped.
        let _ = sqlx::query(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1",
        )
        .bind(&self.db_name)
        .execute(&admin)
        .await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.db_name
        )))
        .execute(&admin)
        .await;
    }

    /// Creates an account with one admin and returns the admin's token.
    pub async fn account(
        &self,
        name: &str,
        timezone: &str,
        plan: &str,
        locale: &str,
    ) -> TestAccount {
        let id: i64 = sqlx::query_scalar("INSERT INTO accounts (name, plan, timezone, locale) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(name)
            .bind(plan)
            .bind(timezone)
            .bind(locale)
            .fetch_one(&self.pool)
            .await
            .unwrap();
        let admin_email = format!("admin-{}@test.example", nonce());
        let admin_id: i64 = sqlx::query_scalar("INSERT INTO users (account_id, email, name, role) VALUES ($1, $2, 'Admin', 'admin') RETURNING id")
            .bind(id)
            .bind(&admin_email)
            .fetch_one(&self.pool)
            .await
            .unwrap();
        let token = exportd_core::auth::create_token(&self.pool, admin_id)
            .await
            .unwrap();
        TestAccount {
            id,
            admin_email,
            token,
        }
    }

    pub async fn post_export(&self, token: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/v1/exports", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Makes (or rotates) the account's webhook secret; returns it.
    pub async fn webhook_secret(&self, token: &str) -> String {
        let r = self
            .http
            .post(format!("{}/v1/webhook-secret", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get_export(&self, token: &str, id: i64) -> (u16, Value) {
        self.get_json(token, &format!("/v1/exports/{id}")).await
    }

    /// `GET path` as the token's user: the status and the JSON body (`null` if none).
    pub async fn get_json(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Polls the export until it reaches a finished state.
    pub async fn wait_finished(&self, token: &str, id: i64) -> Value {
        poll(60, &format!("export {id} to finish"), || async {
            let (_, e) = self.get_export(token, id).await;
            matches!(
                e["status"].as_str(),
                Some("succeeded" | "failed" | "cancelled")
            )
            .then_some(e)
        })
        .await
    }

    /// Requests an export, waits for it to succeed and downloads its file through the API.
    pub async fn export_file(&self, token: &str, body: &Value) -> Vec<u8> {
        let (status, created) = self.post_export(token, body).await;
        assert_eq!(status, 202, "{created}");
        let id = created["id"].as_i64().unwrap();
        let done = self.wait_finished(token, id).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        let (code, bytes) = self
            .download_url(
                &format!("{}/v1/exports/{id}/download", self.base),
                Some(token),
            )
            .await;
        assert_eq!(code, 200);
        bytes
    }

    /// Follows a download (redirect to a presigned URL included) and returns the bytes.
    pub async fn download_url(&self, url: &str, token: Option<&str>) -> (u16, Vec<u8>) {
        let mut req = self.http.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        if r.status().is_redirection() {
            let loc = r.headers()["location"].to_str().unwrap().to_owned();
            let r = reqwest::get(&loc).await.unwrap();
            return (r.status().as_u16(), r.bytes().await.unwrap().to_vec());
        }
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }
}

/// A message the SMTP sink stored.
#[derive(Debug, Clone)]
pub struct Email {
    pub raw: String,
    pub subject: String,
    pub text: String,
}

fn maildir_messages(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            for e in rd.flatten() {
                if let Ok(s) = std::fs::read_to_string(e.path()) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// Every email the shared SMTP server accepted for `to`.
pub fn emails_to(to: &str) -> Vec<Email> {
    emails_in(&PathBuf::from(env("EXPORTD_TEST_MAILDIR")), to)
}

/// Every email stored in the Maildir `dir` for `to`.
pub fn emails_in(dir: &std::path::Path, to: &str) -> Vec<Email> {
    maildir_messages(dir)
        .into_iter()
        .filter(|m| {
            m.lines()
                .next()
                .is_some_and(|l| l.trim_end() == format!("X-Envelope-To: {to}"))
        })
        .map(|raw| {
            let subject = raw
                .lines()
                .skip_while(|l| !l.starts_with("Subject:"))
                .take_while(|l| l.starts_with("Subject:") || l.starts_with(' '))
                .collect::<Vec<_>>()
                .join("");
            let text = text_part(&raw);
            Email { raw, subject, text }
        })
        .collect()
}

/// Waits until exactly `n` emails to `to` have arrived, then returns them.
pub async fn wait_emails(to: &str, n: usize) -> Vec<Email> {
    poll(30, &format!("{n} email(s) to {to}"), || async {
        let found = emails_to(to);
        (found.len() >= n).then_some(found)
    })
    .await
}

/// The decoded text/plain part of a message.
fn text_part(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let start = raw.find("Content-Type: text/plain").expect("a text part");
    let body_start = start + raw[start..].find("\n\n").expect("part body") + 2;
    let body_end = body_start
        + raw[body_start..]
            .find("\n--")
            .unwrap_or(raw.len() - body_start);
    decode_qp(&raw[body_start..body_end])
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The download link in an email.
pub fn link_in(email: &Email) -> String {
    let start = email.text.find("http").expect("a link in the email");
    email.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Asserts an error answer in the API's one shape: the status, the machine code, and a
/// human message. Returns the message.
pub fn assert_error(status: u16, body: &Value, want_status: u16, code: &str) -> String {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "an error has a message: {body}");
    message.to_owned()
}

/// [`assert_error`] on a response not read yet.
pub async fn assert_error_response(r: reqwest::Response, want_status: u16, code: &str) -> String {
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("an error body is JSON");
    assert_error(status, &body, want_status, code)
}
