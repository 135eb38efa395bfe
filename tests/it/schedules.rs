//! Monthly schedules: exactly one export per period whatever runs them, catch-up after
//! downtime, real local time across DST, the previous month in the schedule's timezone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use exportd_core::schedules::{Cadence, Covers, MonthDay, Timing};
use exportd_worker::jobs::schedule;
use serde_json::{Value, json};

use crate::{
    harness::{TestAccount, TestApp, assert_error, assert_error_response, emails_to, nonce, poll},
    sheets,
};

/// When a monthly schedule's run on `date` at `hour` local in `tz` is due.
fn monthly_due(date: &str, hour: u32, tz: Tz) -> DateTime<Utc> {
    let date: NaiveDate = date.parse().unwrap();
    Timing {
        cadence: Cadence::Monthly(MonthDay::Day(chrono::Datelike::day(&date))),
        hour,
        tz,
        covers: Covers::Closed,
        week_start: chrono::Weekday::Mon,
    }
    .due_at(date)
}

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) async fn create(app: &TestApp, a: &TestAccount, body: Value) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(&a.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn set_next_run(app: &TestApp, id: i64, at: DateTime<Utc>) {
    sqlx::query("UPDATE schedules SET next_run_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(&app.pool)
        .await
        .unwrap();
}

pub(crate) async fn runs(app: &TestApp, id: i64) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT period, range_from::text, range_to::text FROM exports WHERE schedule_id = $1 ORDER BY period")
        .bind(id)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

pub(crate) const NO_SCHEDULER: (&str, &str) = ("EXPORTD_SCHEDULER_INTERVAL_MS", "0");

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_scheduler_processes_and_concurrent_passes_make_one_export_for_the_period() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let a = app.account("Twice", "America/Santiago", "pro", "es").await;
    let (s, sch) = create(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "day_of_month": 1, "hour": 6}),
    )
    .await;
    assert_eq!(s, 201, "{sch}");
    let id = sch["id"].as_i64().unwrap();
    set_next_run(&app, id, Utc::now() - chrono::Duration::minutes(1)).await;
    let mut w1 = app.worker_process(&[("EXPORTD_SCHEDULER_INTERVAL_MS", "50")]);
    let mut w2 = app.worker_process(&[("EXPORTD_SCHEDULER_INTERVAL_MS", "50")]);
    // The two processes race for the due schedule; then four more passes race in here.
    poll(30, "the scheduled export to succeed", || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM exports WHERE schedule_id = $1 AND status = 'succeeded'",
        )
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        (n >= 1).then_some(())
    })
    .await;
    let passes =
        futures::future::join_all((0..4).map(|_| schedule::tick(&app.ctx, Utc::now()))).await;
    assert!(
        passes
            .iter()
            .all(|p| p.as_ref().is_ok_and(|made| made.is_empty()))
    );
    let r = runs(&app, id).await;
    assert_eq!(r.len(), 1, "exactly one export for the period: {r:?}");
    let month = Utc::now()
        .with_timezone(&chrono_tz::America::Santiago)
        .format("%Y-%m")
        .to_string();
    assert_eq!(r[0].0, month);
    w1.kill().unwrap();
    w2.kill().unwrap();
    w1.wait().unwrap();
    w2.wait().unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduler_down_across_two_due_dates_makes_both_months_with_the_right_ranges_and_emails()
{
    let mut app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app
        .account("Catch-up", "America/Santiago", "pro", "es")
        .await;
    let n = nonce();
    let to = [
        format!("r1-{n}@test.example"),
        format!("r2-{n}@test.example"),
    ];
    let (_, sch) = create(&app, &a, json!({"kind": "global", "format": "xlsx", "day_of_month": 1, "hour": 6, "notify": {"emails": to}})).await;
    let id = sch["id"].as_i64().unwrap();
    let tz = chrono_tz::America::Santiago;
    set_next_run(&app, id, monthly_due("2026-10-01", 6, tz)).await;
    // Down from before 1 October until after 1 November.
    let made = schedule::tick(&app.ctx, t("2026-11-01T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    assert_eq!(
        runs(&app, id).await,
        [
            (
                "2026-10".to_owned(),
                "2026-09-01".to_owned(),
                "2026-09-30".to_owned()
            ),
            (
                "2026-11".to_owned(),
                "2026-10-01".to_owned(),
                "2026-10-31".to_owned()
            )
        ]
    );
    assert!(
        schedule::tick(&app.ctx, t("2026-11-01T10:00:00Z"))
            .await
            .unwrap()
            .is_empty(),
        "a second pass makes nothing"
    );
    let next: DateTime<Utc> = sqlx::query_scalar("SELECT next_run_at FROM schedules WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(next, t("2026-12-01T09:00:00Z"));

    app.start_worker();
    for id in &made {
        assert_eq!(
            app.wait_finished(&a.token, *id).await["status"],
            "succeeded"
        );
    }
    poll(60, "every notification to be sent", || async {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM notifications WHERE status <> 'sent'")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        (pending == 0).then_some(())
    })
    .await;
    for addr in &to {
        let mails = emails_to(addr);
        assert_eq!(mails.len(), 2, "{addr}: one email per period");
        for month in ["septiembre 2026", "octubre 2026"] {
            let m: Vec<_> = mails
                .iter()
                .filter(|m| m.text.contains(&format!("Informe global — {month}")))
                .collect();
            assert_eq!(m.len(), 1, "{addr}: one email naming {month}");
            assert!(m[0].raw.contains("Subject:"));
        }
    }
    let (_, got) = {
        let r = app
            .http
            .get(format!("{}/v1/schedules/{id}", app.base))
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(got["last_runs"].as_array().unwrap().len(), 2);
    assert_eq!(got["last_runs"][0]["period"], "2026-11");
    let listed: Value = app
        .http
        .get(format!("{}/v1/exports", app.base))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["schedule_id"] == id),
        "runs are normal exports linked to their schedule"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn due_hours_that_dst_skips_or_repeats_run_once_at_the_right_instant() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    // Santiago, 6 September 2026 00:00 does not exist: the run is at 01:00 -03, 04:00Z.
    let a = app
        .account("Santiago", "America/Santiago", "pro", "es")
        .await;
    let (_, s) = create(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "day_of_month": 6, "hour": 0}),
    )
    .await;
    let sid = s["id"].as_i64().unwrap();
    set_next_run(
        &app,
        sid,
        monthly_due("2026-09-06", 0, chrono_tz::America::Santiago),
    )
    .await;
    assert!(
        schedule::tick(&app.ctx, t("2026-09-06T03:59:59Z"))
            .await
            .unwrap()
            .is_empty(),
        "not before the instant"
    );
    assert_eq!(
        schedule::tick(&app.ctx, t("2026-09-06T04:00:00Z"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        schedule::tick(&app.ctx, t("2026-09-06T05:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        runs(&app, sid).await,
        [(
            "2026-09".to_owned(),
            "2026-08-01".to_owned(),
            "2026-08-31".to_owned()
        )]
    );

    // Only the Madrid schedule from here on.
    sqlx::query("UPDATE schedules SET enabled = false WHERE id = $1")
        .bind(sid)
        .execute(&app.pool)
        .await
        .unwrap();

    // Madrid, 25 October 2026 02:00 happens twice: it runs at the first, 00:00Z, and once.
    let b = app.account("Madrid", "Europe/Madrid", "pro", "es").await;
    let (_, s) = create(
        &app,
        &b,
        json!({"kind": "global", "format": "csv", "day_of_month": 25, "hour": 2}),
    )
    .await;
    let mid = s["id"].as_i64().unwrap();
    set_next_run(
        &app,
        mid,
        monthly_due("2026-10-25", 2, chrono_tz::Europe::Madrid),
    )
    .await;
    assert!(
        schedule::tick(&app.ctx, t("2026-10-24T23:59:59Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        schedule::tick(&app.ctx, t("2026-10-25T00:00:00Z"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        schedule::tick(&app.ctx, t("2026-10-25T01:30:00Z"))
            .await
            .unwrap()
            .is_empty(),
        "the repeated hour does not run again"
    );
    assert_eq!(
        runs(&app, mid).await,
        [(
            "2026-10".to_owned(),
            "2026-09-01".to_owned(),
            "2026-09-30".to_owned()
        )]
    );
    let next: DateTime<Utc> = sqlx::query_scalar("SELECT next_run_at FROM schedules WHERE id = $1")
        .bind(mid)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(next, t("2026-11-25T01:00:00Z"), "next month, 02:00 CET");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_previous_month_is_cut_at_local_midnight_in_the_schedules_timezone() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Bordes", "America/Santiago", "pro", "es").await;
    let site: i64 =
        sqlx::query_scalar("INSERT INTO sites (account_id, name) VALUES ($1, 'Web') RETURNING id")
            .bind(a.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // In: the first and the last second of September local. Out: one second either side.
    for (at, _inside) in [
        ("2026-09-01T00:00:00-04:00", true),
        ("2026-09-30T23:59:59-03:00", true),
        ("2026-08-31T23:59:59-04:00", false),
        ("2026-10-01T00:00:00-03:00", false),
    ] {
        sqlx::query("INSERT INTO chats (account_id, site_id, started_at, accepted_at) VALUES ($1, $2, $3::timestamptz, $3::timestamptz)")
            .bind(a.id).bind(site).bind(at).execute(&app.pool).await.unwrap();
    }
    let (_, s) = create(
        &app,
        &a,
        json!({"kind": "global", "format": "xlsx", "day_of_month": 1, "hour": 6}),
    )
    .await;
    let sid = s["id"].as_i64().unwrap();
    set_next_run(
        &app,
        sid,
        monthly_due("2026-10-01", 6, chrono_tz::America::Santiago),
    )
    .await;
    let made = schedule::tick(&app.ctx, t("2026-10-01T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(made.len(), 1);
    app.start_worker();
    assert_eq!(
        app.wait_finished(&a.token, made[0]).await["status"],
        "succeeded"
    );
    let (_, bytes) = app
        .download_url(
            &format!("{}/v1/exports/{}/download", app.base, made[0]),
            Some(&a.token),
        )
        .await;
    let book = sheets::xlsx(&bytes);
    let by_site = sheets::part(&book, "Por sitio");
    assert_eq!(
        by_site[1][..2],
        ["Web".to_owned(), "2".to_owned()],
        "{by_site:?}"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_schedules_are_refused_and_disabling_or_deleting_stops_future_runs() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Valid", "UTC", "pro", "es").await;
    let base = json!({"kind": "global", "format": "csv", "day_of_month": 1, "hour": 6});
    for (field, value, code) in [
        ("day_of_month", json!(29), "invalid_day_of_month"),
        ("day_of_month", json!(30), "invalid_day_of_month"),
        ("day_of_month", json!(31), "invalid_day_of_month"),
        ("hour", json!(24), "invalid_hour"),
        ("timezone", json!("Moon/Base"), "unknown_timezone"),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let (s, e) = create(&app, &a, body).await;
        assert_error(s, &e, 422, code);
    }
    let agent: i64 = sqlx::query_scalar("INSERT INTO users (account_id, email, role) VALUES ($1, 'ag@x.example', 'agent') RETURNING id").bind(a.id).fetch_one(&app.pool).await.unwrap();
    let token = exportd_core::auth::create_token(&app.pool, agent)
        .await
        .unwrap();
    let r = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(&token)
        .json(&base)
        .send()
        .await
        .unwrap();
    assert_error_response(r, 403, "not_admin").await;

    let (s, sch) = create(&app, &a, base.clone()).await;
    assert_eq!(s, 201);
    let id = sch["id"].as_i64().unwrap();
    let next: DateTime<Utc> = sch["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(
        next > Utc::now(),
        "no backfill: the first run is the next due time"
    );
    let url = format!("{}/v1/schedules/{id}", app.base);
    let r = app
        .http
        .patch(&url)
        .bearer_auth(&a.token)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["enabled"], false);
    assert!(
        schedule::tick(&app.ctx, next + chrono::Duration::hours(1))
            .await
            .unwrap()
            .is_empty(),
        "disabled: no run"
    );
    let r = app
        .http
        .patch(&url)
        .bearer_auth(&a.token)
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let made = schedule::tick(&app.ctx, next + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(
        app.http
            .delete(&url)
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        app.http
            .get(&url)
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(
        schedule::tick(&app.ctx, next + chrono::Duration::days(40))
            .await
            .unwrap()
            .is_empty(),
        "deleted: no run"
    );
    assert_eq!(
        app.get_export(&a.token, made[0]).await.0,
        200,
        "the export it produced stays"
    );
    app.shutdown().await;
}
