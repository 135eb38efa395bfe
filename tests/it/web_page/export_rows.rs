//! Each export row says who asked for it (or which schedule made it) and who is told, and
//! its "Programar" fills the schedule form with the export's kind, format, filters and
//! recipients; the saved schedule shows its next three runs in its own zone.

use serde_json::{Value, json};

use super::{Page, shot, yesterday};
use crate::harness::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_row_shows_who_asked_and_recipients_and_schedule_this_fills_the_form() {
    let app =
        TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_SCHEDULER_INTERVAL_MS", "0")]).await;
    let acct = app.account("Filas", "Europe/Madrid", "pro", "es").await;
    let site: i64 = sqlx::query_scalar(
        "INSERT INTO sites (account_id, name, channel) VALUES ($1, 'WhatsApp Ventas', 'webchat') RETURNING id",
    )
    .bind(acct.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let day = yesterday();
    let (s, e) = app
        .post_export(
            &acct.token,
            &json!({"kind": "conversations", "format": "xlsx", "from": day, "to": day,
                "options": {"sites": [site]}, "notify": {"emails": ["jefa@ejemplo.com"], "in_app": true}}),
        )
        .await;
    assert_eq!(s, 202, "{e}");
    let id = e["id"].as_i64().unwrap();
    // Another export, made by a schedule.
    let r = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(&acct.token)
        .json(&json!({"kind": "global", "format": "csv", "day_of_month": 1, "hour": 6}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let sch = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (_, e2) = app
        .post_export(
            &acct.token,
            &json!({"kind": "global", "format": "csv", "from": day, "to": day}),
        )
        .await;
    let run = e2["id"].as_i64().unwrap();
    sqlx::query("UPDATE exports SET schedule_id = $2, period = '2026-10' WHERE id = $1")
        .bind(run)
        .bind(sch)
        .execute(&app.pool)
        .await
        .unwrap();
    let page = Page::open(&app, &acct.token).await;

    let row = page.js(&format!(
        "const r = document.getElementById('export-{id}'); return [r.querySelector('.asked').textContent, r.querySelector('.notify').textContent]")).await;
    assert_eq!(
        row,
        json!(["Pedido por Admin", "Avisa a: jefa@ejemplo.com, aviso aquí"])
    );
    let made = page
        .js(&format!(
            "return document.querySelector('#export-{run} .asked').textContent"
        ))
        .await;
    assert_eq!(made, format!("Hecho por la programación {sch}"));
    assert_eq!(
        page.js(&format!(
            "return document.querySelector('#export-{run} .notify').textContent"
        ))
        .await,
        "Avisa a: quien creó la programación (correo y aviso aquí)"
    );

    page.js(&format!(
        "document.getElementById('export-{id}').scrollIntoView(); return 1"
    ))
    .await;
    shot(&page.c, "export-row-asked-by").await;

    // "Programar": the form has the export's kind, format, filter and recipients, in view.
    page.click(&format!("#export-{id} button.schedule-this"))
        .await;
    let form = page.wait(5, "the schedule form filled", "const f = (id) => document.getElementById(id); const box = f('schedule-form').getBoundingClientRect(); return f('s-kind').value === 'conversations' && [f('s-kind').value, f('s-format').value, f('s-emails').value, box.top < innerHeight && box.bottom > 0, document.activeElement.id, f('schedule-result').textContent]").await;
    assert_eq!(form[0], "conversations");
    assert_eq!(form[1], "xlsx");
    assert_eq!(form[2], "jefa@ejemplo.com");
    assert_eq!(form[3], true, "the form is scrolled into view: {form}");
    assert_eq!(form[4], "s-day");
    assert!(
        form[5].as_str().unwrap().contains(&id.to_string()),
        "{form}"
    );
    page.js("document.getElementById('s-day').value = '4'; document.getElementById('s-hour').value = '8'; return 1").await;
    page.click("#s-save").await;
    let new_id = page
        .wait(10, "the new schedule's row", "const rows = document.querySelectorAll('#schedule-rows tr'); return rows.length === 2 && Number(rows[1].id.slice(9))")
        .await
        .as_i64()
        .unwrap();
    let stored: (
        String,
        String,
        sqlx::types::Json<Value>,
        sqlx::types::Json<Value>,
    ) = sqlx::query_as("SELECT kind, format, options, notify FROM schedules WHERE id = $1")
        .bind(new_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        (stored.0.as_str(), stored.1.as_str()),
        ("conversations", "xlsx")
    );
    assert_eq!(stored.2.0, json!({"sites": [site]}));
    assert_eq!(stored.3.0["emails"], json!(["jefa@ejemplo.com"]));

    // Its next three runs, in the page's format, at 08:00 in its zone.
    let next = page
        .js(&format!(
            "return [...document.querySelectorAll('#schedule-{new_id} .next-runs li')].map(li => li.textContent)"
        ))
        .await;
    let next: Vec<&str> = next
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(next.len(), 3, "{next:?}");
    for at in &next {
        assert!(at.starts_with("4 ") && at.contains("08:00"), "{next:?}");
        let zone = at.rsplit(' ').next().unwrap();
        assert!(
            zone.starts_with("CE") || zone.starts_with("GMT+"),
            "a zone: {next:?}"
        );
    }
    page.js(&format!(
        "document.getElementById('schedule-{new_id}').scrollIntoView(); return 1"
    ))
    .await;
    shot(&page.c, "schedule-next-runs").await;
    page.close().await;
    app.shutdown().await;
}
