//! Scenario 7: no fault, a load. POST latency against the floors of this machine, and
//! whether accounts share the workers fairly.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use serde_json::json;

use super::{
    floors::{floors, healthz, p50_p99},
    settle::{SETTLE, clean},
};
use crate::faults::{Outcome, Posted, Stage, tally};

/// Scenario 7: `n` exports requested by 100 accounts, account after account, by 32 clients, with 4
/// workers: POST latency, and whether accounts share the workers fairly.
pub(super) async fn fairness(stage: Stage, n: usize) -> anyhow::Result<Outcome> {
    use futures::StreamExt;
    let stage = Arc::new(stage);
    let accounts: Vec<i64> = stage.accounts.iter().map(|a| a.id).collect();
    let per = n.div_ceil(accounts.len());
    // A sampler: exports done per account, and the most one account had running.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (stage, stop, accounts) = (stage.clone(), stop.clone(), accounts.clone());
        tokio::spawn(async move {
            let (mut samples, mut max_running) = (Vec::new(), 0i64);
            while !stop.load(Ordering::SeqCst) {
                if let Ok(done) = tally::done_per_account(&stage.pool, &accounts).await {
                    samples.push((Instant::now(), done));
                }
                let running: Option<i64> = sqlx::query_scalar(
                    "SELECT max(c) FROM (SELECT count(*) c FROM exports WHERE status = 'running' GROUP BY account_id) r",
                )
                .fetch_one(&stage.pool)
                .await
                .unwrap_or(None);
                max_running = max_running.max(running.unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            (samples, max_running)
        })
    };
    let notify = json!({"in_app": true});
    // Which statements the database spends its time on, while posting and after.
    let diag = crate::faults::diag();
    if diag {
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(&stage.pool)
            .await?;
        sqlx::query("SELECT pg_stat_statements_reset()")
            .execute(&stage.pool)
            .await?;
    }
    // A probe of the HTTP floor in the same instant as the POSTs: one `GET /healthz` at a
    // time, 20 ms apart, while the 32 clients post. No POST can be answered sooner than a
    // request that does nothing at all.
    let posting_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let (stage, done) = (stage.clone(), posting_done.clone());
        tokio::spawn(async move {
            let mut took = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let at = Instant::now();
                if healthz(&stage).await {
                    took.push(at.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            took
        })
    };
    let started = Instant::now();
    let posted: Vec<Posted> = futures::stream::iter(0..n)
        .map(|i| {
            let (stage, body) = (stage.clone(), stage.body(i, Some(&notify)));
            async move { stage.post(i / per, &body).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let posting = started.elapsed();
    posting_done.store(true, Ordering::SeqCst);
    let mut probed = probe.await?;
    if diag {
        diag_dump(&stage.pool, "posting").await?;
    }
    let ids: Vec<i64> = posted
        .iter()
        .filter(|p| p.status == 202)
        .filter_map(|p| p.id)
        .collect();
    let mut lat: Vec<Duration> = posted.iter().map(|p| p.latency).collect();
    let (mut http_floor, mut db_floor, mut coalesced_floor) = floors(&stage, n / 2).await?;
    let (t, settled) = stage.tally(&ids, SETTLE * 3, None).await?;
    if diag {
        diag_dump(&stage.pool, "after").await?;
    }
    stop.store(true, Ordering::SeqCst);
    let (samples, max_running) = sampler.await?;
    // Fairness while every account had work waiting: exports done per account from the
    // first sample after the last POST (all accounts have asked by then) to the last sample
    // before any account had all of its exports done.
    let after: Vec<&(Instant, Vec<f64>)> = samples
        .iter()
        .filter(|(t, _)| *t >= started + posting)
        .collect();
    let window = after.first().zip(
        after
            .iter()
            .take_while(|(_, d)| d.iter().all(|&n| n < per as f64))
            .last(),
    );
    let (window_jain, window_done, spread) = match window {
        Some(((_, first), (_, last))) => {
            let mut delta: Vec<f64> = last.iter().zip(first).map(|(l, f)| l - f).collect();
            let jain = tally::jain(&delta);
            let sum = delta.iter().sum::<f64>();
            delta.sort_by(f64::total_cmp);
            let at = |q: f64| delta[((delta.len() - 1) as f64 * q) as usize];
            (
                jain,
                sum,
                format!("{} / {} / {}", at(0.0), at(0.5), at(1.0)),
            )
        }
        None => (0.0, 0.0, String::new()),
    };
    let (p50, p99, max) = (
        crate::stats::quantile(&mut lat, 0.5),
        crate::stats::quantile(&mut lat, 0.99),
        crate::stats::quantile(&mut lat, 1.0),
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let stage = Arc::into_inner(stage).expect("the sampler is done");
    stage.stop().await?;
    Ok(Outcome {
        name: "fairness and POST latency",
        load: format!(
            "{n} exports by 100 accounts ({per} each, account after account), 32 clients, 4 workers"
        ),
        fault: "none (load)".into(),
        pass: clean(&t) && ids.len() == n && ms(p99) < 20.0 && window_jain >= 0.9,
        extra: vec![
            ("POST p50 ms", json!((ms(p50) * 10.0).round() / 10.0)),
            ("POST p99 ms", json!((ms(p99) * 10.0).round() / 10.0)),
            ("POST max ms", json!((ms(max) * 10.0).round() / 10.0)),
            (
                "GET /healthz during the POSTs, one at a time every 20 ms, p50 / p99 ms",
                json!(p50_p99(&mut probed)),
            ),
            (
                "floors while the workers were busy after, p50 / p99 ms: GET /healthz",
                json!(p50_p99(&mut http_floor)),
            ),
            (
                "one-row INSERT committed over 16 connections",
                json!(p50_p99(&mut db_floor)),
            ),
            (
                "the same rows coalesced, one INSERT and commit for all waiting",
                json!(p50_p99(&mut coalesced_floor)),
            ),
            (
                "all POSTs",
                json!(format!("{:.1} s", posting.as_secs_f64())),
            ),
            (
                "Jain index of exports done per account while all had work waiting",
                json!((window_jain * 1000.0).round() / 1000.0),
            ),
            ("exports done in that window", json!(window_done)),
            ("per account in it, min / median / max", json!(spread)),
            ("most running for one account", json!(max_running)),
            (
                "exports per second",
                json!((ids.len() as f64 / settled.as_secs_f64()).round()),
            ),
        ],
        tally: t,
    })
}

/// With EXPORTD_FAULTS_DIAG: the statements that touched the most buffers since the last
/// call (pg_stat_statements), to stderr, then a reset.
async fn diag_dump(pool: &sqlx::PgPool, phase: &str) -> anyhow::Result<()> {
    let rows: Vec<(i64, f64, i64, String)> = sqlx::query_as(
        "SELECT calls, total_exec_time + total_plan_time, shared_blks_hit + shared_blks_read,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 120)
           FROM pg_stat_statements ORDER BY 3 DESC LIMIT 30",
    )
    .fetch_all(pool)
    .await?;
    for (calls, ms, blocks, query) in rows {
        eprintln!("diag {phase}: {calls:>7} calls {ms:>9.1} ms {blocks:>10} buffers  {query}");
    }
    sqlx::query("SELECT pg_stat_statements_reset()")
        .execute(pool)
        .await?;
    Ok(())
}
