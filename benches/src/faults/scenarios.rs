//! The nine scenarios. Each builds its stage, starts the load, causes its fault for real,
//! ends it, waits for everything to settle and counts.

mod fairness;
mod floors;
mod outages;
mod replica;
mod settle;
mod sftp;

use std::time::Duration;

use super::{Options, Outcome, Stage, services::Tools};

pub async fn run(n: u32, tools: &Tools, opts: &Options) -> anyhow::Result<Outcome> {
    let dir = dir_of(opts, n);
    // The retry schedule scaled like the outages: 2 s at scale 1.
    let base = (
        "EXPORTD_RETRY_BASE_MS",
        format!("{:.0}", 2000.0 / opts.scale),
    );
    let many = ("EXPORTD_MAX_ACTIVE_EXPORTS", "1000".to_owned());
    let secs = |s: f64| Duration::from_secs_f64(s / opts.scale);
    let env = [base.clone(), many];
    let stage = |accounts, workers| Stage::new(tools, &dir, accounts, workers, &env);
    match n {
        1 => outages::s3_outage(stage(10, 2).await?).await,
        2 => outages::smtp_outage(stage(10, 2).await?, secs(600.0)).await,
        3 => outages::redis_restart(stage(10, 2).await?).await,
        4 => outages::rolling_restarts(stage(10, 3).await?).await,
        5 => outages::postgres_restart(stage(10, 2).await?).await,
        6 => outages::webhook_500(stage(5, 2).await?, secs(300.0)).await,
        7 => {
            let cap = (
                "EXPORTD_MAX_ACTIVE_EXPORTS",
                opts.fair_exports.div_ceil(100).to_string(),
            );
            fairness::fairness(
                Stage::new(tools, &dir, 100, 4, &[base, cap]).await?,
                opts.fair_exports,
            )
            .await
        }
        8 => {
            let (sshd, dir) = tools.sftp.as_ref().ok_or_else(|| {
                anyhow::anyhow!("scenario 8 needs EXPORTD_FAULTS_SSHD and EXPORTD_FAULTS_SFTP_DIR (scripts/faults sets them)")
            })?;
            let key = (
                "EXPORTD_ENCRYPTION_KEY",
                exportd_core::secrets::new_key("faults"),
            );
            let env = [env[0].clone(), env[1].clone(), key];
            let stage = Stage::new(tools, &dir_of(opts, n), 10, 2, &env).await?;
            sftp::sftp_outage(stage, sshd, dir, secs(60.0)).await
        }
        9 => {
            let stage = Stage::with_replica(tools, &dir, 10, 2, &env).await?;
            replica::replica_outage(stage, Duration::from_secs(30)).await
        }
        _ => anyhow::bail!("no scenario {n}"),
    }
}

fn dir_of(opts: &Options, n: u32) -> std::path::PathBuf {
    opts.dir.join(format!("{n}"))
}
