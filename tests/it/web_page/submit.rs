//! The request form. A double click makes one export: the page sends an Idempotency-Key
//! with each request and keeps it until the form changes. An email the API refuses, and
//! the account's cap, are said in Spanish under the field they concern. The kind's
//! one-line description, the date presets with today marked partial, the filters in the
//! row, and "run again with other dates" filling the form.

use chrono::{Datelike, Duration};
use exportd_core::kinds::ReportKind;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use serde_json::json;

use super::{Page, doc_shot};
use crate::harness::TestApp;

async fn exports(app: &TestApp, account: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM exports WHERE account_id = $1")
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn double_click(page: &Page, css: &str) {
    let button = page.c.find(Locator::Css(css)).await.unwrap();
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: button,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    page.c.perform_actions(mouse).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_double_click_makes_one_export_and_a_bad_email_is_refused_in_spanish_under_its_field() {
    let app = TestApp::spawn_with(&[("WORKER", "none"), ("EXPORTD_MAX_ACTIVE_EXPORTS", "2")]).await;
    let acct = app
        .account("Formulario", "Europe/Madrid", "pro", "es")
        .await;
    let site: i64 = sqlx::query_scalar("INSERT INTO sites (account_id, name, channel) VALUES ($1, 'WhatsApp Ventas', 'whatsapp') RETURNING id")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let page = Page::open(&app, &acct.token).await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Madrid)
        .date_naive();

    // The kind's one-line description, under it.
    page.js("const k = document.getElementById('kind'); k.value = 'conversations'; k.dispatchEvent(new Event('change')); return 1").await;
    assert_eq!(
        page.js("return document.getElementById('kind-about').textContent")
            .await,
        ReportKind::Conversations.info().about.es
    );
    page.js(&format!("[...document.getElementById('opt-sites').options].forEach(o => o.selected = o.value === '{site}'); return 1")).await;

    // Presets: this month ends today, marked partial; last month does not.
    page.click("[data-preset=this_month]").await;
    let first = today.with_day(1).unwrap();
    assert_eq!(
        page.js("return [document.getElementById('from').value, document.getElementById('to').value, document.getElementById('range-partial').hidden]").await,
        json!([first.to_string(), today.to_string(), false])
    );
    assert!(
        page.js("return document.getElementById('range-partial').textContent")
            .await
            .as_str()
            .unwrap()
            .contains("parciales")
    );
    page.click("[data-preset=last_month]").await;
    let last_month_end = first - Duration::days(1);
    assert_eq!(
        page.js("return [document.getElementById('from').value, document.getElementById('to').value, document.getElementById('range-partial').hidden]").await,
        json!([last_month_end.with_day(1).unwrap().to_string(), last_month_end.to_string(), true])
    );
    page.click("[data-preset=last7]").await;
    page.js("document.getElementById('emails').value = ''; return 1")
        .await;

    // A double click: one export, asked with a key.
    double_click(&page, "#submit-request").await;
    let id = page.wait(10, "the export's row", "const r = document.querySelector('#export-rows tr'); return r && Number(r.id.slice(7))").await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        exports(&app, acct.id).await,
        1,
        "one export for a double click"
    );
    // Sent again without a change (a third click, two submits at once): still that one.
    page.js("const f = document.getElementById('request-form'); f.requestSubmit(); f.requestSubmit(); return 1").await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(exports(&app, acct.id).await, 1);
    let key: Option<String> =
        sqlx::query_scalar("SELECT idempotency_key FROM exports WHERE account_id = $1")
            .bind(acct.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(key.is_some_and(|k| k.len() >= 32), "the page sent a key");
    // Its row names its filters.
    let filters = page
        .js(&format!(
            "return document.querySelector('#export-{id} .filters').textContent"
        ))
        .await;
    assert_eq!(filters, "Sitios: WhatsApp Ventas");

    // An email the API refuses: said in Spanish, under the emails field; nothing asked.
    page.js("document.getElementById('emails').value = 'juan@@ejemplo'; document.getElementById('emails').dispatchEvent(new Event('input', {bubbles: true})); return 1").await;
    page.click("#submit-request").await;
    let said = page
        .wait(
            10,
            "the error under the field",
            "const e = document.getElementById('emails-error'); return !e.hidden && e.textContent",
        )
        .await;
    assert_eq!(said, "No es una dirección de correo válida: juan@@ejemplo");
    assert_eq!(
        page.js("return document.getElementById('emails').getAttribute('aria-invalid')")
            .await,
        "true"
    );
    assert_eq!(
        page.js("return document.getElementById('request-result').textContent")
            .await,
        ""
    );
    doc_shot(&page.c, "error-es").await;
    assert_eq!(exports(&app, acct.id).await, 1);

    // After a change, a new request is a new export; past the account's cap, the 429 is
    // said in Spanish.
    page.js("document.getElementById('emails').value = ''; return 1")
        .await;
    page.click("[data-preset=last30]").await;
    page.click("#submit-request").await;
    page.wait(
        10,
        "a second export",
        "return document.querySelectorAll('#export-rows tr').length === 2",
    )
    .await;
    assert_eq!(exports(&app, acct.id).await, 2);
    page.click("[data-preset=last7]").await;
    page.click("#submit-request").await;
    let cap = page.wait(10, "the cap in words", "const e = document.getElementById('request-result'); return e.classList.contains('error') && e.textContent").await;
    assert!(
        cap.as_str()
            .unwrap()
            .starts_with("Tu cuenta ya tiene todas las exportaciones"),
        "{cap}"
    );

    // "Repetir con otras fechas": the form takes the export's kind, format and filters.
    page.js("const k = document.getElementById('kind'); k.value = 'global'; k.dispatchEvent(new Event('change')); return 1").await;
    page.click(&format!("#export-{id} button.again")).await;
    assert_eq!(
        page.js("return [document.getElementById('kind').value, [...document.getElementById('opt-sites').selectedOptions].map(o => Number(o.value))]").await,
        json!(["conversations", [site]])
    );
    assert!(
        page.js("return document.getElementById('request-result').textContent")
            .await
            .as_str()
            .unwrap()
            .contains("elige las fechas")
    );

    page.close().await;
    app.shutdown().await;
}
