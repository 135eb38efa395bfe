//! Destinations in the page, against a local Slack stand-in: the form's limits are checked
//! before sending; a Slack channel added by its name and address is listed with its host
//! and never its address; "Probar" says the test message arrived (and it did); an export
//! asked with "Ventas" ticked names it, and says so in its row, as does a schedule made
//! from that export (and unticked on an edit); deleted after a confirmation, it is gone
//! from the list and the forms, and the export says its destination was deleted.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use fantoccini::Locator;
use serde_json::{Value, json};

use super::{Page, click, shot};
use crate::harness::TestApp;

/// A Slack stand-in: `/services/T/B/ok` takes a message and keeps it.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let router = axum::Router::new().route(
        "/services/T/B/ok",
        post({
            let got = got.clone();
            move |axum::Json(v): axum::Json<Value>| async move {
                got.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/services/T/B", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, got)
}

async fn destinations(app: &TestApp, account: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM destinations WHERE account_id = $1")
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The id of the control whose label, inside `scope`, reads `words`.
async fn labelled(page: &Page, scope: &str, words: &str) -> String {
    let script = format!(
        "const l = [...document.querySelectorAll({scope})].find(l => l.textContent.trim() === {words}); return l && l.control && l.control.id",
        scope = json!(format!("{scope} label")),
        words = json!(words),
    );
    let id = page
        .wait(10, &format!("the field “{words}”"), &script)
        .await;
    id.as_str().unwrap().to_owned()
}

async fn type_into(page: &Page, scope: &str, label: &str, text: &str) {
    let id = labelled(page, scope, label).await;
    let field = page.c.find(Locator::Id(&id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Ticks (or unticks) the box labelled `label` inside `scope`.
async fn tick(page: &Page, scope: &str, label: &str) {
    let id = labelled(page, scope, label).await;
    click(&page.c, Locator::Id(&id)).await;
}

/// The button reading `words` in the destination row named `name`.
fn row_button(name: &str, words: &str) -> String {
    format!(
        "//tbody[@id='destination-rows']/tr[td[1][normalize-space()='{name}']]//button[normalize-space()='{words}']"
    )
}

/// The boxes ticked in a form, by their words.
async fn ticked(page: &Page, boxes: &str) -> Value {
    page.js(&format!(
        "return [...document.querySelectorAll('#{boxes} input:checked')].map(b => b.labels[0].textContent.trim())"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slack_channel_is_added_tested_chosen_and_deleted_in_the_page() {
    let (base, got) = receiver().await;
    let app = TestApp::spawn_with(&[
        ("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("WORKER", "none"),
    ])
    .await;
    let acct = app.account("Destinos", "UTC", "pro", "es").await;
    let page = Page::open(&app, &acct.token).await;

    // None yet: the section says so, and neither form offers a box.
    let none = page.js("return [document.getElementById('no-destinations').hidden, document.getElementById('no-destinations').textContent, document.getElementById('deliver-field').hidden, document.getElementById('s-deliver-field').hidden]").await;
    assert_eq!(none, json!([false, "Aún no hay destinos.", true, true]));

    // The limits are checked in the page, in Spanish, before anything is sent.
    let add = "//form[@id='destination-form']//button[normalize-space()='Añadir destino']";
    click(&page.c, Locator::XPath(add)).await;
    let said = page.js("return [document.getElementById('d-name-error').textContent, document.getElementById('d-url-error').textContent]").await;
    assert_eq!(
        said,
        json!([
            "El nombre debe tener de 1 a 100 caracteres.",
            "Pega la dirección del webhook entrante del canal."
        ])
    );
    type_into(&page, "#destinations", "Nombre", "Ventas").await;
    type_into(
        &page,
        "#destinations",
        "Dirección del webhook entrante de Slack",
        "hooks.slack.com/services/T/B/x",
    )
    .await;
    click(&page.c, Locator::XPath(add)).await;
    let said = page
        .js("return [document.getElementById('d-name-error').hidden, document.getElementById('d-url-error').textContent]")
        .await;
    assert_eq!(
        said,
        json!([
            true,
            "Eso no es una dirección web: cópiala entera desde Slack (https://hooks.slack.com/…)."
        ])
    );
    assert_eq!(destinations(&app, acct.id).await, 0, "nothing was sent");

    // Added with the stand-in's address (http, which this server allows): listed with its
    // host, never its address.
    let url = format!("{base}/ok");
    type_into(
        &page,
        "#destinations",
        "Dirección del webhook entrante de Slack",
        &url,
    )
    .await;
    click(&page.c, Locator::XPath(add)).await;
    page.wait(
        10,
        "the destination added",
        "return document.getElementById('destination-result').textContent === 'Destino Ventas añadido.'",
    )
    .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM destinations WHERE account_id = $1")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let row = page.js(&format!(
        "const r = document.getElementById('destination-{id}'); return r && [r.querySelector('.name').textContent, r.querySelector('.type').textContent, r.querySelector('.host').textContent]")).await;
    assert_eq!(row, json!(["Ventas", "Slack", "127.0.0.1"]));
    let everything = page
        .js("return document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ')")
        .await;
    assert!(
        !everything.as_str().unwrap().contains("/services/T/B"),
        "the address is not in the page"
    );

    // "Probar": the test message arrives, and the row says so.
    click(&page.c, Locator::XPath(&row_button("Ventas", "Probar"))).await;
    page.wait(10, "the test's outcome", &format!(
        "const o = document.querySelector('#destination-{id} .test-result'); return o && o.textContent === 'Mensaje de prueba enviado'")).await;
    assert_eq!(got.lock().unwrap().len(), 1, "one test message");
    page.js("document.getElementById('destinations').scrollIntoView(); return 1")
        .await;
    shot(&page.c, "destinations").await;

    // The request form has a box for it: the export asked with it ticked names it.
    let legend = page
        .js("const f = document.getElementById('deliver-field'); return !f.hidden && f.querySelector('legend').textContent")
        .await;
    assert_eq!(legend, "Enviar también a");
    tick(&page, "#request-form", "Ventas (Slack)").await;
    click(
        &page.c,
        Locator::XPath("//form[@id='request-form']//button[normalize-space()='Pedir informe']"),
    )
    .await;
    let export = page
        .wait(
            10,
            "the export's row",
            "const r = document.querySelector('#export-rows tr'); return r && Number(r.id.slice(7))",
        )
        .await;
    let deliver: Vec<i64> = sqlx::query_scalar("SELECT deliver FROM exports WHERE account_id = $1")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(deliver, vec![id]);
    page.wait(10, "the export's destination", &format!(
        "const d = document.querySelector('#export-{export} .deliver'); return d && d.textContent === 'Envía a: Ventas (Slack)'")).await;

    // "Programar" from that export ticks it in the schedule form; saved, the schedule
    // names it and its row says so.
    click(
        &page.c,
        Locator::XPath(&format!(
            "//tr[@id='export-{export}']//button[normalize-space()='Programar']"
        )),
    )
    .await;
    assert_eq!(
        ticked(&page, "s-deliver-boxes").await,
        json!(["Ventas (Slack)"])
    );
    let save = "//form[@id='schedule-form']//button[normalize-space()='Guardar']";
    click(&page.c, Locator::XPath(save)).await;
    page.wait(10, "the save", "return document.getElementById('schedule-result').textContent === 'Programación guardada.'").await;
    let (schedule, deliver): (i64, Vec<i64>) =
        sqlx::query_as("SELECT id, deliver FROM schedules WHERE account_id = $1")
            .bind(acct.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(deliver, vec![id]);
    page.wait(10, "the schedule's row", &format!(
        "const d = document.querySelector('#schedule-{schedule} .recipients .deliver'); return d && d.textContent === 'Envía a: Ventas (Slack)'")).await;

    // Edited: the box is ticked; unticked and saved, the schedule names none.
    click(
        &page.c,
        Locator::XPath(&format!(
            "//tr[@id='schedule-{schedule}']//button[normalize-space()='Editar']"
        )),
    )
    .await;
    assert_eq!(
        ticked(&page, "s-deliver-boxes").await,
        json!(["Ventas (Slack)"])
    );
    tick(&page, "#schedule-form", "Ventas (Slack)").await;
    click(&page.c, Locator::XPath(save)).await;
    page.wait(10, "the save", "return document.getElementById('schedule-result').textContent === 'Programación guardada.'").await;
    let deliver: Vec<i64> = sqlx::query_scalar("SELECT deliver FROM schedules WHERE id = $1")
        .bind(schedule)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(deliver.is_empty(), "{deliver:?}");
    page.wait(10, "the schedule's row without it", &format!(
        "const r = document.getElementById('schedule-{schedule}'); return r && !r.querySelector('.deliver')")).await;

    // Deleted after a confirmation that names it: gone from the list and the forms; the
    // export still says where it was to go.
    click(&page.c, Locator::XPath(&row_button("Ventas", "Borrar"))).await;
    let question = page
        .wait(
            5,
            "the confirmation",
            "const d = document.getElementById('confirm'); return d.open && document.getElementById('confirm-text').textContent",
        )
        .await;
    assert!(
        question
            .as_str()
            .unwrap()
            .starts_with("¿Borrar el destino Ventas?"),
        "{question}"
    );
    click(&page.c, Locator::Id("confirm-yes")).await;
    page.wait(
        10,
        "the destination to go",
        "return document.querySelectorAll('#destination-rows tr').length === 0 && document.getElementById('destination-result').textContent === 'Destino Ventas borrado.'",
    )
    .await;
    assert_eq!(destinations(&app, acct.id).await, 0);
    let after = page.js(&format!(
        "return [document.getElementById('no-destinations').hidden, document.getElementById('deliver-field').hidden, document.getElementById('s-deliver-field').hidden, document.querySelector('#export-{export} .deliver').textContent]")).await;
    assert_eq!(
        after,
        json!([false, true, true, format!("Envía a: destino #{id} borrado")])
    );
    assert_eq!(page.js("return CSP_VIOLATIONS").await, json!([]));

    page.close().await;
    app.shutdown().await;
}
