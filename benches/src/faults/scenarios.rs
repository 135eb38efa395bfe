//! The seven scenarios. Each builds its stage, starts the load, causes its fault for real,
//! ends it, waits for everything to settle and counts.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use super::{Options, Outcome, Posted, Stage, hook, services::Tools, tally};

/// How long a scenario may take to settle after its fault ends.
const SETTLE: Duration = Duration::from_secs(900);

pub async fn run(n: u32, tools: &Tools, opts: &Options) -> anyhow::Result<Outcome> {
    let dir = opts.dir.join(format!("{n}"));
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
        1 => s3_outage(stage(10, 2).await?).await,
        2 => smtp_outage(stage(10, 2).await?, secs(600.0)).await,
        3 => redis_restart(stage(10, 2).await?).await,
        4 => rolling_restarts(stage(10, 3).await?).await,
        5 => postgres_restart(stage(10, 2).await?).await,
        6 => webhook_500(stage(5, 2).await?, secs(300.0)).await,
        7 => {
            let cap = (
                "EXPORTD_MAX_ACTIVE_EXPORTS",
                opts.fair_exports.div_ceil(100).to_string(),
            );
            fairness(
                Stage::new(tools, &dir, 100, 4, &[base, cap]).await?,
                opts.fair_exports,
            )
            .await
        }
        _ => anyhow::bail!("no scenario {n}"),
    }
}

fn clean(t: &tally::Tally) -> bool {
    t.delivered == t.requested && t.failed == 0 && t.lost == 0 && t.duplicates == 0
}

/// 1. The S3 endpoint refuses connections for 30 s while 50 exports run.
async fn s3_outage(stage: Stage) -> anyhow::Result<Outcome> {
    let ids = stage.request(50, 8, None).await;
    stage.until_succeeded(&ids, 10).await?;
    let at = stage.succeeded(&ids).await;
    stage.svc.s3.cut();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let during = stage.succeeded(&ids).await - at;
    stage.svc.s3.restore().await?;
    let (t, settled) = stage.tally(&ids, SETTLE, None).await?;
    let retried: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exports WHERE id = ANY($1) AND attempts > 1")
            .bind(&ids)
            .fetch_one(&stage.pool)
            .await?;
    stage.stop().await?;
    Ok(Outcome {
        name: "S3 down",
        load: "50 exports, 10 accounts, 2 workers".into(),
        fault: format!("S3 refused connections for 30 s once {at} were stored"),
        pass: clean(&t) && t.one_object_each == t.requested && t.emails == t.requested,
        extra: vec![
            ("stored during the outage", json!(during)),
            ("exports retried", json!(retried)),
            (
                "settled after",
                json!(format!("{:.1} s", settled.as_secs_f64())),
            ),
        ],
        tally: t,
    })
}

/// 2. The SMTP server is down (killed) for 10 minutes (scaled) while 50 exports finish.
async fn smtp_outage(mut stage: Stage, outage: Duration) -> anyhow::Result<Outcome> {
    stage.svc.smtp.down().await?;
    let down_at = Instant::now();
    let ids = stage.request(50, 8, None).await;
    stage.until_succeeded(&ids, ids.len() as i64).await?;
    tokio::time::sleep(outage.saturating_sub(down_at.elapsed())).await;
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
          WHERE n.export_id = ANY($1) AND n.channel = 'email' AND a.ok = false",
    )
    .bind(&ids)
    .fetch_one(&stage.pool)
    .await
    .unwrap_or(-1);
    stage.svc.smtp.up().await?;
    let (t, settled) = stage.tally(&ids, SETTLE, None).await?;
    stage.stop().await?;
    Ok(Outcome {
        name: "SMTP down",
        load: "50 exports, 10 accounts, 2 workers".into(),
        fault: format!("SMTP server stopped for {:.0} s", outage.as_secs_f64()),
        pass: clean(&t) && t.emails == t.requested,
        extra: vec![
            ("failed send attempts during the outage", json!(refused)),
            (
                "last email after",
                json!(format!("{:.1} s", settled.as_secs_f64())),
            ),
        ],
        tally: t,
    })
}

/// 3. Redis killed and started again empty (no persistence) under 200 exports.
async fn redis_restart(mut stage: Stage) -> anyhow::Result<Outcome> {
    let ids = stage.request(200, 16, None).await;
    stage.until_succeeded(&ids, 20).await?;
    let at = stage.succeeded(&ids).await;
    stage.svc.redis.down().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stage.svc.redis.up().await?;
    let (t, settled) = stage.tally(&ids, SETTLE, None).await?;
    stage.stop().await?;
    Ok(Outcome {
        name: "Redis restarted empty",
        load: "200 exports, 10 accounts, 2 workers".into(),
        fault: format!("Redis killed (SIGKILL, no persistence) for 2 s once {at} were done"),
        pass: clean(&t) && t.one_object_each == t.requested && t.emails == t.requested,
        extra: vec![(
            "settled after",
            json!(format!("{:.1} s", settled.as_secs_f64())),
        )],
        tally: t,
    })
}

/// 4. Rolling SIGTERM restarts of 3 workers, one after another, while 200 exports run.
async fn rolling_restarts(mut stage: Stage) -> anyhow::Result<Outcome> {
    let ids = stage.request(200, 16, None).await;
    let mut live: std::collections::VecDeque<usize> = (0..3).collect();
    let mut restarts = 0;
    let mut unclean = 0;
    let started = Instant::now();
    while stage.succeeded(&ids).await < ids.len() as i64 && started.elapsed() < SETTLE {
        let i = live.pop_front().expect("three workers");
        if !stage.fleet.stop_worker(i).await?.success() {
            unclean += 1;
        }
        live.push_back(stage.fleet.start_worker()?);
        restarts += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (t, settled) = stage.tally(&ids, SETTLE, None).await?;
    stage.stop().await?;
    Ok(Outcome {
        name: "rolling SIGTERM",
        load: "200 exports, 10 accounts, 3 workers".into(),
        fault: format!("{restarts} worker restarts by SIGTERM, one at a time, until all were done"),
        pass: clean(&t)
            && unclean == 0
            && t.one_object_each == t.requested
            && t.emails == t.requested,
        extra: vec![
            ("workers that exited uncleanly", json!(unclean)),
            (
                "settled after",
                json!(format!("{:.1} s", settled.as_secs_f64())),
            ),
        ],
        tally: t,
    })
}

/// 5. Postgres restarted (fast shutdown, 10 s down) while clients keep requesting exports.
async fn postgres_restart(stage: Stage) -> anyhow::Result<Outcome> {
    let stage = Arc::new(stage);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (stage, stop) = (stage.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut seen: Vec<Posted> = Vec::new();
            let mut i = c;
            while !stop.load(Ordering::SeqCst) {
                let body = stage.body(i, None);
                seen.push(stage.post(i % stage.accounts.len(), &body).await);
                i += 4;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stage.svc.pg.down()?;
    // From when the server has stopped: requests during its shutdown may still succeed.
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    stage.svc.pg.up()?;
    let up = Instant::now();
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, Ordering::SeqCst);
    let mut seen = Vec::new();
    for c in clients {
        seen.extend(c.await?);
    }
    // Answered while down (asked after the stop, answered before the start); a request
    // still waiting for a connection when Postgres came back is answered normally.
    let during: Vec<&Posted> = seen
        .iter()
        .filter(|p| p.at >= down && p.at + p.latency < up)
        .collect();
    let shaped_503 = during
        .iter()
        .filter(|p| p.status == 503 && p.shaped)
        .count();
    let other = during
        .iter()
        .filter(|p| p.status != 503 || !p.shaped)
        .count();
    let slowest = during.iter().map(|p| p.latency).max().unwrap_or_default();
    // Every answer while down, by status (0: no HTTP answer) and shape.
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for p in &during {
        let k = format!("{}{}", p.status, if p.shaped { "" } else { " unshaped" });
        *kinds.entry(k).or_default() += 1;
    }
    let recovered = seen
        .iter()
        .filter(|p| p.at >= up && p.status == 202)
        .map(|p| p.at.duration_since(up))
        .min();
    let errors_after = seen
        .iter()
        .filter(|p| p.at >= up + recovered.unwrap_or_default() && p.status != 202)
        .count();
    let ids: Vec<i64> = seen
        .iter()
        .filter(|p| p.status == 202)
        .filter_map(|p| p.id)
        .collect();
    let (t, settled) = stage.tally(&ids, SETTLE, None).await?;
    let stage = Arc::into_inner(stage).expect("the clients are done");
    stage.stop().await?;
    Ok(Outcome {
        name: "Postgres restarted",
        load: format!(
            "4 clients requesting exports every 100 ms ({} requests), 2 workers",
            seen.len()
        ),
        fault: "Postgres stopped (fast) for 10 s, then started".into(),
        pass: clean(&t) && other == 0 && shaped_503 > 0 && recovered.is_some() && errors_after == 0,
        extra: vec![
            (
                "answers while down: 503 in the error shape",
                json!(shaped_503),
            ),
            ("other answers while down", json!(other)),
            ("answers while down by status", json!(kinds)),
            (
                "slowest answer while down",
                json!(format!("{:.2} s", slowest.as_secs_f64())),
            ),
            (
                "first 202 after the restart",
                json!(
                    recovered.map_or("never".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
                ),
            ),
            ("errors after recovery", json!(errors_after)),
            (
                "settled after",
                json!(format!("{:.1} s", settled.as_secs_f64())),
            ),
        ],
        tally: t,
    })
}

/// 6. The webhook receiver answers 500 for 5 minutes (scaled), then 204.
async fn webhook_500(stage: Stage, outage: Duration) -> anyhow::Result<Outcome> {
    let (rx, url) = hook::Receiver::start().await?;
    for a in &stage.accounts {
        let r: Value = stage
            .http
            .post(format!("{}/v1/webhook-secret", stage.fleet.api_url))
            .bearer_auth(&a.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        rx.trust(r["secret"].as_str().unwrap_or_default().to_owned());
    }
    rx.failing.store(true, Ordering::SeqCst);
    let began = Instant::now();
    let ids = stage.request(20, 4, Some(&json!({"webhook": url}))).await;
    tokio::time::sleep(outage.saturating_sub(began.elapsed())).await;
    rx.failing.store(false, Ordering::SeqCst);
    let (t, settled) = stage.tally(&ids, SETTLE, Some(&rx)).await?;
    stage.stop().await?;
    let forged = rx.forged.load(Ordering::Relaxed);
    Ok(Outcome {
        name: "webhook 500s",
        load: "20 exports notifying a webhook, 5 accounts, 2 workers".into(),
        fault: format!(
            "the receiver answered 500 for {:.0} s",
            outage.as_secs_f64()
        ),
        pass: clean(&t) && t.webhooks == t.requested && forged == 0,
        extra: vec![
            (
                "deliveries refused with 500",
                json!(rx.refused.load(Ordering::Relaxed)),
            ),
            ("deliveries failing verification", json!(forged)),
            (
                "last delivery after",
                json!(format!("{:.1} s", settled.as_secs_f64())),
            ),
        ],
        tally: t,
    })
}

/// Scenario 7: `n` exports requested by 100 accounts, account after account, by 32 clients, with 4
/// workers: POST latency, and whether accounts share the workers fairly.
async fn fairness(stage: Stage, n: usize) -> anyhow::Result<Outcome> {
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
    let diag = super::diag();
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

/// What no POST can beat on this machine under this load: `n` requests by the same 32
/// clients back to back, to `GET /healthz` (HTTP alone, no database), and straight to
/// Postgres as a one-row INSERT committed, over 16 connections as the API's pool has.
/// Run while the workers work through what was posted.
async fn floors(
    stage: &Stage,
    n: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>, Vec<Duration>)> {
    let http = timed(n, move || async move {
        healthz(stage).await;
    })
    .await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect_with((*stage.pool.connect_options()).clone())
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS faults_floor (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now())")
        .execute(&pool)
        .await?;
    let db = {
        let pool = &pool;
        timed(n, move || async move {
            let _ = sqlx::query("INSERT INTO faults_floor DEFAULT VALUES")
                .execute(pool)
                .await;
        })
        .await
    };
    // The same rows coalesced: one committer takes every insert waiting and writes them as
    // one statement and one commit (group commit), then answers them all.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<tokio::sync::oneshot::Sender<()>>();
    let committer = {
        let pool = pool.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let _ = sqlx::query(
                    "INSERT INTO faults_floor (at) SELECT now() FROM generate_series(1, $1)",
                )
                .bind(batch.len() as i32)
                .execute(&pool)
                .await;
                for waiting in batch {
                    let _ = waiting.send(());
                }
            }
        })
    };
    let coalesced = {
        let tx = &tx;
        timed(n, move || async move {
            let (done, wait) = tokio::sync::oneshot::channel();
            if tx.send(done).is_ok() {
                let _ = wait.await;
            }
        })
        .await
    };
    drop(tx);
    let _ = committer.await;
    pool.close().await;
    Ok((http, db, coalesced))
}

/// `GET /healthz`, read to the end; whether it answered.
async fn healthz(stage: &Stage) -> bool {
    match stage
        .http
        .get(format!("{}/healthz", stage.fleet.api_url))
        .send()
        .await
    {
        Ok(r) => r.bytes().await.is_ok(),
        Err(_) => false,
    }
}

/// How long each of `n` runs of `op` took, 32 at a time back to back, as scenario 7's
/// clients post.
async fn timed<F, Fut>(n: usize, op: F) -> Vec<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures::StreamExt;
    let op = &op;
    futures::stream::iter(0..n)
        .map(move |_| async move {
            let at = Instant::now();
            op().await;
            at.elapsed()
        })
        .buffer_unordered(32)
        .collect()
        .await
}

fn p50_p99(d: &mut [Duration]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "{:.1} / {:.1}",
        ms(crate::stats::quantile(d, 0.5)),
        ms(crate::stats::quantile(d, 0.99))
    )
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
