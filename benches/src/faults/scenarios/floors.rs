//! What no POST can beat on this machine under scenario 7's load: the HTTP floor, a
//! one-row INSERT committed, and the same rows coalesced into one commit.

use std::time::{Duration, Instant};

use crate::faults::Stage;

/// What no POST can beat on this machine under this load: `n` requests by the same 32
/// clients back to back, to `GET /healthz` (HTTP alone, no database), and straight to
/// Postgres as a one-row INSERT committed, over 16 connections as the API's pool has.
/// Run while the workers work through what was posted.
pub(super) async fn floors(
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
pub(super) async fn healthz(stage: &Stage) -> bool {
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

pub(super) fn p50_p99(d: &mut [Duration]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "{:.1} / {:.1}",
        ms(crate::stats::quantile(d, 0.5)),
        ms(crate::stats::quantile(d, 0.99))
    )
}
