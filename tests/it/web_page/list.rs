//! "Mis exportaciones" past one page: the list shows 50, then the older ones on request
//! (the API's cursor); it filters by state and by kind, and searches the kinds' titles in
//! the page's language.

use exportd_core::kinds::ReportKind;

use super::{Page, small_export};
use crate::harness::TestApp;

const ROWS: &str = "return document.querySelectorAll('#export-rows tr').length";

async fn set(page: &Page, id: &str, value: &str) {
    page.js(&format!(
        "const e = document.getElementById('{id}'); e.value = '{value}'; e.dispatchEvent(new Event(e.tagName === 'INPUT' ? 'input' : 'change')); return 1"
    ))
    .await;
}

async fn rows(page: &Page, want: i64, what: &str) {
    page.wait(
        10,
        what,
        &format!("return document.querySelectorAll('#export-rows tr').length === {want}"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_list_pages_past_50_and_filters_by_state_kind_and_title() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Lista", "Europe/Madrid", "pro", "es").await;
    let first = small_export(&app, &acct.token).await;
    // 54 older-looking finished ones: every third a steps report.
    sqlx::query(
        "INSERT INTO exports (account_id, requested_by, kind, format, range_from, range_to, timezone, options, notify, status, finished_at)
         SELECT account_id, requested_by, CASE WHEN g % 3 = 0 THEN 'steps' ELSE 'global' END, format, range_from, range_to,
                timezone, options, notify, 'cancelled', now()
           FROM exports, generate_series(1, 54) g WHERE id = $1",
    )
    .bind(first)
    .execute(&app.pool)
    .await
    .unwrap();
    let page = Page::open(&app, &acct.token).await;

    assert_eq!(page.js(ROWS).await, 50);
    assert_eq!(
        page.js("return document.getElementById('load-more').hidden")
            .await,
        false
    );
    page.click("#load-more").await;
    rows(&page, 55, "the older five").await;
    assert_eq!(
        page.js("return document.getElementById('load-more').hidden")
            .await,
        true
    );

    set(&page, "f-status", "queued").await;
    rows(&page, 1, "the queued one").await;
    assert_eq!(
        page.js("return document.querySelector('#export-rows tr').id")
            .await,
        format!("export-{first}")
    );
    set(&page, "f-status", "").await;
    set(&page, "f-kind", "steps").await;
    rows(&page, 18, "the steps reports").await;
    set(&page, "f-kind", "").await;

    // The search looks in the titles, in Spanish, whatever the case.
    let title = ReportKind::Steps.info().title.es;
    let word = title.rsplit(' ').next().unwrap();
    set(&page, "f-search", &word.to_uppercase()).await;
    rows(&page, 18, "the steps reports by title").await;
    set(&page, "f-search", "zzz").await;
    rows(&page, 0, "nothing").await;
    assert_eq!(
        page.js(
            "const p = document.getElementById('no-exports'); return !p.hidden && p.textContent"
        )
        .await,
        "Ninguna exportación coincide con estos filtros."
    );

    page.close().await;
    app.shutdown().await;
}
