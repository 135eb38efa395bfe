//! `exportd bench queue`: 1,000 small exports (one day, a small account) requested at once
//! over HTTP by concurrent clients, against the API and a worker in this process. Prints
//! POST latency p50/p99/max, the time until the last file is stored and the last email
//! accepted (by SMTP when `SMTP_HOST` is set, else written to the outbox), and jobs/s.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use exportd_worker::Ctx;

use crate::seed;
use futures::StreamExt;
use serde_json::json;

use crate::stats;

/// Requests one export; its status, or 0 when there was no answer.
async fn post(http: &reqwest::Client, base: &str, token: &str, body: &serde_json::Value) -> u16 {
    http.post(format!("{base}/v1/exports"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Makes `n` requests, `clients` at a time; an error unless every one answered `want`.
async fn all_answer<F, Fut>(
    n: usize,
    clients: usize,
    want: u16,
    what: &str,
    request: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let mut request = request;
    let statuses: Vec<u16> = futures::stream::iter(0..n)
        .map(|_| request())
        .buffer_unordered(clients)
        .collect()
        .await;
    anyhow::ensure!(
        statuses.iter().all(|s| *s == want),
        "{what} failed: {statuses:?}"
    );
    Ok(())
}

pub async fn run(
    shared: Arc<exportd_core::Shared>,
    exports: usize,
    clients: usize,
    hold_worker: bool,
) -> anyhow::Result<()> {
    let ctx: Arc<Ctx> = Ctx::new(&shared)?;
    let day = (Utc::now() - chrono::Duration::days(1)).date_naive();
    let p = seed::SeedParams {
        account_name: format!("bench-queue-{}", Utc::now().timestamp()),
        plan: "pro".into(),
        timezone: chrono_tz::UTC,
        locale: "es".into(),
        admin_email: format!("bench-queue-{}@example.com", Utc::now().timestamp()),
        sites: 3,
        agents: 5,
        days: 1,
        last_day: day,
        chats_per_day: 100,
        seed: 1,
        events_per_accepted: seed::SeedParams::EVENTS_PER_ACCEPTED,
        bans_per_accepted: seed::SeedParams::BANS_PER_ACCEPTED,
        messages: false,
    };
    let s = seed::seed(&ctx.pool, &p).await?;
    let token = exportd_core::auth::create_token(&ctx.pool, s.admin_user_id).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    // The API in one service; the warm-up's worker in another, so that with
    // --hold-worker it can be stopped before the burst.
    let mut service = exportd_app::Service::new();
    service.api(shared.clone(), listener);
    let mut warm = exportd_app::Service::new();
    warm.worker(ctx.clone());

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let body = json!({"kind": "global", "format": "csv", "from": day, "to": day});
    // Warm-up: `clients` exports at once, through to the end, so that the statements the
    // burst runs are prepared on the pooled connections and the caches hold what they would
    // hold in a running service.
    let warmed = clients;
    all_answer(warmed, clients, 202, "warm-up exports", || {
        let (http, base, token, body) = (http.clone(), base.clone(), token.clone(), body.clone());
        async move { post(&http, &base, &token, &body).await }
    })
    .await?;
    wait_for(
        &ctx,
        "SELECT count(*) FROM exports WHERE account_id = $1 AND status = 'succeeded'",
        s.account_id,
        warmed as i64,
    )
    .await?;
    // Warm-up of the connections the burst will use: `clients` HTTP connections and as many
    // pooled Postgres connections as they can take, with reads that create nothing. Without
    // it the first requests of the burst pay for opening them and fill the p99.
    for _ in 0..3 {
        all_answer(clients * 4, clients, 200, "warm-up reads", || {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            async move {
                http.get(format!("{base}/v1/exports?limit=1"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .await?;
    }
    if hold_worker {
        warm.shutdown().await?;
    } else {
        service.worker(ctx.clone());
        warm.shutdown().await?;
    }

    eprintln!("queue: posting {exports} exports, {clients} at a time …");
    let started = Instant::now();
    let results: Vec<(Duration, u16)> = futures::stream::iter(0..exports)
        .map(|_| {
            let (http, base, token, body) =
                (http.clone(), base.clone(), token.clone(), body.clone());
            async move {
                let t = Instant::now();
                let status = post(&http, &base, &token, &body).await;
                (t.elapsed(), status)
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let posted = started.elapsed();
    if hold_worker {
        service.worker(ctx.clone());
    }
    let accepted = results.iter().filter(|(_, s)| *s == 202).count();
    let mut lat: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();

    let account = s.account_id;
    wait_for(&ctx, "SELECT count(*) FROM exports WHERE account_id = $1 AND status = 'succeeded' AND file_key IS NOT NULL", account, (accepted + warmed) as i64).await?;
    let all_stored = started.elapsed();
    wait_for(
        &ctx,
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND channel = 'email' AND status = 'sent'",
        account,
        (accepted + warmed) as i64,
    )
    .await?;
    let mailed = started.elapsed();
    let failed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM exports WHERE account_id = $1 AND status = 'failed'",
    )
    .bind(account)
    .fetch_one(&ctx.pool)
    .await?;
    service.shutdown().await?;

    let (p50, p99, max) = (
        stats::quantile(&mut lat, 0.5),
        stats::quantile(&mut lat, 0.99),
        stats::quantile(&mut lat, 1.0),
    );
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "queue: {exports} exports by {clients} concurrent clients; mail via {}; targets: POST p99 < 20 ms, all delivered, none failed",
        ctx.mailer.describe()
    );
    stats::table(
        &[
            "accepted",
            "POST p50",
            "POST p99",
            "POST max",
            "all POSTs",
            "last file stored",
            "last email sent",
            "jobs/s",
            "failed",
        ],
        &[vec![
            format!("{accepted}/{exports}"),
            ms(p50),
            ms(p99),
            ms(max),
            format!("{:.2} s", posted.as_secs_f64()),
            format!("{:.2} s", all_stored.as_secs_f64()),
            format!("{:.2} s", mailed.as_secs_f64()),
            format!("{:.0}", accepted as f64 / all_stored.as_secs_f64()),
            failed.to_string(),
        ]],
    );
    println!(
        "{}",
        json!({"scenario": "queue", "exports": exports, "clients": clients, "hold_worker": hold_worker, "accepted": accepted, "failed": failed,
               "post_ms": {"p50": p50.as_secs_f64() * 1e3, "p99": p99.as_secs_f64() * 1e3, "max": max.as_secs_f64() * 1e3},
               "all_posted_s": posted.as_secs_f64(), "last_stored_s": all_stored.as_secs_f64(), "last_email_s": mailed.as_secs_f64(),
               "jobs_per_s": accepted as f64 / all_stored.as_secs_f64()})
    );
    Ok(())
}

/// Polls until the count reaches `want`.
async fn wait_for(ctx: &Ctx, sql: &'static str, id: i64, want: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&ctx.pool)
            .await?;
        if n >= want {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "gave up after 600 s waiting for {want} (have {n}): {sql}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
