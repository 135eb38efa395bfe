//! exportd itself under test: one `exportd api` and some `exportd worker` processes of this
//! very binary, configured for one scenario's services. Workers can be stopped with
//! SIGTERM (a graceful drain) or SIGKILL and started again.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;
use tokio::process::Child;

use super::services::{self, Services};

pub struct Fleet {
    exe: PathBuf,
    dir: PathBuf,
    env: Vec<(String, String)>,
    pub api_url: String,
    api: Child,
    pub workers: Vec<Option<Child>>,
    started: usize,
}

impl Fleet {
    /// The configuration every process of the scenario shares; `extra` overrides it.
    pub fn env(
        svc: &Services,
        db_url: &str,
        bucket: &str,
        api_port: u16,
        extra: &[(&str, String)],
    ) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("DATABASE_URL", db_url.to_owned()),
            ("REDIS_URL", svc.redis_url()),
            ("EXPORTD_LISTEN", format!("127.0.0.1:{api_port}")),
            ("EXPORTD_SECRET", random_secret()),
            ("EXPORTD_LOG", "info".to_owned()),
            (
                "EXPORTD_STORAGE_DIR",
                svc.dir.join("files").display().to_string(),
            ),
            (
                "EXPORTD_OUTBOX_DIR",
                svc.dir.join("outbox").display().to_string(),
            ),
            ("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true".to_owned()),
            ("S3_BUCKET", bucket.to_owned()),
            ("S3_ENDPOINT", svc.s3_endpoint()),
            ("S3_FORCE_PATH_STYLE", "true".to_owned()),
            ("AWS_ACCESS_KEY_ID", "faults".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "faults".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("SMTP_HOST", "127.0.0.1".to_owned()),
            ("SMTP_PORT", svc.smtp.port.to_string()),
            ("SMTP_TLS", "none".to_owned()),
            ("MAIL_FROM", "exportd <exportd@faults.example>".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push(((*k).to_owned(), v.clone()));
        }
        env
    }

    /// Starts the API and `workers` workers, and waits until the API answers.
    pub async fn start(
        dir: &Path,
        env: Vec<(String, String)>,
        workers: usize,
    ) -> anyhow::Result<Fleet> {
        let exe = std::env::current_exe().context("the path of this program")?;
        let listen = env
            .iter()
            .find(|(k, _)| k == "EXPORTD_LISTEN")
            .map(|(_, v)| v.clone())
            .context("EXPORTD_LISTEN")?;
        let api = spawn(&exe, dir, &env, "api", "api")?;
        let mut fleet = Fleet {
            exe,
            dir: dir.to_owned(),
            env,
            api_url: format!("http://{listen}"),
            api,
            workers: Vec::new(),
            started: 0,
        };
        for _ in 0..workers {
            fleet.start_worker()?;
        }
        let port: u16 = listen.rsplit(':').next().unwrap_or_default().parse()?;
        services::wait_port(port, "exportd api", Duration::from_secs(30)).await?;
        Ok(fleet)
    }

    /// Starts one more worker; returns its index.
    pub fn start_worker(&mut self) -> anyhow::Result<usize> {
        self.started += 1;
        let name = format!("worker-{}", self.started);
        let child = spawn(&self.exe, &self.dir, &self.env, "worker", &name)?;
        self.workers.push(Some(child));
        Ok(self.workers.len() - 1)
    }

    /// Sends SIGTERM to worker `i` and waits until it has drained and exited.
    pub async fn stop_worker(&mut self, i: usize) -> anyhow::Result<std::process::ExitStatus> {
        let mut child = self.workers[i]
            .take()
            .context("that worker is not running")?;
        services::signal(&child, "TERM")?;
        match tokio::time::timeout(Duration::from_secs(120), child.wait()).await {
            Ok(status) => Ok(status?),
            Err(_) => {
                child.kill().await?;
                anyhow::bail!("worker {i} did not exit within 120 s of SIGTERM")
            }
        }
    }

    /// SIGTERM to everything, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for i in 0..self.workers.len() {
            if self.workers[i].is_some() {
                self.stop_worker(i).await?;
            }
        }
        services::signal(&self.api, "TERM")?;
        tokio::time::timeout(Duration::from_secs(30), self.api.wait())
            .await
            .context("the API did not exit within 30 s of SIGTERM")??;
        Ok(())
    }
}

fn spawn(
    exe: &Path,
    dir: &Path,
    env: &[(String, String)],
    command: &str,
    name: &str,
) -> anyhow::Result<Child> {
    services::logged(dir, name, exe)?
        .arg(command)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .spawn()
        .with_context(|| format!("starting exportd {command}"))
}

/// 64 hex characters from the OS's random source.
fn random_secret() -> String {
    use rand::Rng;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
