//! Feeds: a `sessions_detail` schedule in feed mode exports, run after run, the sessions
//! closed since the previous run. Read back from the files: every session closed in the
//! feed's span is in exactly one file, across sessions open for days, ties, a late commit,
//! a worker killed mid-run and random interleavings of writes and runs.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use exportd_worker::jobs::{generate, schedule};
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    harness::{TestAccount, TestApp, assert_error, poll},
    schedules::{NO_SCHEDULER, create, set_next_run},
    sheets::{part, xlsx},
};

const ZONE: Tz = chrono_tz::America::Santiago;

/// 06:00 local on `date`: when the daily feed's run of that date is due.
fn due(date: NaiveDate) -> DateTime<Utc> {
    ZONE.from_local_datetime(&date.and_hms_opt(6, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

async fn feed_schedule(app: &TestApp, a: &TestAccount, first: NaiveDate) -> i64 {
    let (status, s) = create(
        app,
        a,
        json!({"kind": "sessions_detail", "format": "xlsx", "cadence": "daily", "hour": 6,
               "timezone": ZONE.name(), "feed": true}),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["feed"], true);
    let id = s["id"].as_i64().unwrap();
    set_next_run(app, id, due(first)).await;
    id
}

/// A contact with a name and no phone: the name is what its rows show.
async fn contact(pool: &PgPool, account: i64, name: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO contacts (account_id, name, phone) VALUES ($1, $2, '') RETURNING id",
    )
    .bind(account)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A session still open: its contact's name names it.
async fn open_session(pool: &PgPool, account: i64, name: &str, started: DateTime<Utc>) -> i64 {
    let contact = contact(pool, account, name).await;
    sqlx::query_scalar(
        "INSERT INTO chats (account_id, contact_id, started_at, last_msg_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(account)
    .bind(contact)
    .bind(started)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn close(pool: &PgPool, chat: i64, at: DateTime<Utc>) {
    sqlx::query("UPDATE chats SET closed_at = $2, last_msg_at = $2 WHERE id = $1")
        .bind(chat)
        .bind(at)
        .execute(pool)
        .await
        .unwrap();
}

/// One run's file, read back: its summary's pairs and its sessions' names.
struct RunFile {
    summary: BTreeMap<String, String>,
    names: Vec<String>,
    closes: Vec<String>,
}

async fn file_of(app: &TestApp, a: &TestAccount, id: i64) -> RunFile {
    let done = app.wait_finished(&a.token, id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (code, bytes) = app
        .download_url(
            &format!("{}/v1/exports/{id}/download", app.base),
            Some(&a.token),
        )
        .await;
    assert_eq!(code, 200);
    let sheets = xlsx(&bytes);
    let summary = part(&sheets, "Resumen")
        .iter()
        .filter(|r| r.len() >= 2)
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let rows = part(&sheets, "Sesiones");
    assert_eq!(
        rows[0].last().map(String::as_str),
        Some("Cierre"),
        "{:?}",
        rows[0]
    );
    let data = &rows[1..];
    // "phone name" with no phone: the name.
    let names = data.iter().map(|r| r[2].trim().to_owned()).collect();
    let closes = data.iter().map(|r| r.last().unwrap().clone()).collect();
    RunFile {
        summary,
        names,
        closes,
    }
}

async fn runs_of(app: &TestApp, schedule_id: i64) -> Vec<(i64, DateTime<Utc>, DateTime<Utc>)> {
    sqlx::query_as(
        "SELECT id, feed_from, feed_to FROM exports WHERE schedule_id = $1 ORDER BY feed_to, id",
    )
    .bind(schedule_id)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// Each name once across the files, and exactly the names expected.
fn assert_exactly_once(files: &[RunFile], want: &BTreeSet<String>) {
    let mut seen = BTreeMap::<&str, usize>::new();
    for f in files {
        for n in &f.names {
            *seen.entry(n).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "in more than one file: {twice:?}");
    let got: BTreeSet<String> = seen.keys().map(|s| (*s).to_owned()).collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_daily_runs_hold_each_closed_session_once_across_midnights_ties_a_late_commit_and_a_kill()
 {
    let app = TestApp::spawn_with(&[
        ("WORKER", "none"),
        NO_SCHEDULER,
        ("EXPORTD_LEASE_SECS", "3"),
    ])
    .await;
    let a = app.account("Feed", ZONE.name(), "vip", "es").await;
    let first = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    let id = feed_schedule(&app, &a, first).await;
    // The feed starts at the first day its first run covers: 2026-11-09 00:00 local.
    let start = ZONE
        .with_ymd_and_hms(2026, 11, 9, 0, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc);
    let cutoffs: Vec<DateTime<Utc>> = (0..11).map(|k| due(first + Duration::days(k))).collect();

    // 40 sessions, one every 5 h from 11-08 20:00Z: some closed within the hour, every
    // seventh open 30 h (across a midnight and a run), every fifth 50 h.
    let base: DateTime<Utc> = "2026-11-08T20:00:00Z".parse().unwrap();
    let mut sessions = Vec::new();
    for i in 0..40i64 {
        let started = base + Duration::hours(5 * i);
        let open_for = if i % 7 == 0 {
            Duration::hours(30)
        } else if i % 5 == 0 {
            Duration::hours(50)
        } else {
            Duration::minutes(40 + i)
        };
        let name = format!("S{i:02}");
        let chat = open_session(&app.pool, a.id, &name, started).await;
        sessions.push((name, chat, started + open_for));
    }
    // Two sessions close at the same instant.
    sessions[12].2 = sessions[11].2;
    // Session 19 closes before the fourth run's cutoff but commits only after that run.
    let late = 19;
    assert!(sessions[late].2 < cutoffs[3] && sessions[late].2 >= cutoffs[2]);
    let last_cutoff = cutoffs[9];
    let want: BTreeSet<String> = sessions
        .iter()
        .filter(|(_, _, at)| *at >= start && *at < last_cutoff)
        .map(|(n, _, _)| n.clone())
        .collect();
    assert!(want.len() > 20 && want.len() < 40, "{}", want.len());

    let mut closed = BTreeSet::new();
    let mut files = Vec::new();
    for (k, cutoff) in cutoffs.iter().enumerate() {
        // What closed before the cutoff is committed before the run, except the late one;
        // nothing closes after the tenth run's cutoff, so the eleventh run is empty.
        for (i, (_, chat, at)) in sessions.iter().enumerate() {
            if *at < *cutoff && *at < last_cutoff && i != late && closed.insert(i) {
                close(&app.pool, *chat, *at).await;
            }
        }
        let made = schedule::tick(&app.ctx, *cutoff).await.unwrap();
        assert_eq!(made.len(), 1, "run {k}");
        if k == 3 {
            close(&app.pool, sessions[late].1, sessions[late].2).await;
        }
        let export = made[0];
        if k == 5 {
            // The worker is killed with the run under way; another finishes it.
            let lock = app.block_reports().await;
            let mut w1 = app.worker_process(&[]);
            poll(30, "the run to be claimed", || async {
                let s: String = sqlx::query_scalar("SELECT status FROM exports WHERE id = $1")
                    .bind(export)
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
                (s == "running").then_some(())
            })
            .await;
            w1.kill().unwrap();
            w1.wait().unwrap();
            let mut w2 = app.worker_process(&[]);
            TestApp::unblock(lock).await;
            let file = file_of(&app, &a, export).await;
            w2.kill().unwrap();
            w2.wait().unwrap();
            files.push(file);
        } else {
            generate::run(&app.ctx, export).await.unwrap();
            files.push(file_of(&app, &a, export).await);
        }
    }

    assert_exactly_once(&files, &want);
    assert!(
        files[4].names.contains(&sessions[late].0),
        "the late commit is in the next run"
    );
    assert!(files[10].names.is_empty(), "the last run found nothing");
    // Ties: both sessions of the shared instant, in one file.
    assert!(
        files
            .iter()
            .any(|f| f.names.contains(&"S11".to_owned()) && f.names.contains(&"S12".to_owned()))
    );
    // Consecutive intervals, from the feed's start; each file says its interval and rows.
    let runs = runs_of(&app, id).await;
    assert_eq!(runs.len(), 11);
    assert_eq!(runs[0].1, start);
    for (k, (export, from, to)) in runs.iter().enumerate() {
        assert_eq!(*to, cutoffs[k], "run {k} ends at its cutoff");
        if k > 0 {
            assert_eq!(
                *from,
                runs[k - 1].2,
                "run {k} starts where run {} ended",
                k - 1
            );
        }
        let f = &files[k];
        assert_eq!(
            f.summary.get("Filas"),
            Some(&f.names.len().to_string()),
            "run {k}"
        );
        let local = |t: &DateTime<Utc>| {
            t.with_timezone(&ZONE)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        assert_eq!(
            f.summary.get("Intervalo de cierre"),
            Some(&format!("[{}, {})", local(from), local(to))),
            "run {k}"
        );
        let mut sorted = f.closes.clone();
        sorted.sort();
        assert_eq!(f.closes, sorted, "run {k} is in close order");
        let (_, e) = app.get_export(&a.token, *export).await;
        assert_eq!(e["file"]["rows"], f.names.len() as i64, "{e}");
    }
    let (_, shown) = app.get_json(&a.token, &format!("/v1/schedules/{id}")).await;
    let last = &shown["last_runs"][0];
    assert_eq!(last["rows"], 0, "{shown}");
    assert_eq!(
        last["feed_to"]
            .as_str()
            .map(|t| t.parse::<DateTime<Utc>>().unwrap()),
        Some(cutoffs[10])
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_interleavings_of_closes_and_runs_put_every_closed_session_in_one_file() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    for seed in [7u64, 11, 23] {
        let a = app
            .account(&format!("Random {seed}"), ZONE.name(), "vip", "es")
            .await;
        let first = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
        let id = feed_schedule(&app, &a, first).await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let start = ZONE
            .with_ymd_and_hms(2026, 10, 4, 0, 0, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc);
        let mut clock = start + Duration::hours(1);
        let mut open: Vec<(String, i64)> = Vec::new();
        let mut want = BTreeSet::new();
        let mut files = Vec::new();
        let mut n = 0;
        for day in 0..8 {
            let cutoff = due(first + Duration::days(day));
            // Writes until the cutoff, in random order: new sessions, and closes at an
            // instant up to 3 h back (a commit after a later one's, or after a run).
            while clock < cutoff {
                clock += Duration::minutes(rng.random_range(20..180));
                if open.is_empty() || rng.random_range(0..3) == 0 {
                    n += 1;
                    let name = format!("R{seed}-{n:03}");
                    let chat =
                        open_session(&app.pool, a.id, &name, clock - Duration::hours(4)).await;
                    open.push((name, chat));
                } else {
                    let (name, chat) = open.swap_remove(rng.random_range(0..open.len()));
                    let at = (clock - Duration::minutes(rng.random_range(0..180))).max(start);
                    close(&app.pool, chat, at).await;
                    want.insert(name);
                }
            }
            for export in schedule::tick(&app.ctx, cutoff).await.unwrap() {
                generate::run(&app.ctx, export).await.unwrap();
                files.push(file_of(&app, &a, export).await);
            }
        }
        // A last run after every write takes what closed late.
        let last = due(first + Duration::days(8));
        assert!(clock < last + Duration::hours(3));
        for export in schedule::tick(&app.ctx, last + Duration::hours(4))
            .await
            .unwrap()
        {
            generate::run(&app.ctx, export).await.unwrap();
            files.push(file_of(&app, &a, export).await);
        }
        assert_eq!(files.len(), 9, "seed {seed}");
        assert_exactly_once(&files, &want);
        assert!(!want.is_empty());
        let runs = runs_of(&app, id).await;
        for w in runs.windows(2) {
            assert_eq!(w[0].2, w[1].1, "seed {seed}: consecutive intervals");
        }
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn feed_mode_is_for_sessions_in_detail() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Feed kinds", "UTC", "vip", "es").await;
    let (status, body) = create(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "cadence": "daily", "hour": 6, "feed": true}),
    )
    .await;
    assert_error(status, &body, 422, "invalid_feed");
    let (status, body): (u16, Value) = create(
        &app,
        &a,
        json!({"kind": "sessions_detail", "format": "csv", "cadence": "daily", "hour": 6}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["feed"], false);
    app.shutdown().await;
}

async fn message(pool: &PgPool, account: i64, name: &str, created: DateTime<Utc>) -> i64 {
    let contact = contact(pool, account, name).await;
    sqlx::query_scalar(
        "INSERT INTO outbound_messages (account_id, contact_id, template, body, status, created_at)
         VALUES ($1, $2, 'promo', 'Hola', 'pending', $3) RETURNING id",
    )
    .bind(account)
    .bind(contact)
    .bind(created)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn set_status(pool: &PgPool, id: i64, status: &str, at: DateTime<Utc>) {
    sqlx::query("UPDATE outbound_messages SET status = $2, status_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(at)
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaign_feed_exports_each_status_change_once_and_says_when_a_message_came_before() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Campaign feed", ZONE.name(), "vip", "es").await;
    let first = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    let (status, s) = create(
        &app,
        &a,
        json!({"kind": "campaigns", "format": "xlsx", "cadence": "daily", "hour": 6,
               "timezone": ZONE.name(), "feed": true}),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    let id = s["id"].as_i64().unwrap();
    set_next_run(&app, id, due(first)).await;
    let day = |k: i64| due(first + Duration::days(k));
    let m1 = message(&app.pool, a.id, "M1", day(-1) + Duration::hours(2)).await;
    let m2 = message(&app.pool, a.id, "M2", day(-1) + Duration::hours(3)).await;
    let _pending = message(&app.pool, a.id, "M3", day(-1) + Duration::hours(4)).await;
    // M1: sent, delivered the next day, read two days later. M2: sent and read within one
    // run (the run sees it read). M3: still pending, never final.
    set_status(&app.pool, m1, "sent", day(-1) + Duration::hours(5)).await;
    set_status(&app.pool, m2, "read", day(-1) + Duration::hours(7)).await;
    let mut sheets = Vec::new();
    for k in 0..4 {
        if k == 1 {
            set_status(&app.pool, m1, "delivered", day(0) + Duration::hours(1)).await;
        }
        if k == 3 {
            set_status(&app.pool, m1, "read", day(2) + Duration::hours(1)).await;
        }
        let made = schedule::tick(&app.ctx, day(k)).await.unwrap();
        assert_eq!(made.len(), 1);
        generate::run(&app.ctx, made[0]).await.unwrap();
        let done = app.wait_finished(&a.token, made[0]).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        let (_, bytes) = app
            .download_url(
                &format!("{}/v1/exports/{}/download", app.base, made[0]),
                Some(&a.token),
            )
            .await;
        let x = xlsx(&bytes);
        let rows = part(&x, "Envíos").to_vec();
        assert_eq!(
            rows[0][7..],
            ["Cambio de estado", "Ya exportado con otro estado"]
        );
        sheets.push(rows[1..].to_vec());
    }
    // (contact, state, exported before) per run.
    let seen: Vec<Vec<(String, String, String)>> = sheets
        .iter()
        .map(|rows| {
            rows.iter()
                .map(|r| (r[0].trim().to_owned(), r[3].clone(), r[8].clone()))
                .collect()
        })
        .collect();
    let t = |c: &str, s: &str, b: &str| (c.to_owned(), s.to_owned(), b.to_owned());
    assert_eq!(
        seen,
        [
            vec![t("M1", "Enviado", "No"), t("M2", "Leído", "No")],
            vec![t("M1", "Recibido", "Sí")],
            vec![],
            vec![t("M1", "Leído", "Sí")],
        ]
    );
    app.shutdown().await;
}

async fn taken(app: &TestApp, schedule_id: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT row_id FROM feed_rows WHERE schedule_id = $1 ORDER BY row_id")
        .bind(schedule_id)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_forgets_the_rows_no_later_run_can_take_and_never_takes_them_again() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Forget", ZONE.name(), "vip", "es").await;
    let first = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let id = feed_schedule(&app, &a, first).await;
    let day = |k: i64| due(first + Duration::days(k));
    let old = open_session(&app.pool, a.id, "Old", day(-1) - Duration::hours(2)).await;
    close(&app.pool, old, day(-1)).await;
    assert_eq!(schedule::tick(&app.ctx, day(0)).await.unwrap().len(), 1);
    assert_eq!(taken(&app, id).await, [old]);
    // Forty days later (forty more runs): a session of day 35 is taken; the old one now
    // started more than 30 days before the feed's latest run, so no run can take it again.
    let recent = open_session(&app.pool, a.id, "Recent", day(35)).await;
    close(&app.pool, recent, day(35) + Duration::hours(1)).await;
    assert_eq!(schedule::tick(&app.ctx, day(40)).await.unwrap().len(), 40);
    assert_eq!(taken(&app, id).await, [old, recent]);
    let forgotten = exportd_core::schedules::feed::forget(&app.pool, 10_000)
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    assert_eq!(taken(&app, id).await, [recent]);
    // The old session changes again: it is not exported twice.
    close(&app.pool, old, day(40) + Duration::hours(1)).await;
    let made = schedule::tick(&app.ctx, day(41)).await.unwrap();
    assert_eq!(made.len(), 1);
    let in_run: i64 = sqlx::query_scalar("SELECT count(*) FROM feed_rows WHERE export_id = $1")
        .bind(made[0])
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(in_run, 0);
    app.shutdown().await;
}
