//! What the lists show about each export and schedule: who asked for an export (nobody for
//! a scheduled run) and who is told, and the next three runs of a schedule in its own time.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use exportd_worker::jobs::schedule;
use serde_json::{Value, json};

use crate::harness::TestApp;

async fn post_schedule(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_export_shows_who_asked_and_its_recipients_and_a_scheduled_run_nobody() {
    let app =
        TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_SCHEDULER_INTERVAL_MS", "0")]).await;
    let a = app.account("Who", "UTC", "pro", "es").await;
    let admin: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&a.admin_email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let today = Utc::now().date_naive();
    let notify = json!({"emails": ["jefa@example.com"], "in_app": true});
    let (s, made) = app
        .post_export(
            &a.token,
            &json!({"kind": "global", "format": "csv", "from": today.to_string(), "to": today.to_string(), "notify": notify}),
        )
        .await;
    assert_eq!(s, 202, "{made}");
    let who = json!({"id": admin, "name": "Admin", "email": a.admin_email});
    assert_eq!(made["requested_by"], who, "{made}");
    let id = made["id"].as_i64().unwrap();
    let (_, one) = app.get_export(&a.token, id).await;
    assert_eq!(one["requested_by"], who);
    assert_eq!(
        one["notify"],
        json!({"emails": ["jefa@example.com"], "webhook": null, "in_app": true})
    );

    // A scheduled run: nobody asked; its recipients are the schedule's.
    let sch = post_schedule(
        &app,
        &a.token,
        json!({"kind": "global", "format": "csv", "day_of_month": 1, "hour": 6, "notify": {"emails": ["equipo@example.com"]}}),
    )
    .await;
    sqlx::query("UPDATE schedules SET next_run_at = now() - interval '1 minute' WHERE id = $1")
        .bind(sch["id"].as_i64().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    schedule::tick(&app.ctx, Utc::now()).await.unwrap();
    let (s, list) = app.get_json(&a.token, "/v1/exports").await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let run = &items[0];
    assert_eq!(run["schedule_id"], sch["id"]);
    assert!(
        run["requested_by"].is_null() && run.get("requested_by").is_some(),
        "{run}"
    );
    assert_eq!(run["notify"]["emails"], json!(["equipo@example.com"]));
    assert_eq!(items[1]["requested_by"], who);
    assert_eq!(items[1]["notify"]["emails"], json!(["jefa@example.com"]));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_schedule_shows_its_next_three_runs_at_the_local_hour_across_dst() {
    let app =
        TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_SCHEDULER_INTERVAL_MS", "0")]).await;
    let a = app.account("Next", "UTC", "pro", "es").await;
    let sch = post_schedule(
        &app,
        &a.token,
        json!({"kind": "global", "format": "csv", "day_of_month": 3, "hour": 7, "timezone": "Europe/Madrid"}),
    )
    .await;
    let runs: Vec<DateTime<Utc>> = sch["next_runs"]
        .as_array()
        .unwrap_or_else(|| panic!("no next_runs: {sch}"))
        .iter()
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(runs.len(), 3, "{sch}");
    assert_eq!(sch["next_runs"][0], sch["next_run_at"]);
    let tz: Tz = "Europe/Madrid".parse().unwrap();
    for (i, at) in runs.iter().enumerate() {
        let local = at.with_timezone(&tz);
        assert_eq!(
            (local.format("%d").to_string(), local.hour()),
            ("03".into(), 7),
            "{sch}"
        );
        if i > 0 {
            assert!(*at > runs[i - 1]);
        }
    }
    // The list and a get say the same; a disabled schedule has no next runs.
    let (_, list) = app.get_json(&a.token, "/v1/schedules").await;
    assert_eq!(list["items"][0]["next_runs"], sch["next_runs"]);
    let id = sch["id"].as_i64().unwrap();
    let r = app
        .http
        .patch(format!("{}/v1/schedules/{id}", app.base))
        .bearer_auth(&a.token)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let off: Value = r.json().await.unwrap();
    assert_eq!(off["next_runs"], json!([]));
    app.shutdown().await;
}
