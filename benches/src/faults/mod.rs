//! `exportd bench faults` (run it through `scripts/faults`): real faults against real
//! services, one scenario at a time, each on services of its own (Postgres, Redis, S3,
//! SMTP) and exportd as separate `api` and `worker` processes of this binary. Each scenario
//! prints one line (load, fault, exports requested / delivered / failed / lost, objects,
//! emails, duplicates) and one JSON line. Outage lengths and the retry schedule are divided
//! by `--scale` (default 10; 1 runs the real durations).

mod fleet;
mod hook;
mod scenarios;
mod services;
mod tally;

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::seed;
use fleet::Fleet;
use services::{Services, Tools};
use tally::Tally;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Scenario numbers (1–9); empty runs all.
    pub only: Vec<u32>,
    /// Outages and the retry schedule are divided by this.
    pub scale: f64,
    /// Exports of the fairness scenario (7).
    pub fair_exports: usize,
    /// Where each scenario's logs go.
    pub dir: PathBuf,
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let tools = Tools::from_env()?;
    std::fs::create_dir_all(&opts.dir)?;
    println!(
        "faults: each scenario on its own Postgres, Redis, S3 (moto) and SMTP sink; exportd as processes; time scale 1/{}; logs in {}",
        opts.scale,
        opts.dir.display()
    );
    let mut failed = Vec::new();
    for n in 1..=9u32 {
        if !opts.only.is_empty() && !opts.only.contains(&n) {
            continue;
        }
        let started = Instant::now();
        let result = scenarios::run(n, &tools, &opts).await;
        match result {
            Ok(outcome) => {
                outcome.print(n, started.elapsed());
                if !outcome.pass {
                    failed.push(n);
                }
            }
            Err(e) => {
                println!(
                    "{n}. error after {:.0} s: {e:#}",
                    started.elapsed().as_secs_f64()
                );
                failed.push(n);
            }
        }
    }
    anyhow::ensure!(failed.is_empty(), "scenarios that missed: {failed:?}");
    Ok(())
}

/// Whether EXPORTD_FAULTS_DIAG asks for the database's statement figures: the scenario's
/// Postgres then loads pg_stat_statements, and scenario 7 prints them.
pub fn diag() -> bool {
    std::env::var_os("EXPORTD_FAULTS_DIAG").is_some()
}

/// What one scenario found.
pub struct Outcome {
    pub name: &'static str,
    pub load: String,
    pub fault: String,
    pub tally: Tally,
    /// Scenario-specific figures, printed after the common ones.
    pub extra: Vec<(&'static str, Value)>,
    pub pass: bool,
}

impl Outcome {
    fn print(&self, n: u32, took: Duration) {
        let t = &self.tally;
        let extra: Vec<String> = self
            .extra
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k} {}",
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                )
            })
            .collect();
        println!(
            "{n}. {} [{}] | load: {} | fault: {} | exports requested {} delivered {} failed {} lost {} | objects {} (exactly one: {}) | emails {} | webhooks {} | duplicates {}{}{} | {:.0} s",
            self.name,
            if self.pass { "ok" } else { "MISSED" },
            self.load,
            self.fault,
            t.requested,
            t.delivered,
            t.failed,
            t.lost,
            t.objects,
            t.one_object_each,
            t.emails,
            t.webhooks,
            t.duplicates,
            if extra.is_empty() { "" } else { " | " },
            extra.join(", "),
            took.as_secs_f64()
        );
        let mut j = json!({"scenario": n, "name": self.name, "pass": self.pass, "tally": t, "seconds": took.as_secs_f64()});
        for (k, v) in &self.extra {
            j[k.replace(' ', "_")] = v.clone();
        }
        println!("{j}");
    }
}

/// An account the scenario requests exports for.
pub struct Account {
    pub id: i64,
    pub token: String,
}

/// One scenario's world: its services, database, accounts and exportd processes.
pub struct Stage {
    pub svc: Services,
    /// A hot standby that the fleet reads the source tables on, for the scenarios that
    /// have one (`DATABASE_READ_URL`).
    pub standby: Option<services::Postgres>,
    pub pool: PgPool,
    pub accounts: Vec<Account>,
    pub fleet: Fleet,
    pub http: reqwest::Client,
    pub bucket: String,
    pub s3: aws_sdk_s3::Client,
    pub day: chrono::NaiveDate,
}

/// Clients requesting exports until [`Load::end`].
pub struct Load {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<Vec<Posted>>>,
}

impl Load {
    /// Stops the clients; every answer they had.
    pub async fn end(self) -> anyhow::Result<Vec<Posted>> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut seen = Vec::new();
        for c in self.clients {
            seen.extend(c.await?);
        }
        Ok(seen)
    }
}

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Posted {
    pub status: u16,
    pub id: Option<i64>,
    pub latency: Duration,
    /// For errors: whether the body had the API's error shape (`error.code`, `error.message`).
    pub shaped: bool,
    pub at: Instant,
}

impl Stage {
    /// Starts the services, migrates, seeds `accounts` small accounts, and starts exportd
    /// with `workers` workers and `extra` settings.
    pub async fn new(
        tools: &Tools,
        dir: &Path,
        accounts: usize,
        workers: usize,
        extra: &[(&str, String)],
    ) -> anyhow::Result<Stage> {
        Self::build(tools, dir, accounts, workers, extra, false).await
    }

    /// [`Stage::new`] with a hot standby of the scenario's Postgres, which the fleet reads
    /// the source tables on.
    pub async fn with_replica(
        tools: &Tools,
        dir: &Path,
        accounts: usize,
        workers: usize,
        extra: &[(&str, String)],
    ) -> anyhow::Result<Stage> {
        Self::build(tools, dir, accounts, workers, extra, true).await
    }

    async fn build(
        tools: &Tools,
        dir: &Path,
        accounts: usize,
        workers: usize,
        extra: &[(&str, String)],
        replica: bool,
    ) -> anyhow::Result<Stage> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        let svc = Services::start(tools, dir).await?;
        let admin = PgPool::connect(&svc.pg.url("postgres")).await?;
        sqlx::query("CREATE DATABASE exportd")
            .execute(&admin)
            .await?;
        admin.close().await;
        let db_url = svc.pg.url("exportd");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(3))
            .connect(&db_url)
            .await?;
        exportd_core::db::migrate(&pool).await?;

        let bucket = "exportd-faults".to_owned();
        let s3 = s3_client(&format!("http://127.0.0.1:{}", svc.moto.port));
        s3.create_bucket().bucket(&bucket).send().await?;

        let day = (Utc::now() - chrono::Duration::days(1)).date_naive();
        let mut accs = Vec::new();
        for i in 0..accounts {
            let s = seed::seed(&pool, &small_account(i, day)).await?;
            let token = exportd_core::auth::create_token(&pool, s.admin_user_id).await?;
            accs.push(Account {
                id: s.account_id,
                token,
            });
        }
        let standby = match replica {
            true => Some(svc.pg.standby().await?),
            false => None,
        };
        let mut extra = extra.to_vec();
        if let Some(s) = &standby {
            extra.push(("DATABASE_READ_URL", s.url("exportd")));
        }
        let env = Fleet::env(&svc, &db_url, &bucket, services::free_port()?, &extra);
        let fleet = Fleet::start(dir, env, workers).await?;
        Ok(Stage {
            svc,
            standby,
            pool,
            accounts: accs,
            fleet,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(64)
                .build()?,
            bucket,
            s3,
            day,
        })
    }

    /// The body of a one-day export (xlsx or csv by `i`), with `notify` if given.
    pub fn body(&self, i: usize, notify: Option<&Value>) -> Value {
        let mut b = json!({
            "kind": "global",
            "format": if i.is_multiple_of(2) { "xlsx" } else { "csv" },
            "from": self.day, "to": self.day,
        });
        if let Some(n) = notify {
            b["notify"] = n.clone();
        }
        b
    }

    /// `POST /v1/exports` as account `account`'s admin.
    pub async fn post(&self, account: usize, body: &Value) -> Posted {
        let at = Instant::now();
        let r = self
            .http
            .post(format!("{}/v1/exports", self.fleet.api_url))
            .bearer_auth(&self.accounts[account].token)
            .json(body)
            .send()
            .await;
        let (status, body) = match r {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        };
        Posted {
            status,
            id: body["id"].as_i64(),
            latency: at.elapsed(),
            shaped: body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            at,
        }
    }

    /// Starts 4 clients that each request an export every `every` until told to stop;
    /// [`Load::end`] stops them and gives every answer.
    pub fn load(self: &std::sync::Arc<Self>, every: Duration) -> Load {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let clients = (0..4)
            .map(|c| {
                let (stage, stop) = (self.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut seen: Vec<Posted> = Vec::new();
                    let mut i = c;
                    while !stop.load(Ordering::SeqCst) {
                        let body = stage.body(i, None);
                        seen.push(stage.post(i % stage.accounts.len(), &body).await);
                        i += 4;
                        tokio::time::sleep(every).await;
                    }
                    seen
                })
            })
            .collect();
        Load { stop, clients }
    }

    /// Requests `n` exports over the accounts in turn, `clients` at a time; returns the ids
    /// of those accepted.
    pub async fn request(&self, n: usize, clients: usize, notify: Option<&Value>) -> Vec<i64> {
        use futures::StreamExt;
        let posted: Vec<Posted> = futures::stream::iter(0..n)
            .map(|i| {
                let body = self.body(i, notify);
                async move { self.post(i % self.accounts.len(), &body).await }
            })
            .buffer_unordered(clients)
            .collect()
            .await;
        posted
            .iter()
            .filter(|p| p.status == 202)
            .filter_map(|p| p.id)
            .collect()
    }

    /// Exports of `ids` succeeded so far.
    pub async fn succeeded(&self, ids: &[i64]) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM exports WHERE id = ANY($1) AND status = 'succeeded'",
        )
        .bind(ids)
        .fetch_one(&self.pool)
        .await
        .unwrap_or(0)
    }

    /// Waits until at least `want` of `ids` have succeeded.
    pub async fn until_succeeded(&self, ids: &[i64], want: i64) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(300);
        while self.succeeded(ids).await < want {
            anyhow::ensure!(
                Instant::now() < deadline,
                "{want} exports did not succeed within 300 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Waits for everything to finish (at most `within`), then counts from every side.
    pub async fn tally(
        &self,
        ids: &[i64],
        within: Duration,
        webhooks: Option<&hook::Receiver>,
    ) -> anyhow::Result<(Tally, Duration)> {
        let settled = tally::settle(&self.pool, ids, within).await?;
        let ev = tally::Evidence {
            ids,
            objects: tally::objects_by_export(&self.s3, &self.bucket).await?,
            emails: tally::emails_by_export(&self.svc.maildir)?,
            webhooks: webhooks.map(hook::Receiver::accepted).unwrap_or_default(),
        };
        Ok((tally::count(&self.pool, ev).await?, settled))
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.fleet.stop().await.context("stopping exportd")
    }
}

/// A small account: one day of 40 chats.
fn small_account(i: usize, day: chrono::NaiveDate) -> seed::SeedParams {
    seed::SeedParams {
        account_name: format!("faults-{i}"),
        plan: "pro".into(),
        timezone: chrono_tz::UTC,
        locale: "en".into(),
        admin_email: format!("admin-{i}@faults.example"),
        sites: 2,
        agents: 3,
        days: 1,
        last_day: day,
        chats_per_day: 40,
        seed: i as u64 + 1,
        events_per_accepted: seed::SeedParams::EVENTS_PER_ACCEPTED,
        bans_per_accepted: seed::SeedParams::BANS_PER_ACCEPTED,
        messages: false,
    }
}

fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new("faults", "faults", None, None, "faults"))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
