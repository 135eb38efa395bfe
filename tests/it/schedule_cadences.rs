//! Daily, weekly and monthly-on-the-last-day schedules, driven by a controlled clock: the
//! local hour held across DST, the days each run covers, catch-up, and runs made now for a
//! past period, idempotent per period.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use exportd_worker::jobs::schedule;
use serde_json::{Value, json};

use crate::{
    harness::{TestAccount, TestApp, assert_error, emails_to, nonce, poll},
    schedules::{NO_SCHEDULER, create, runs, set_next_run, t},
};

/// `hour:00` local on `date` in `tz`, read with chrono-tz alone (no DST gap at these hours).
fn local(tz: Tz, date: NaiveDate, hour: u32) -> DateTime<Utc> {
    tz.from_local_datetime(&date.and_hms_opt(hour, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn next_run_at(app: &TestApp, id: i64) -> DateTime<Utc> {
    sqlx::query_scalar("SELECT next_run_at FROM schedules WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn made(app: &TestApp, a: &TestAccount, body: Value) -> i64 {
    let (status, s) = create(app, a, body).await;
    assert_eq!(status, 201, "{s}");
    s["id"].as_i64().unwrap()
}

async fn daily_for_a_month(app: &TestApp, a: &TestAccount, zone: &str, first: &str) {
    let tz: Tz = zone.parse().unwrap();
    let id = made(
        app,
        a,
        json!({"kind": "global", "format": "csv", "cadence": "daily", "hour": 7, "timezone": zone}),
    )
    .await;
    let first = day(first);
    set_next_run(app, id, local(tz, first, 7)).await;
    for i in 0..30 {
        let date = first + Duration::days(i);
        let due = local(tz, date, 7);
        assert!(
            schedule::tick(&app.ctx, due - Duration::seconds(1))
                .await
                .unwrap()
                .is_empty(),
            "{zone} {date}: nothing before 07:00 local"
        );
        let ids = schedule::tick(&app.ctx, due).await.unwrap();
        assert_eq!(
            ids.len(),
            1,
            "{zone} {date}: one run at 07:00 local ({due})"
        );
        let next = date + Duration::days(1);
        assert_eq!(
            next_run_at(app, id).await,
            local(tz, next, 7),
            "{zone}: after {date}"
        );
    }
    let got = runs(app, id).await;
    let want: Vec<(String, String, String)> = (0..30)
        .map(|i| {
            let date = first + Duration::days(i);
            let before = (date - Duration::days(1)).to_string();
            (date.to_string(), before.clone(), before)
        })
        .collect();
    assert_eq!(got, want, "{zone}: each run covers the day before it, once");
    // Out of the next zone's way: a pass runs every due schedule.
    sqlx::query("UPDATE schedules SET enabled = false WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn daily_runs_for_a_month_across_dst_cover_each_day_once_at_the_local_hour() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Daily", "UTC", "pro", "es").await;
    // Santiago moves its clocks forward on 2026-09-06; Madrid back on 2026-10-25.
    daily_for_a_month(&app, &a, "America/Santiago", "2026-08-20").await;
    daily_for_a_month(&app, &a, "Europe/Madrid", "2026-10-10").await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn weekly_runs_cover_whole_weeks_from_the_week_start_and_catch_up() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Weekly", "Europe/Madrid", "pro", "es").await;
    let tz: Tz = "Europe/Madrid".parse().unwrap();
    let to = format!("weekly-{}@test.example", nonce());
    let id = made(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "cadence": "weekly", "day_of_week": "wednesday",
               "week_start": "sunday", "hour": 6, "notify": {"emails": [to]}}),
    )
    .await;
    set_next_run(&app, id, local(tz, day("2026-11-04"), 6)).await;
    // Down across three Wednesdays.
    let ids = schedule::tick(&app.ctx, t("2026-11-19T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        runs(&app, id).await,
        [
            (
                "2026-W45-3".into(),
                "2026-10-25".into(),
                "2026-10-31".into()
            ),
            (
                "2026-W46-3".into(),
                "2026-11-01".into(),
                "2026-11-07".into()
            ),
            (
                "2026-W47-3".into(),
                "2026-11-08".into(),
                "2026-11-14".into()
            ),
        ]
    );
    assert_eq!(next_run_at(&app, id).await, local(tz, day("2026-11-25"), 6));
    // Each email names the week it covers, not a month.
    app.start_worker();
    for export in &ids {
        assert_eq!(
            app.wait_finished(&a.token, *export).await["status"],
            "succeeded"
        );
    }
    let mails = poll(60, "an email per week", || async {
        let mails = emails_to(&to);
        (mails.len() == 3).then_some(mails)
    })
    .await;
    for week in [
        "2026-10-25 – 2026-10-31",
        "2026-11-01 – 2026-11-07",
        "2026-11-08 – 2026-11-14",
    ] {
        let named = mails
            .iter()
            .filter(|m| m.text.contains(&format!("Informe global — {week}")))
            .count();
        assert_eq!(named, 1, "one email names {week}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_day_of_the_month_runs_on_february_28th_and_covers_january() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Last day", "UTC", "pro", "es").await;
    let id = made(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "day_of_month": "last", "hour": 23}),
    )
    .await;
    let view = get(&app, &a, id).await;
    assert_eq!(view["cadence"], "monthly");
    assert_eq!(view["day_of_month"], "last");
    set_next_run(&app, id, t("2027-01-31T23:00:00Z")).await;
    assert_eq!(
        schedule::tick(&app.ctx, t("2027-02-28T22:59:00Z"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(next_run_at(&app, id).await, t("2027-02-28T23:00:00Z"));
    assert_eq!(
        schedule::tick(&app.ctx, t("2027-02-28T23:00:00Z"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(next_run_at(&app, id).await, t("2027-03-31T23:00:00Z"));
    assert_eq!(
        runs(&app, id).await,
        [
            ("2027-01".into(), "2026-12-01".into(), "2026-12-31".into()),
            ("2027-02".into(), "2027-01-01".into(), "2027-01-31".into()),
        ]
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduler_down_three_days_makes_each_daily_run_once_and_a_rolling_window() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Down", "America/Santiago", "pro", "es").await;
    let tz: Tz = "America/Santiago".parse().unwrap();
    let id = made(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "cadence": "daily", "hour": 6, "last_days": 7}),
    )
    .await;
    set_next_run(&app, id, local(tz, day("2026-11-10"), 6)).await;
    let ids = schedule::tick(&app.ctx, t("2026-11-12T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(
        schedule::tick(&app.ctx, t("2026-11-12T12:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        runs(&app, id).await,
        [
            (
                "2026-11-10".into(),
                "2026-11-03".into(),
                "2026-11-09".into()
            ),
            (
                "2026-11-11".into(),
                "2026-11-04".into(),
                "2026-11-10".into()
            ),
            (
                "2026-11-12".into(),
                "2026-11-05".into(),
                "2026-11-11".into()
            ),
        ]
    );
    assert_eq!(next_run_at(&app, id).await, local(tz, day("2026-11-13"), 6));
    app.shutdown().await;
}

async fn get(app: &TestApp, a: &TestAccount, id: i64) -> Value {
    app.http
        .get(format!("{}/v1/schedules/{id}", app.base))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn run_now(app: &TestApp, a: &TestAccount, id: i64, body: Value) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{}/v1/schedules/{id}/run", app.base))
        .bearer_auth(&a.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_now_makes_one_export_per_past_period_shared_with_the_scheduler() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Run now", "UTC", "pro", "es").await;
    let other = app.account("Other", "UTC", "pro", "es").await;
    let id = made(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "day_of_month": 1, "hour": 0}),
    )
    .await;
    let (status, first) = run_now(&app, &a, id, json!({"period": "2026-11"})).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(
        (first["from"].as_str(), first["to"].as_str()),
        (Some("2026-10-01"), Some("2026-10-31")),
        "{first}"
    );
    let (status, again) = run_now(&app, &a, id, json!({"period": "2026-11"})).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], first["id"]);
    // The scheduler's pass over the same period makes nothing new.
    set_next_run(&app, id, t("2026-11-01T00:00:00Z")).await;
    let ids = schedule::tick(&app.ctx, t("2026-11-01T00:00:00Z"))
        .await
        .unwrap();
    assert!(ids.is_empty(), "{ids:?}");
    // Without a body, as `curl -X POST` sends it: the latest due, which is this month's.
    let r = app
        .http
        .post(format!("{}/v1/schedules/{id}/run", app.base))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    let (status, latest) = (r.status().as_u16(), r.json::<Value>().await.unwrap());
    assert!(status == 202 || status == 200, "{latest}");
    let month = Utc::now().format("%Y-%m").to_string();
    let runs_now = runs(&app, id).await;
    assert_eq!(runs_now.len(), 2, "{runs_now:?}");
    assert_eq!(runs_now[1].0, month);
    let shown = get(&app, &a, id).await;
    assert_eq!(shown["last_runs"][0]["period"], month.as_str());
    assert_eq!(shown["last_runs"][1]["range_from"], "2026-10-01");
    for (period, why) in [
        ("2099-01", "not due"),
        ("2026-13", "no such month"),
        ("2026-11-01", "a daily key"),
        ("next", "not a key"),
    ] {
        let (status, body) = run_now(&app, &a, id, json!({"period": period})).await;
        let message = assert_error(status, &body, 422, "invalid_period");
        assert!(message.contains(period), "{why}: {message}");
    }
    let (status, body) = run_now(&app, &other, id, json!({})).await;
    assert_error(status, &body, 404, "not_found");

    // A weekly schedule due later this week: run now makes the last full week, Monday to
    // Sunday, the run its next due date will then find made.
    let today = Utc::now().date_naive();
    let due = today + Duration::days(3);
    let weekly = made(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "cadence": "weekly", "hour": 0,
               "day_of_week": exportd_core::schedules::weekday_name(due.weekday())}),
    )
    .await;
    let sunday = today - Duration::days(today.weekday().num_days_from_monday() as i64 + 1);
    let (status, week) = run_now(&app, &a, weekly, json!({})).await;
    assert_eq!(status, 202, "{week}");
    assert_eq!(week["to"], sunday.to_string(), "{week}");
    assert_eq!(
        week["from"],
        (sunday - Duration::days(6)).to_string(),
        "{week}"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_cadence_takes_only_its_own_fields_and_a_change_of_cadence_drops_the_old_day() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), NO_SCHEDULER]).await;
    let a = app.account("Fields", "UTC", "pro", "es").await;
    let base = json!({"kind": "global", "format": "csv", "hour": 6});
    for (extra, code) in [
        (
            json!({"day_of_month": 1, "day_of_week": "monday"}),
            "invalid_day_of_week",
        ),
        (json!({"cadence": "weekly"}), "invalid_day_of_week"),
        (
            json!({"cadence": "weekly", "day_of_week": "lunes"}),
            "invalid_day_of_week",
        ),
        (
            json!({"cadence": "weekly", "day_of_week": "monday", "day_of_month": 3}),
            "invalid_day_of_month",
        ),
        (
            json!({"cadence": "daily", "day_of_month": 1}),
            "invalid_day_of_month",
        ),
        (json!({"cadence": "monthly"}), "invalid_day_of_month"),
        (json!({"day_of_month": "first"}), "invalid_day_of_month"),
        (
            json!({"day_of_month": 1, "week_start": "sunday"}),
            "invalid_week_start",
        ),
        (json!({"cadence": "hourly"}), "invalid_cadence"),
        (
            json!({"cadence": "daily", "last_days": 91}),
            "invalid_last_days",
        ),
        (
            json!({"cadence": "daily", "last_days": 0}),
            "invalid_last_days",
        ),
    ] {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, got) = create(&app, &a, body.clone()).await;
        assert_error(status, &got, 422, code);
    }
    let id = made(
        &app,
        &a,
        json!({"kind": "global", "format": "csv", "day_of_month": 5, "hour": 6, "last_days": 30}),
    )
    .await;
    let patch = |body: Value| {
        let (app, a) = (&app, &a);
        async move {
            let r = app
                .http
                .patch(format!("{}/v1/schedules/{id}", app.base))
                .bearer_auth(&a.token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = patch(json!({"cadence": "weekly"})).await;
    assert_error(status, &body, 422, "invalid_day_of_week");
    let (status, body) = patch(json!({"cadence": "weekly", "day_of_week": "friday"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["cadence"].as_str(), body["day_of_week"].as_str()),
        (Some("weekly"), Some("friday"))
    );
    assert_eq!(body["day_of_month"], Value::Null);
    assert_eq!(body["last_days"], 30, "kept");
    let next: DateTime<Utc> = body["next_run_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(chrono::Datelike::weekday(&next), chrono::Weekday::Fri);
    let (status, body) = patch(json!({"last_days": null})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["last_days"], Value::Null);
    let stored: (String, Option<i16>, Option<i16>, Option<i16>) = sqlx::query_as(
        "SELECT cadence, day_of_month, day_of_week, last_days FROM schedules WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, ("weekly".into(), None, Some(5), None));
    app.shutdown().await;
}
