//! Scenario 8: an SFTP server down for 60 s (scaled) under 20 scheduled deliveries. Each
//! account has an SFTP destination on the scenario's own sshd and two daily schedules
//! delivering to it; the server is stopped, every schedule is run, and it comes back. Every
//! file must arrive exactly once, none partial: the bytes on the server's disk are compared
//! with the stored object.

use std::{collections::HashMap, path::Path, time::Duration};

use anyhow::Context;
use serde_json::{Value, json};

use super::settle::{SETTLE, clean};
use crate::faults::{
    Outcome, Stage,
    services::{Daemon, free_port},
};

/// The shared test SFTP setup (scripts/services.sh `ensure_sftp`): its user, key, host key
/// and configuration, and the directory files land in.
struct Sftp {
    user: String,
    key: String,
    fingerprint: String,
    upload: std::path::PathBuf,
}

impl Sftp {
    fn from(dir: &Path) -> anyhow::Result<Sftp> {
        let out = std::process::Command::new("ssh-keygen")
            .arg("-lf")
            .arg(dir.join("host_key.pub"))
            .output()?;
        let fingerprint = String::from_utf8(out.stdout)?
            .split_whitespace()
            .nth(1)
            .context("ssh-keygen printed no fingerprint")?
            .to_owned();
        Ok(Sftp {
            user: std::env::var("EXPORTD_FAULTS_SFTP_USER")
                .unwrap_or_else(|_| "exportd-sftp".into()),
            key: std::fs::read_to_string(dir.join("client_key"))?,
            fingerprint,
            upload: dir.join("root/upload"),
        })
    }
}

async fn call(stage: &Stage, account: usize, path: &str, body: &Value) -> anyhow::Result<Value> {
    let r = stage
        .http
        .post(format!("{}{path}", stage.fleet.api_url))
        .bearer_auth(&stage.accounts[account].token)
        .json(body)
        .send()
        .await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "POST {path}: {status} {v}");
    Ok(v)
}

pub(in crate::faults) async fn sftp_outage(
    stage: Stage,
    sshd: &Path,
    dir: &Path,
    outage: Duration,
) -> anyhow::Result<Outcome> {
    let sftp = Sftp::from(dir)?;
    let port = free_port()?;
    let mut server = Daemon::start(
        "sshd",
        sshd.to_owned(),
        vec![
            "-D".into(),
            "-f".into(),
            dir.join("sshd_config").display().to_string(),
            "-o".into(),
            format!("Port={port}"),
            "-o".into(),
            "PidFile=none".into(),
        ],
        &stage.svc.dir,
        port,
    )
    .await?;
    let prefix = format!("faults8-{}-", chrono::Utc::now().format("%Y%m%d%H%M%S"));
    let mut schedules = Vec::new();
    for a in 0..stage.accounts.len() {
        let d = call(
            &stage,
            a,
            "/v1/destinations",
            &json!({"type": "sftp", "name": "drop",
            "host": "127.0.0.1", "port": port, "user": sftp.user, "private_key": sftp.key,
            "host_key": sftp.fingerprint, "directory": "upload",
            "file_name": format!("{prefix}{{id}}.{{ext}}")}),
        )
        .await?;
        for format in ["xlsx", "csv"] {
            let s = call(
                &stage,
                a,
                "/v1/schedules",
                &json!({"kind": "global", "format": format,
                "cadence": "daily", "hour": 6, "deliver": [d["id"]]}),
            )
            .await?;
            schedules.push((a, s["id"].as_i64().context("a schedule id")?));
        }
    }
    server.down().await?;
    let mut ids = Vec::new();
    for (a, s) in &schedules {
        let e = call(&stage, *a, &format!("/v1/schedules/{s}/run"), &json!({})).await?;
        ids.push(e["id"].as_i64().context("an export id")?);
    }
    tokio::time::sleep(outage).await;
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
          WHERE n.export_id = ANY($1) AND n.channel = 'sftp' AND NOT a.ok",
    )
    .bind(&ids)
    .fetch_one(&stage.pool)
    .await?;
    server.up().await?;
    let (t, settled) = stage.tally(&ids, SETTLE, None).await?;
    let files = arrived(&stage, &sftp.upload, &prefix, &ids).await?;
    server.down().await?;
    stage.stop().await?;
    let once = files.values().filter(|f| f.count == 1 && f.whole).count();
    let partial = files.values().filter(|f| !f.whole).count();
    let duplicates: usize = files.values().map(|f| f.count.saturating_sub(1)).sum();
    Ok(Outcome {
        name: "SFTP down",
        load: format!(
            "{} scheduled runs delivering to SFTP, 10 accounts, 2 workers",
            ids.len()
        ),
        fault: format!("SFTP server stopped for {:.0} s", outage.as_secs_f64()),
        pass: clean(&t) && once == ids.len() && partial == 0 && duplicates == 0,
        extra: vec![
            ("files arrived exactly once and whole", json!(once)),
            ("partial files", json!(partial)),
            ("duplicate files", json!(duplicates)),
            ("failed SFTP attempts during the outage", json!(refused)),
            (
                "settled after",
                json!(format!("{:.1} s", settled.as_secs_f64())),
            ),
        ],
        tally: t,
    })
}

struct Arrived {
    count: usize,
    whole: bool,
}

/// The scenario's files on the server's disk, by export: how many, and whether each has
/// the stored object's bytes. A temporary file left behind counts as partial.
async fn arrived(
    stage: &Stage,
    upload: &Path,
    prefix: &str,
    ids: &[i64],
) -> anyhow::Result<HashMap<i64, Arrived>> {
    let keys: HashMap<i64, String> = sqlx::query_as::<_, (i64, String)>(
        "SELECT id, file_key FROM exports WHERE id = ANY($1) AND file_key IS NOT NULL",
    )
    .bind(ids)
    .fetch_all(&stage.pool)
    .await?
    .into_iter()
    .collect();
    let mut by: HashMap<i64, Arrived> = HashMap::new();
    for entry in std::fs::read_dir(upload)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!(".{prefix}")) {
            by.entry(0).or_insert(Arrived {
                count: 0,
                whole: false,
            });
            continue;
        }
        let Some(id) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('.').next())
            .and_then(|id| id.parse::<i64>().ok())
        else {
            continue;
        };
        let on_disk = std::fs::read(entry.path())?;
        std::fs::remove_file(entry.path())?;
        let stored = match keys.get(&id) {
            Some(key) => stage
                .s3
                .get_object()
                .bucket(&stage.bucket)
                .key(key)
                .send()
                .await?
                .body
                .collect()
                .await?
                .into_bytes()
                .to_vec(),
            None => Vec::new(),
        };
        let f = by.entry(id).or_insert(Arrived {
            count: 0,
            whole: true,
        });
        f.count += 1;
        f.whole &= on_disk == stored;
    }
    Ok(by)
}
