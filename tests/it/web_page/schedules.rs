//! Schedules in the page: a schedule made through the API with a site filter shows its
//! filter, recipients, time zone and run history (with the file's link); editing it in
//! the page keeps the filter (a time-zone picker, limits checked before sending); and a
//! change of kind drops the options the new kind does not take instead of failing.

use serde_json::{Value, json};

use super::{Page, doc_shot, shot, small_export};
use crate::harness::TestApp;

async fn stored(app: &TestApp, id: i64) -> (String, Value, i16, i16, String, Value) {
    sqlx::query_as::<
        _,
        (
            String,
            sqlx::types::Json<Value>,
            i16,
            i16,
            String,
            sqlx::types::Json<Value>,
        ),
    >("SELECT kind, options, day_of_month, hour, timezone, notify FROM schedules WHERE id = $1")
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .map(|(k, o, d, h, tz, n)| (k, o.0, d, h, tz, n.0))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_schedule_with_a_site_filter_made_through_the_api_shows_it_and_keeps_it_when_edited() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app
        .account("Programadas", "Europe/Madrid", "pro", "es")
        .await;
    let mut sites = vec![];
    for name in ["Web", "WhatsApp Ventas"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sites (account_id, name, channel) VALUES ($1, $2, 'webchat') RETURNING id",
        )
        .bind(acct.id)
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        sites.push(id);
    }
    let r = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(&acct.token)
        .json(
            &json!({"kind": "conversations", "format": "xlsx", "day_of_month": 5, "hour": 6,
            "timezone": "America/Santiago", "options": {"sites": [sites[1]]},
            "notify": {"emails": ["jefa@ejemplo.com", "ops@ejemplo.com"]}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // A past run of it, with its file.
    let run = small_export(&app, &acct.token).await;
    sqlx::query("UPDATE exports SET schedule_id = $2, period = '2026-10', status = 'succeeded', finished_at = now(), file_name = 'f.xlsx', file_key = 'k', file_bytes = 10, expires_at = now() + interval '30 days' WHERE id = $1")
        .bind(run)
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let page = Page::open(&app, &acct.token).await;

    // The row: its filter, recipients, zone and run history with the file's link.
    let row = page.js(&format!(
        "const r = document.getElementById('schedule-{id}'); return [r.querySelector('.filters').textContent, r.querySelector('.recipients').textContent, r.querySelector('.when').textContent, r.querySelector('.history').textContent, r.querySelector('.history a').getAttribute('href')]")).await;
    assert_eq!(row[0], "Sitios: WhatsApp Ventas");
    assert_eq!(row[1], "jefa@ejemplo.com, ops@ejemplo.com");
    assert!(
        row[2].as_str().unwrap().contains("America/Santiago"),
        "{row}"
    );
    let history = row[3].as_str().unwrap();
    assert!(
        history.starts_with("Ejecución de oct 2026 · cubrió ")
            && history.ends_with(" · Listo · Descargar"),
        "{row}"
    );
    assert_eq!(row[4], format!("/v1/exports/{run}/download"));
    page.js("document.getElementById('schedules').scrollIntoView(); return 1")
        .await;
    doc_shot(&page.c, "schedules").await;

    // Edit: the form shows the filter, the zone in a picker.
    page.click(&format!("#schedule-{id} button.edit")).await;
    let form = page.js("return [document.getElementById('s-kind').value, [...document.getElementById('s-opt-sites').selectedOptions].map(o => Number(o.value)), document.getElementById('s-tz').tagName, document.getElementById('s-tz').value, document.getElementById('s-tz').options.length]").await;
    assert_eq!(form[0], "conversations");
    assert_eq!(form[1], json!([sites[1]]));
    assert_eq!(
        (&form[2], &form[3]),
        (&json!("SELECT"), &json!("America/Santiago"))
    );
    assert!(form[4].as_i64().unwrap() > 100, "{form}");
    shot(&page.c, "schedule-edit").await;

    // Limits are checked in the page, in its language, before anything is sent.
    page.js("document.getElementById('s-day').value = '31'; document.getElementById('s-hour').value = '24'; return 1").await;
    page.click("#s-save").await;
    let said = page.js("return [document.getElementById('s-day-error').textContent, document.getElementById('s-hour-error').textContent]").await;
    assert_eq!(
        said,
        json!([
            "El día del mes debe ser un número entero del 1 al 28.",
            "La hora debe ser un número entero del 0 al 23."
        ])
    );
    assert_eq!(stored(&app, id).await.2, 5, "nothing was sent");

    // Saved: the filter round-trips.
    page.js("document.getElementById('s-day').value = '7'; document.getElementById('s-hour').value = '8'; return 1").await;
    page.click("#s-save").await;
    page.wait(10, "the save", "return document.getElementById('schedule-result').textContent === 'Programación guardada.'").await;
    let (kind, options, day, hour, tz, notify) = stored(&app, id).await;
    assert_eq!(
        (kind.as_str(), day, hour, tz.as_str()),
        ("conversations", 7, 8, "America/Santiago")
    );
    assert_eq!(options, json!({"sites": [sites[1]]}));
    assert_eq!(
        notify["emails"],
        json!(["jefa@ejemplo.com", "ops@ejemplo.com"])
    );
    page.wait(10, "the row again", &format!(
        "const r = document.getElementById('schedule-{id}'); return r && r.querySelector('.filters').textContent === 'Sitios: WhatsApp Ventas'")).await;

    // A kind without a site filter: saved without it, not refused.
    page.click(&format!("#schedule-{id} button.edit")).await;
    page.js("const k = document.getElementById('s-kind'); k.value = 'global'; k.dispatchEvent(new Event('change')); return 1").await;
    page.click("#s-save").await;
    page.wait(10, "the save", "return document.getElementById('schedule-result').textContent === 'Programación guardada.'").await;
    let (kind, options, ..) = stored(&app, id).await;
    assert_eq!((kind.as_str(), options), ("global", json!({})));

    page.close().await;
    app.shutdown().await;
}
