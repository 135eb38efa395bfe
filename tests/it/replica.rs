//! Reports read the platform's tables on a real hot standby: the streaming pair that
//! `scripts/services.sh` makes (a primary from `initdb`, its standby from
//! `pg_basebackup -R`). A report reads the standby only once it has replayed what the
//! primary had committed at the claim; with replay paused, or the standby stopped, it reads
//! the primary, and its figures hold a row written just before it was asked for.

use std::time::Duration;

use exportd_core::replica::Replica;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};

use crate::{
    harness::{TestAccount, TestApp, env, poll},
    sheets::{csv_zip, part},
};

/// One test at a time on the pair: a paused replay or a stopped standby is the whole
/// pair's state. The lock is held as long as the connection is.
async fn hold_the_pair() -> PgConnection {
    let mut c = PgConnection::connect(&env("EXPORTD_TEST_PAIR_PRIMARY_URL"))
        .await
        .unwrap();
    sqlx::query("SELECT pg_advisory_lock(7402, 1)")
        .execute(&mut c)
        .await
        .unwrap();
    c
}

/// Runs `pg_ctl` on the standby as the postgres user.
fn standby_ctl(args: &[&str]) {
    let dir = env("EXPORTD_TEST_PAIR_DIR");
    let status = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(format!("{}/pg_ctl", env("EXPORTD_TEST_PG_BIN")))
        .args(["-D", &format!("{dir}/standby"), "-w"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run pg_ctl");
    assert!(status.success(), "pg_ctl {args:?}");
}

/// The standby stopped for real; started again when dropped, whatever the test did.
struct Stopped;

impl Stopped {
    fn stop() -> Stopped {
        standby_ctl(&["stop", "-m", "fast"]);
        Stopped
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let log = format!("{}/standby.log", env("EXPORTD_TEST_PAIR_DIR"));
        standby_ctl(&["start", "-l", &log]);
    }
}

/// The standby's replay paused; resumed when dropped.
struct Paused;

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .arg(env("EXPORTD_TEST_PAIR_STANDBY_URL"))
            .args(["-qtAc", "SELECT pg_wal_replay_resume()"])
            .status();
    }
}

async fn standby() -> PgPool {
    PgPool::connect(&env("EXPORTD_TEST_PAIR_STANDBY_URL"))
        .await
        .unwrap()
}

async fn pause() -> Paused {
    let s = standby().await;
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&s)
        .await
        .unwrap();
    poll(10, "replay paused", || async {
        let state: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
            .fetch_one(&s)
            .await
            .unwrap();
        (state == "paused").then_some(())
    })
    .await;
    Paused
}

/// Waits until the standby answers and has replayed everything the primary has written.
async fn caught_up(app: &TestApp) {
    let target: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    poll(30, "the standby to catch up", || async {
        let s = PgPool::connect(&env("EXPORTD_TEST_PAIR_STANDBY_URL"))
            .await
            .ok()?;
        let done: Option<bool> =
            sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn")
                .bind(&target)
                .fetch_one(&s)
                .await
                .ok()?;
        done.filter(|d| *d).map(drop)
    })
    .await;
}

/// [`caught_up`], then the primary's pg_stat_statements emptied: what it counts next was
/// run after this point.
async fn caught_up_with_primary_counts_reset(app: &TestApp) {
    caught_up(app).await;
    sqlx::query("SELECT pg_stat_statements_reset()")
        .execute(
            &PgPool::connect(&env("EXPORTD_TEST_PAIR_PRIMARY_URL"))
                .await
                .unwrap(),
        )
        .await
        .unwrap();
}

/// Calls of the statements like `pattern` that a server ran for `db`, by its
/// pg_stat_statements.
async fn calls(server_url: &str, db: &str, pattern: &str) -> i64 {
    let p = PgPool::connect(server_url).await.unwrap();
    sqlx::query_scalar(
        "SELECT coalesce(sum(s.calls), 0)::int8 FROM pg_stat_statements s
           JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = $1 AND s.query LIKE $2",
    )
    .bind(db)
    .bind(pattern)
    .fetch_one(&p)
    .await
    .unwrap()
}

/// Calls of `sessions_detail`'s queries (its survey and rows, over chats joined to their
/// sites).
async fn chat_queries(server_url: &str, db: &str) -> i64 {
    calls(
        server_url,
        db,
        "%FROM chats ch%LEFT JOIN sites s ON s.id = ch.site_id%",
    )
    .await
}

/// How many reports read the source tables on `source` for `reason`, by `/metrics`.
fn reads(source: &str, reason: &str) -> u64 {
    exportd_core::telemetry::render()
        .lines()
        .filter(|l| l.starts_with("exportd_source_reads_total{") && l.contains("by=\"report\""))
        .filter(|l| {
            l.contains(&format!("source=\"{source}\""))
                && l.contains(&format!("reason=\"{reason}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn add_chat(app: &TestApp, account: i64, site: i64, at: &str) {
    sqlx::query(
        "INSERT INTO chats (account_id, site_id, started_at, missed) VALUES ($1, $2, $3::timestamptz, false)",
    )
    .bind(account)
    .bind(site)
    .bind(at)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// The data rows of a `sessions_detail` export of 2026-11-02.
async fn sessions(app: &TestApp, acct: &TestAccount) -> usize {
    let body = json!({"kind": "sessions_detail", "format": "csv", "from": "2026-11-02", "to": "2026-11-02"});
    let csv = csv_zip(&app.export_file(&acct.token, &body).await, b',');
    part(&csv, "sessions.csv").len() - 1
}

async fn readyz(app: &TestApp) -> (u16, Value) {
    let r = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_read_the_standby_once_it_has_replayed_the_claim_and_else_the_primary() {
    let _pair = hold_the_pair().await;
    // Without rollups, whose builder still scans the primary: this test is about reports.
    let app = TestApp::spawn_with(&[
        ("PG_PAIR", "true"),
        ("EXPORTD_REPLICA_MAX_WAIT_SECS", "2"),
        ("EXPORTD_ROLLUPS", "false"),
    ])
    .await;
    let db = app.vars["DATABASE_URL"]
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let acct = app.account("Réplica", "UTC", "vip", "es").await;
    let site: i64 = sqlx::query_scalar(
        "INSERT INTO sites (account_id, name, channel) VALUES ($1, 'Web', 'webchat') RETURNING id",
    )
    .bind(acct.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    for at in [
        "2026-11-02T09:00:00Z",
        "2026-11-02T10:00:00Z",
        "2026-11-02T11:00:00Z",
    ] {
        add_chat(&app, acct.id, site, at).await;
    }
    let primary = env("EXPORTD_TEST_PAIR_PRIMARY_URL");
    let standby_url = env("EXPORTD_TEST_PAIR_STANDBY_URL");

    // Caught up: the report's queries run on the standby, none on the primary.
    caught_up_with_primary_counts_reset(&app).await;
    let on_standby = chat_queries(&standby_url, &db).await;
    assert_eq!(sessions(&app, &acct).await, 3);
    assert_eq!(reads("replica", "caught_up"), 1);
    assert_eq!(
        chat_queries(&primary, &db).await,
        0,
        "no report query on the primary"
    );
    assert!(
        chat_queries(&standby_url, &db).await > on_standby,
        "the report ran on the standby"
    );
    let (status, ready) = readyz(&app).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["replica"]["ok"], true, "{ready}");

    // Replay paused: a row written just before the request is not on the standby, so the
    // export waits its 2 s, then reads the primary, and the row is in it.
    {
        let _paused = pause().await;
        add_chat(&app, acct.id, site, "2026-11-02T12:00:00Z").await;
        let (_, ready) = readyz(&app).await;
        assert!(
            ready["replica"]["lag_bytes"].as_i64().unwrap() > 0,
            "{ready}"
        );
        let t = std::time::Instant::now();
        assert_eq!(
            sessions(&app, &acct).await,
            4,
            "the row written before the request"
        );
        assert!(
            t.elapsed() >= Duration::from_secs(2),
            "it waited for the standby first"
        );
        assert_eq!(reads("primary", "lag"), 1);
        assert!(
            chat_queries(&primary, &db).await > 0,
            "this one ran on the primary"
        );
    }

    // Resumed: reports go back to the standby.
    caught_up(&app).await;
    assert_eq!(sessions(&app, &acct).await, 4);
    assert_eq!(reads("replica", "caught_up"), 2);

    // The standby stopped: exports still succeed, from the primary, and lose nothing.
    {
        let _stopped = Stopped::stop();
        let (status, ready) = readyz(&app).await;
        assert_eq!(
            status, 200,
            "a replica down leaves the process ready: {ready}"
        );
        assert_eq!(ready["replica"]["state"], "down", "{ready}");
        add_chat(&app, acct.id, site, "2026-11-02T13:00:00Z").await;
        assert_eq!(sessions(&app, &acct).await, 5);
        assert_eq!(reads("primary", "down"), 1);
    }

    // Started again: back to the standby once it has caught up, and once the few seconds
    // a replica that did not answer is left alone have passed.
    caught_up(&app).await;
    poll(30, "reports to read the standby again", || async {
        assert_eq!(sessions(&app, &acct).await, 5);
        (reads("replica", "caught_up") == 3).then_some(())
    })
    .await;
    app.shutdown().await;
}

/// The rows of every rollup table, as text, in order.
async fn rollup_rows(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for table in exportd_worker::rollup::spec::tables() {
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM {table} t"
        )))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        out.push(format!("{table}:\n{rows}"));
    }
    out
}

/// Runs the builder until a pass builds nothing more; returns the days it built.
async fn build_all(app: &TestApp, replica: Option<&Replica>) -> usize {
    let days = std::sync::atomic::AtomicUsize::new(0);
    poll(120, "the rollups to be built", || async {
        let r = exportd_worker::rollup::refresh(&app.pool, replica, &app.ctx.cfg, &|| false)
            .await
            .unwrap();
        let so_far = days.fetch_add(r.days, std::sync::atomic::Ordering::Relaxed) + r.days;
        (r.settled && r.days == 0 && r.blocks == 0 && so_far > 0).then_some(())
    })
    .await;
    days.into_inner()
}

/// Calls of the builder's reads (`COPY (…) TO STDOUT` of a span of days' rows).
async fn builder_reads(server_url: &str, db: &str) -> i64 {
    calls(server_url, db, "COPY (%TO STDOUT").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollups_built_from_the_standby_equal_those_built_from_the_primary() {
    let _pair = hold_the_pair().await;
    // The builder is run by the test, not by the worker.
    let app = TestApp::spawn_with(&[("PG_PAIR", "true"), ("EXPORTD_ROLLUPS", "false")]).await;
    let db = app.vars["DATABASE_URL"]
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    exportd_bench::seed::seed(
        &app.pool,
        &exportd_bench::seed::SeedParams {
            account_name: "Réplica".into(),
            plan: "base".into(),
            timezone: "America/Santiago".parse().unwrap(),
            locale: "es".into(),
            admin_email: "admin@replica.example".into(),
            sites: 3,
            agents: 6,
            days: 8,
            last_day: "2026-11-20".parse().unwrap(),
            chats_per_day: 60,
            seed: 7,
            events_per_accepted: 0.2,
            bans_per_accepted: 0.02,
            messages: true,
        },
    )
    .await
    .unwrap();
    let primary = env("EXPORTD_TEST_PAIR_PRIMARY_URL");
    let standby_url = env("EXPORTD_TEST_PAIR_STANDBY_URL");
    caught_up_with_primary_counts_reset(&app).await;

    // Built with the standby: the days' rows are read there, none on the primary.
    let replica = app.ctx.replica.clone().expect("DATABASE_READ_URL is set");
    let days = build_all(&app, Some(&*replica)).await;
    assert!(days >= 8, "{days} days built");
    assert_eq!(
        builder_reads(&primary, &db).await,
        0,
        "no day read on the primary"
    );
    // One read per statement of each span of days, and at least one span.
    let statements: usize = exportd_worker::rollup::spec::registered()
        .map(|(_, r)| r.days.len())
        .sum();
    assert!(builder_reads(&standby_url, &db).await >= statements as i64);
    let from_standby = rollup_rows(&app).await;
    assert!(
        from_standby.iter().all(|t| t.lines().count() > 1),
        "every table has rows: {from_standby:?}"
    );

    // Built again from the primary alone: the same rows.
    let tables: Vec<&str> = std::iter::once("rollup_blocks")
        .chain(exportd_worker::rollup::spec::tables())
        .collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "TRUNCATE {}",
        tables.join(", ")
    )))
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(build_all(&app, None).await, days);
    assert_eq!(rollup_rows(&app).await, from_standby);
    app.shutdown().await;
}
