//! The progress bar at its rendered width (the page's CSP refuses style attributes, so the
//! width goes through the CSSOM), and the layout around it: the range on one line, "Salir"
//! level with the bell, one format for instants with their zone, the table as cards on a
//! 390 px phone, the favicon, and the language from `?lang=` and the switcher.

use serde_json::json;

use super::{Page, doc_shot, small_export};
use crate::harness::TestApp;

/// The share of its track a row's bar fills, as drawn.
fn filled(id: i64) -> String {
    format!(
        "const p = document.querySelector('#export-{id} .progress'); const f = p.querySelector('.fill'); \
         return f.getBoundingClientRect().width / p.getBoundingClientRect().width"
    )
}

async fn wait_filled(page: &Page, id: i64, want: f64) {
    page.wait(
        20,
        &format!("export {id}'s bar at {want}"),
        &format!(
            "const v = (() => {{ {} }})(); return Math.abs(v - {want}) < 0.02 && v",
            filled(id)
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_progress_bar_is_drawn_at_0_50_and_100_percent_and_the_page_fits_a_390_px_phone() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Progreso", "Europe/Madrid", "pro", "es").await;
    let zero = small_export(&app, &acct.token).await;
    let half = small_export(&app, &acct.token).await;
    let full = small_export(&app, &acct.token).await;
    sqlx::query(
        "UPDATE exports SET status = 'running', started_at = now(), progress = 50 WHERE id = $1",
    )
    .bind(half)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE exports SET status = 'succeeded', started_at = now(), finished_at = now(), progress = 100, file_name = 'informe.xlsx', file_bytes = 27388, expires_at = now() + interval '30 days' WHERE id = $1")
        .bind(full)
        .execute(&app.pool)
        .await
        .unwrap();
    let page = Page::open(&app, &acct.token).await;

    wait_filled(&page, zero, 0.0).await;
    wait_filled(&page, half, 0.5).await;
    wait_filled(&page, full, 1.0).await;
    assert_eq!(
        page.js("return CSP_VIOLATIONS").await,
        json!([]),
        "the page's policy refused nothing"
    );
    // It moves live: progress written to the row reaches the bar without a reload.
    sqlx::query(
        "UPDATE exports SET status = 'running', started_at = now(), progress = 50 WHERE id = $1",
    )
    .bind(zero)
    .execute(&app.pool)
    .await
    .unwrap();
    wait_filled(&page, zero, 0.5).await;
    sqlx::query(
        "UPDATE exports SET status = 'queued', started_at = NULL, progress = 0 WHERE id = $1",
    )
    .bind(zero)
    .execute(&app.pool)
    .await
    .unwrap();
    wait_filled(&page, zero, 0.0).await;
    assert_eq!(
        page.js(&format!(
            "return document.querySelector('#export-{full} td[data-label=\"Tamaño\"]').textContent"
        ))
        .await,
        json!("27,4 kB")
    );
    // The whole page, bars and all: the README's picture.
    page.c.set_window_size(1280, 2300).await.unwrap();
    page.js("window.scrollTo(0, 0); return 1").await;
    doc_shot(&page.c, "progress-0-50-100").await;
    page.c.set_window_size(1280, 1800).await.unwrap();

    // The range stays on one line; "Salir" sits level with the bell, as tall.
    let lines = page
        .js(&format!(
            "return document.querySelector('#export-{full} .range-text').getClientRects().length"
        ))
        .await;
    assert_eq!(lines, json!(1), "the range does not break");
    let level = page.js("const a = document.getElementById('bell').getBoundingClientRect(), b = document.querySelector('.signout button').getBoundingClientRect(); return [Math.abs(a.top - b.top), Math.abs(a.height - b.height)]").await;
    assert!(
        level[0].as_f64().unwrap() < 1.5 && level[1].as_f64().unwrap() < 1.5,
        "{level}"
    );
    // One format for instants, with the zone: requested and kept-until end alike.
    let times = page.js(&format!(
        "return [...document.querySelectorAll('#export-{full} td')].filter(td => ['Pedido', 'Archivo hasta'].includes(td.dataset.label)).map(td => td.textContent)")).await;
    let zone = |s: &str| s.rsplit(' ').next().unwrap().to_owned();
    let (a, b) = (times[0].as_str().unwrap(), times[1].as_str().unwrap());
    assert!(a.contains(':') && b.contains(':'), "{times}");
    assert_eq!(zone(a), zone(b), "{times}");
    assert!(
        !zone(a).chars().all(|c| c.is_ascii_digit()),
        "a zone, not a number: {times}"
    );

    // A 390 px phone: nothing wider than the screen, every action on it.
    page.c.set_window_size(390, 844).await.unwrap();
    let fits = page.wait(10, "the page to fit 390 px", "const w = document.documentElement.clientWidth; return document.documentElement.scrollWidth <= w && w").await;
    let width = fits.as_f64().unwrap();
    let rights = page
        .js("return [...document.querySelectorAll('#export-rows tr, #export-rows td.actions .v > *')].map(e => e.getBoundingClientRect().right)")
        .await;
    for r in rights.as_array().unwrap() {
        assert!(r.as_f64().unwrap() <= width + 0.5, "{rights} > {width}");
    }
    page.js("window.scrollTo(0, 0); return 1").await;
    super::shot(&page.c, "phone-390-top").await;
    page.js("document.getElementById('exports').scrollIntoView(); return 1")
        .await;
    doc_shot(&page.c, "phone-390").await;
    page.c.set_window_size(1280, 1800).await.unwrap();

    // The favicon is served, and the page names it.
    let icon = app
        .http
        .get(format!("{}/favicon.ico", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert_eq!(
        page.js("return document.querySelector('link[rel=icon]').getAttribute('href')")
            .await,
        "/assets/favicon.svg"
    );

    // `?lang=en` is honoured; the switcher changes the language at once, and the choice
    // stays on the next visit.
    page.c
        .goto(&format!("{}/?lang=en", app.base))
        .await
        .unwrap();
    super::wait_ready(&page.c).await;
    assert_eq!(page.js("return document.documentElement.lang").await, "en");
    assert_eq!(
        page.js("return document.getElementById('request-title').textContent")
            .await,
        "Request a report"
    );
    page.js("const s = document.getElementById('lang'); s.value = 'pt'; s.dispatchEvent(new Event('change')); return 1").await;
    assert_eq!(
        page.js(&format!(
            "return [document.getElementById('request-title').textContent, document.querySelector('#export-{half} .st-running').textContent]"
        ))
        .await,
        json!(["Pedir um relatório", "Em andamento"])
    );
    page.c.goto(&format!("{}/", app.base)).await.unwrap();
    super::wait_ready(&page.c).await;
    assert_eq!(page.js("return document.documentElement.lang").await, "pt");

    page.close().await;
    app.shutdown().await;
}
