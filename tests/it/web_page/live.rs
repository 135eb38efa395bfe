//! Live updates. When the event stream drops and cannot come back (here: every new
//! EventSource fails at once, as behind a proxy that cuts streams), the page polls the
//! list and the row still reaches "Listo"; once streams work again it reconnects. A burst
//! of finished exports is one toast ("3 informes listos") naming each with its range.

use super::{Page, doc_shot, shot, small_export, yesterday};
use crate::harness::TestApp;

/// Replaces the browser's EventSource with one that fails as soon as it is opened, and
/// closes the page's stream without telling it.
const BREAK_STREAMS: &str = "
    window.RealEventSource = window.EventSource;
    window.broken = 0;
    window.EventSource = class extends EventTarget {
        constructor() {
            super();
            window.broken += 1;
            this.readyState = 0;
            setTimeout(() => { this.readyState = 2; this.dispatchEvent(new Event('error')); }, 20);
        }
        close() { this.readyState = 2; }
    };
    Live.stream().close();
    return 1";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dropped_event_stream_falls_back_to_polling_and_the_row_still_reaches_ready() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app
        .account("Sin stream", "Europe/Madrid", "pro", "es")
        .await;
    let id = small_export(&app, &acct.token).await;
    let page = Page::open(&app, &acct.token).await;
    page.wait(10, "the stream to open", "return Live.state().open")
        .await;

    page.js(BREAK_STREAMS).await;
    page.wait(
        10,
        "the page to notice and poll",
        "const s = Live.state(); return !s.open && s.polling && window.broken > 0",
    )
    .await;
    app.start_worker();
    let ready = page.wait(60, "the row to reach Listo by polling", &format!(
        "const r = document.getElementById('export-{id}'); return r.dataset.status === 'succeeded' && r.querySelector('.st-succeeded').textContent")).await;
    assert_eq!(ready, "Listo");
    shot(&page.c, "stream-dropped").await;
    // It kept trying to reconnect, with backoff rather than in a tight loop.
    let tries = page.js("return window.broken").await.as_i64().unwrap();
    assert!((1..=7).contains(&tries), "{tries} attempts");

    // Streams work again: the page reconnects and stops polling.
    page.js("window.EventSource = window.RealEventSource; return 1")
        .await;
    page.wait(
        60,
        "the stream to come back",
        "const s = Live.state(); return s.open && !s.polling",
    )
    .await;
    assert_eq!(
        page.js("return document.getElementById('live').textContent")
            .await,
        "En vivo"
    );

    page.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_finished_exports_is_one_toast_naming_each_with_its_range() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Ráfaga", "Europe/Madrid", "pro", "es").await;
    let day = yesterday();
    let mut ids = vec![small_export(&app, &acct.token).await];
    for back in [2, 3] {
        let from = (chrono::Utc::now() - chrono::Duration::days(back))
            .date_naive()
            .to_string();
        let (status, e) = app
            .post_export(
                &acct.token,
                &serde_json::json!({"kind": "global", "format": "csv", "from": from, "to": day, "notify": {"in_app": true}}),
            )
            .await;
        assert_eq!(status, 202, "{e}");
        ids.push(e["id"].as_i64().unwrap());
    }
    let page = Page::open(&app, &acct.token).await;
    // A toast is for an export the page saw before it finished: the worker starts once the
    // page lists the three and its stream is open (on a loaded machine, either can come
    // after three small exports are done).
    let listed = ids
        .iter()
        .map(|id| format!("document.getElementById('export-{id}')"))
        .collect::<Vec<_>>()
        .join(" && ");
    page.wait(
        30,
        "the three listed and the stream open",
        &format!("return Live.state().open && !!({listed})"),
    )
    .await;
    app.start_worker();
    for &id in &ids {
        assert_eq!(
            app.wait_finished(&acct.token, id).await["status"],
            "succeeded"
        );
    }
    let toast = page.wait(30, "one toast for the three", "const g = document.querySelectorAll('#toasts .toast'); return g.length === 1 && g[0].querySelectorAll('li').length === 3 && g[0].textContent").await;
    let text = toast.as_str().unwrap();
    assert!(text.contains("3 informes listos"), "{text}");
    let items = page
        .js("return [...document.querySelectorAll('#toasts .toast li')].map(li => [Number(li.dataset.export), li.textContent])")
        .await;
    for item in items.as_array().unwrap() {
        let (id, words) = (item[0].as_i64().unwrap(), item[1].as_str().unwrap());
        assert!(ids.contains(&id), "{items}");
        assert!(
            words.starts_with("Informe global, ") && words.contains("Descargar"),
            "{words}"
        );
    }
    // Each names its own range: three different ones.
    let ranges: std::collections::HashSet<_> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[1].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ranges.len(), 3, "{items}");
    doc_shot(&page.c, "toasts-grouped").await;

    page.close().await;
    app.shutdown().await;
}
