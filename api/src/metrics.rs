//! `GET /metrics`: Prometheus text, derived from Postgres (the record of every export and
//! notification) and Redis (what waits in the queues), so every API process reports the
//! same figures whichever process did the work.

use std::{fmt::Write, sync::Arc};

use axum::{extract::State, http::header, response::IntoResponse};
use exportd_core::Shared;
use exportd_core::queue::{self, QueueName};

use crate::error::ApiResult;

pub async fn metrics(State(ctx): State<Arc<Shared>>) -> ApiResult<impl IntoResponse> {
    let mut out = String::new();
    let exports: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM exports GROUP BY status ORDER BY status")
            .fetch_all(&ctx.pool)
            .await?;
    out.push_str("# HELP exportd_exports Exports by state.\n# TYPE exportd_exports gauge\n");
    for (status, n) in exports {
        writeln!(out, "exportd_exports{{status=\"{status}\"}} {n}").expect("to a String");
    }
    let notes: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT channel, status, count(*) FROM notifications GROUP BY channel, status ORDER BY channel, status",
    )
    .fetch_all(&ctx.pool)
    .await?;
    out.push_str("# HELP exportd_notifications Notifications by channel and state.\n# TYPE exportd_notifications gauge\n");
    for (channel, status, n) in notes {
        writeln!(
            out,
            "exportd_notifications{{channel=\"{channel}\",status=\"{status}\"}} {n}"
        )
        .expect("to a String");
    }
    // The last hour of finished exports: how long they waited and ran, and what they stored.
    let (n, wait, run, max_run, bytes): (i64, Option<f64>, Option<f64>, Option<f64>, Option<i64>) = sqlx::query_as(
        "SELECT count(*), avg(date_part('epoch', started_at - created_at)), avg(date_part('epoch', finished_at - started_at)),
                max(date_part('epoch', finished_at - started_at)), sum(file_bytes)::bigint
           FROM exports WHERE status IN ('succeeded', 'expired') AND finished_at > now() - interval '1 hour'",
    )
    .fetch_one(&ctx.pool)
    .await?;
    let gauge = |out: &mut String, name: &str, help: &str, v: f64| {
        writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}")
            .expect("to a String");
    };
    gauge(
        &mut out,
        "exportd_exports_finished_last_hour",
        "Exports that succeeded in the last hour.",
        n as f64,
    );
    gauge(
        &mut out,
        "exportd_queue_wait_seconds_avg_last_hour",
        "Average time from request to start, last hour.",
        wait.unwrap_or(0.0),
    );
    gauge(
        &mut out,
        "exportd_job_duration_seconds_avg_last_hour",
        "Average time from start to file stored, last hour.",
        run.unwrap_or(0.0),
    );
    gauge(
        &mut out,
        "exportd_job_duration_seconds_max_last_hour",
        "Longest time from start to file stored, last hour.",
        max_run.unwrap_or(0.0),
    );
    gauge(
        &mut out,
        "exportd_bytes_stored_last_hour",
        "Bytes of files stored in the last hour.",
        bytes.unwrap_or(0) as f64,
    );
    out.push_str("# HELP exportd_queue_depth Jobs waiting in Redis per queue.\n# TYPE exportd_queue_depth gauge\n");
    let mut conn = ctx.redis.clone();
    for q in QueueName::ALL {
        let depth = queue::depth(&mut conn, &queue::redis_config(&ctx.cfg, q))
            .await
            .map_err(|e| anyhow::Error::new(e).context("queue depth"))?;
        writeln!(
            out,
            "exportd_queue_depth{{queue=\"{}\"}} {depth}",
            q.table()
        )
        .expect("to a String");
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
