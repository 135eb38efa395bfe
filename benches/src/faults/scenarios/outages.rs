//! Scenarios 1 to 6: S3, SMTP, Redis, the workers, Postgres or a webhook receiver goes
//! away (or answers 500) under load, and every export must still be delivered once.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use super::settle::{SETTLE, clean};
use crate::faults::{Outcome, Posted, Stage, hook};

/// 1. The S3 endpoint refuses connections for 30 s while 50 exports run.
pub(super) async fn s3_outage(stage: Stage) -> anyhow::Result<Outcome> {
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
pub(super) async fn smtp_outage(mut stage: Stage, outage: Duration) -> anyhow::Result<Outcome> {
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
pub(super) async fn redis_restart(mut stage: Stage) -> anyhow::Result<Outcome> {
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
pub(super) async fn rolling_restarts(mut stage: Stage) -> anyhow::Result<Outcome> {
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
pub(super) async fn postgres_restart(stage: Stage) -> anyhow::Result<Outcome> {
    let stage = Arc::new(stage);
    let load = stage.load(Duration::from_millis(100));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stage.svc.pg.down()?;
    // From when the server has stopped: requests during its shutdown may still succeed.
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    stage.svc.pg.up()?;
    let up = Instant::now();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let seen = load.end().await?;
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
pub(super) async fn webhook_500(stage: Stage, outage: Duration) -> anyhow::Result<Outcome> {
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
