//! The fault suite's own services, on ports of their own, so that stopping one disturbs
//! nothing else on the machine: a Postgres cluster (initdb), a Redis with no persistence,
//! an S3 server (moto) behind a [`TcpProxy`] that can cut it, and the SMTP sink.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::proxy::TcpProxy;

/// Where the suite finds the programs it runs (set by `scripts/faults`).
#[derive(Debug, Clone)]
pub struct Tools {
    /// The directory of `initdb`, `pg_ctl` and `postgres`.
    pub pg_bin: PathBuf,
    /// A Python with moto and aiosmtpd.
    pub python: PathBuf,
    /// `scripts/smtp_sink.py`.
    pub smtp_sink: PathBuf,
    /// For scenario 8: OpenSSH's `sshd`, and the test SFTP setup of scripts/services.sh
    /// (its configuration, keys and chroot).
    pub sftp: Option<(PathBuf, PathBuf)>,
}

impl Tools {
    pub fn from_env() -> anyhow::Result<Tools> {
        let get = |k: &str| {
            std::env::var(k)
                .map(PathBuf::from)
                .with_context(|| format!("{k} is not set: run the suite through scripts/faults"))
        };
        Ok(Tools {
            pg_bin: get("EXPORTD_FAULTS_PG_BIN")?,
            python: get("EXPORTD_FAULTS_PYTHON")?,
            smtp_sink: get("EXPORTD_FAULTS_SMTP_SINK")?,
            sftp: get("EXPORTD_FAULTS_SSHD")
                .ok()
                .zip(get("EXPORTD_FAULTS_SFTP_DIR").ok()),
        })
    }
}

/// A free port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Waits until something accepts connections on `port`.
pub async fn wait_port(port: u16, what: &str, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// A command for `program` with its output appended to `dir/name.log`, no input, and
/// killed if its handle is dropped; the caller adds arguments and environment.
pub fn logged(dir: &Path, name: &str, program: &Path) -> anyhow::Result<Command> {
    let log = || -> anyhow::Result<Stdio> {
        Ok(std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.log")))?
            .into())
    };
    let mut cmd = Command::new(program);
    cmd.stdin(Stdio::null())
        .stdout(log()?)
        .stderr(log()?)
        .kill_on_drop(true);
    Ok(cmd)
}

/// Sends `signal` (`TERM`, `KILL`…) to a child.
pub fn signal(child: &Child, signal: &str) -> anyhow::Result<()> {
    let pid = child.id().context("the process has exited")?;
    let ok = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()?
        .success();
    anyhow::ensure!(ok, "kill -{signal} {pid} failed");
    Ok(())
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// A Postgres cluster of the suite's own, run by `pg_ctl` (as the `postgres` user when the
/// suite runs as root: Postgres refuses to run as root).
pub struct Postgres {
    _tmp: tempfile::TempDir,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl Postgres {
    pub async fn start(tools: &Tools) -> anyhow::Result<Postgres> {
        let as_postgres = is_root();
        // In the temp directory: the postgres user can reach it, and it goes away after.
        let tmp = tempfile::Builder::new()
            .prefix("exportd-faults-pg-")
            .tempdir()?;
        let data = tmp.path().join("data");
        if as_postgres {
            run(std::process::Command::new("chown")
                .args(["postgres:postgres"])
                .arg(tmp.path()))?;
        }
        let pg = Postgres {
            bin: tools.pg_bin.clone(),
            log: tmp.path().join("postgres.log"),
            data,
            port: free_port()?,
            as_postgres,
            _tmp: tmp,
        };
        run(pg
            .cmd("initdb")
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"])
            .arg(&pg.data))?;
        pg.up()?;
        Ok(pg)
    }

    /// A hot standby of this cluster, streaming from it: `pg_basebackup -R` into a
    /// directory of its own, started on a port of its own.
    pub async fn standby(&self) -> anyhow::Result<Postgres> {
        let tmp = tempfile::Builder::new()
            .prefix("exportd-faults-standby-")
            .tempdir()?;
        if self.as_postgres {
            run(std::process::Command::new("chown")
                .args(["postgres:postgres"])
                .arg(tmp.path()))?;
        }
        let standby = Postgres {
            bin: self.bin.clone(),
            log: tmp.path().join("postgres.log"),
            data: tmp.path().join("data"),
            port: free_port()?,
            as_postgres: self.as_postgres,
            _tmp: tmp,
        };
        run(standby
            .cmd("pg_basebackup")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-R", "-X", "stream", "-D"])
            .arg(&standby.data))?;
        standby.up()?;
        Ok(standby)
    }

    fn cmd(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        }
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&self) -> anyhow::Result<()> {
        // EXPORTD_FAULTS_PG_OPTS adds server options (auto_explain, say).
        let diag = if super::diag() {
            "-c shared_preload_libraries=pg_stat_statements"
        } else {
            ""
        };
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB -c hot_standby_feedback=on {diag} {}",
            self.port,
            self.data.display(),
            std::env::var("EXPORTD_FAULTS_PG_OPTS").unwrap_or_default()
        );
        run(self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-o", &opts, "-w", "start"]))
    }

    /// A clean, fast stop (open sessions are ended, as in a restart for maintenance).
    pub fn down(&self) -> anyhow::Result<()> {
        run(self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn run(cmd: &mut std::process::Command) -> anyhow::Result<()> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A service run as one child process that can be stopped and started again on its port.
pub struct Daemon {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl Daemon {
    pub async fn start(
        name: &'static str,
        program: PathBuf,
        args: Vec<String>,
        dir: &Path,
        port: u16,
    ) -> anyhow::Result<Daemon> {
        let mut d = Daemon {
            name,
            program,
            args,
            dir: dir.to_owned(),
            port,
            child: None,
        };
        d.up().await?;
        Ok(d)
    }

    pub async fn up(&mut self) -> anyhow::Result<()> {
        let child = logged(&self.dir, self.name, &self.program)?
            .args(&self.args)
            .spawn()
            .with_context(|| format!("starting {}", self.program.display()))?;
        self.child = Some(child);
        wait_port(self.port, self.name, Duration::from_secs(30)).await
    }

    /// Kills the process (`KILL`: it has no chance to save anything) and waits for it.
    pub async fn down(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill().await?;
        }
        Ok(())
    }
}

/// Every service of one scenario, on its own ports and in its own directory.
pub struct Services {
    pub dir: PathBuf,
    pub pg: Postgres,
    pub redis: Daemon,
    pub moto: Daemon,
    /// What exportd is given as its S3 endpoint.
    pub s3: TcpProxy,
    pub smtp: Daemon,
    pub maildir: PathBuf,
}

impl Services {
    pub async fn start(tools: &Tools, dir: &Path) -> anyhow::Result<Services> {
        std::fs::create_dir_all(dir)?;
        let pg = Postgres::start(tools).await?;
        let port = free_port()?;
        let redis = Daemon::start(
            "redis",
            "redis-server".into(),
            [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
            .map(str::to_owned)
            .to_vec(),
            dir,
            port,
        )
        .await?;
        let port = free_port()?;
        let moto = Daemon::start(
            "moto",
            tools.python.clone(),
            [
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ]
            .map(str::to_owned)
            .to_vec(),
            dir,
            port,
        )
        .await?;
        let s3 = TcpProxy::start(format!("127.0.0.1:{port}")).await?;
        let maildir = dir.join("maildir");
        let port = free_port()?;
        let smtp = Daemon::start(
            "smtp",
            tools.python.clone(),
            vec![
                tools.smtp_sink.display().to_string(),
                "--port".into(),
                port.to_string(),
                "--maildir".into(),
                maildir.display().to_string(),
            ],
            dir,
            port,
        )
        .await?;
        Ok(Services {
            dir: dir.to_owned(),
            pg,
            redis,
            moto,
            s3,
            smtp,
            maildir,
        })
    }

    pub fn s3_endpoint(&self) -> String {
        format!("http://{}", self.s3.addr)
    }

    pub fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.redis.port)
    }
}
