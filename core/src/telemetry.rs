//! Counters and histograms kept in the process (the `metrics` facade with the Prometheus
//! exporter), so a scrape reads memory, never the database. Every process that does work
//! records here: `exportd all` serves it all on the API's `/metrics`; a worker of its own
//! serves its figures on `EXPORTD_WORKER_METRICS_LISTEN`.

use std::{sync::OnceLock, time::Duration};

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const BATCH: &str = "exportd_api_exports_per_commit";
/// Exports, from one alone to the committer's largest batch.
const BATCH_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Seconds, from a request's few milliseconds to an export's half hour.
const BUCKETS: [f64; 16] = [
    0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
];

/// Installs the process's recorder, once: [`crate::Shared::connect`] does, so every
/// process that does work records from its start. Figures recorded before go nowhere.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("buckets are not empty")
            .set_buckets_for_metric(Matcher::Full(BATCH.into()), &BATCH_BUCKETS)
            .expect("buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // One recorder per process; should another be installed first, figures go there.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

/// The Prometheus text of every figure recorded so far.
pub fn render() -> String {
    install().render()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "exportd_exports_total",
        "Exports finished, by kind, format and outcome."
    );
    describe_histogram!(
        "exportd_export_queue_wait_seconds",
        Unit::Seconds,
        "From request (or retry due) to an attempt starting."
    );
    describe_histogram!(
        "exportd_export_run_seconds",
        Unit::Seconds,
        "One attempt, start to file stored."
    );
    describe_counter!(
        "exportd_rows_written_total",
        "Data rows written into files, by format."
    );
    describe_counter!(
        "exportd_bytes_uploaded_total",
        Unit::Bytes,
        "Bytes of files stored."
    );
    describe_counter!(
        "exportd_notifications_total",
        "Notification attempts, by channel and outcome."
    );
    describe_counter!(
        "exportd_http_requests_total",
        "HTTP requests, by route, method and status."
    );
    describe_histogram!(
        "exportd_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency, by route and method."
    );
    describe_histogram!(
        BATCH,
        "Exports the API wrote with one statement and commit (group commit of concurrent POSTs)."
    );
    describe_counter!(
        "exportd_source_reads_total",
        "Reads of the source tables by reports and by the rollup builder (by), by where they ran (source: replica, primary) and why (reason: caught_up, lag, down, not_a_replica, no_replica)."
    );
    describe_histogram!(
        "exportd_replica_wait_seconds",
        Unit::Seconds,
        "How long a report or the rollup builder (by) waited for the replica to replay the primary's position."
    );
    describe_gauge!(
        "exportd_dispatch_depth",
        "Jobs waiting in Redis per queue, at the last dispatch."
    );
}

/// Where a report or the rollup builder (`by`) read the source tables, why, and how long
/// it waited for the replica.
pub fn source_read(by: &'static str, source: &'static str, reason: &'static str, waited: Duration) {
    counter!("exportd_source_reads_total", "by" => by, "source" => source, "reason" => reason)
        .increment(1);
    if reason != "no_replica" {
        histogram!("exportd_replica_wait_seconds", "by" => by).record(waited.as_secs_f64());
    }
}

/// An export ended: `succeeded`, `failed` or `cancelled`.
pub fn export_finished(kind: &str, format: &str, outcome: &'static str) {
    counter!("exportd_exports_total", "kind" => kind.to_owned(), "format" => format.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// An attempt started after waiting `wait` in the queue.
pub fn export_started(kind: &str, wait: Duration) {
    histogram!("exportd_export_queue_wait_seconds", "kind" => kind.to_owned())
        .record(wait.as_secs_f64());
}

/// An attempt stored its file after `run`.
pub fn export_stored(kind: &str, format: &str, run: Duration, bytes: u64) {
    histogram!("exportd_export_run_seconds", "kind" => kind.to_owned(), "format" => format.to_owned())
        .record(run.as_secs_f64());
    counter!("exportd_bytes_uploaded_total").increment(bytes);
}

/// A file was finished with `rows` data rows.
pub fn rows_written(format: &'static str, rows: u64) {
    counter!("exportd_rows_written_total", "format" => format).increment(rows);
}

/// A notification attempt: `sent`, `retry` or `failed`.
pub fn notification(channel: &str, outcome: &'static str) {
    counter!("exportd_notifications_total", "channel" => channel.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// An HTTP request answered.
pub fn http_request(route: &str, method: &str, status: u16, took: Duration) {
    counter!(
        "exportd_http_requests_total",
        "route" => route.to_owned(),
        "method" => method.to_owned(),
        "status" => status.to_string()
    )
    .increment(1);
    histogram!(
        "exportd_http_request_duration_seconds",
        "route" => route.to_owned(),
        "method" => method.to_owned()
    )
    .record(took.as_secs_f64());
}

/// What a dispatch saw waiting in a queue.
pub fn dispatch_depth(queue: &'static str, depth: usize) {
    gauge!("exportd_dispatch_depth", "queue" => queue).set(depth as f64);
}

/// The API wrote `n` exports asked for at about the same time with one commit.
pub fn exports_committed_together(n: usize) {
    histogram!(BATCH).record(n as f64);
}
