//! Cancel versus delete on the page. "Cancelar" sends `POST …/cancel`: it stops a queued
//! export, and on a row left stale after its export finished it deletes nothing (the 409
//! is said in Spanish and the row shows the export as it is). "Borrar archivo" asks in the
//! page itself, then offers "Deshacer" for a few seconds before it sends `DELETE`; the
//! file's link then shows a page in Spanish, not JSON.

use std::time::Duration;

use super::{Page, doc_shot, shot, small_export, status_of};
use crate::harness::{TestApp, poll};

async fn wait_status(app: &TestApp, id: i64, want: &str) {
    poll(30, &format!("export {id} to be {want}"), || async {
        (status_of(app, id).await == want).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_stops_a_queued_export_and_never_deletes_a_finished_file_which_delete_removes_after_confirmation_and_undo()
 {
    let mut app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Cancelar", "Europe/Madrid", "pro", "es").await;
    let queued = small_export(&app, &acct.token).await;
    let page = Page::open(&app, &acct.token).await;

    // A queued export: "Cancelar" cancels it.
    page.click(&format!("#export-{queued} button.cancel")).await;
    wait_status(&app, queued, "cancelled").await;
    page.wait(10, "the row to say cancelled", &format!(
        "const r = document.getElementById('export-{queued}'); return r.dataset.status === 'cancelled' && r.textContent.includes('Cancelado')")).await;

    // A finished export whose row still says "En cola", as a page whose live updates lag
    // shows it: "Cancelar" deletes nothing.
    app.start_worker();
    let done = small_export(&app, &acct.token).await;
    assert_eq!(
        app.wait_finished(&acct.token, done).await["status"],
        "succeeded"
    );
    page.wait(30, "the row to be ready", &format!(
        "const r = document.getElementById('export-{done}'); return r && r.dataset.status === 'succeeded'")).await;
    page.js(&format!(
        "Exports.upsert(Object.assign({{}}, App.exports.get({done}), {{status: 'queued', progress: 0}})); return 1"
    ))
    .await;
    page.click(&format!("#export-{done} button.cancel")).await;
    page.wait(
        10,
        "the page to say it had finished",
        "return [...document.querySelectorAll('.toast.info')].some(n => n.textContent.includes('Esta exportación ya había terminado; no se canceló ni se borró nada.'))",
    )
    .await;
    page.wait(10, "the row to show the export as it is", &format!(
        "const r = document.getElementById('export-{done}'); return r.dataset.status === 'succeeded' && !!r.querySelector('a.download')")).await;
    assert_eq!(status_of(&app, done).await, "succeeded");
    let (code, bytes) = app
        .download_url(
            &format!("{}/v1/exports/{done}/download", app.base),
            Some(&acct.token),
        )
        .await;
    assert_eq!(code, 200);
    assert!(bytes.starts_with(b"PK"), "the file is still there");

    // "Borrar archivo" asks first, in the page; "No borrar" keeps it.
    page.click(&format!("#export-{done} button.delete-file"))
        .await;
    let asked = page
        .wait(
            5,
            "the confirmation",
            "const d = document.getElementById('confirm'); return d.open && d.textContent",
        )
        .await;
    assert!(
        asked
            .as_str()
            .unwrap()
            .contains(&format!("¿Borrar el archivo de la exportación {done}")),
        "{asked}"
    );
    doc_shot(&page.c, "cancel-confirm").await;
    page.click("#confirm-no").await;
    page.wait(
        5,
        "the dialog to close",
        "return !document.getElementById('confirm').open",
    )
    .await;

    // Confirmed, then undone within the seconds it offers: nothing is deleted.
    page.click(&format!("#export-{done} button.delete-file"))
        .await;
    page.click("#confirm-yes").await;
    page.wait(
        5,
        "the undo offer",
        "const u = document.querySelector('.toast.undo button.undo'); return u && u.textContent === 'Deshacer'",
    )
    .await;
    shot(&page.c, "delete-undo").await;
    page.click(".toast.undo button.undo").await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(status_of(&app, done).await, "succeeded", "undone in time");
    page.wait(
        5,
        "the download link back",
        &format!("return !!document.querySelector('#export-{done} a.download')"),
    )
    .await;

    // Confirmed and left: the file is deleted after the few seconds.
    page.click(&format!("#export-{done} button.delete-file"))
        .await;
    page.click("#confirm-yes").await;
    assert_eq!(
        status_of(&app, done).await,
        "succeeded",
        "not before the undo time"
    );
    wait_status(&app, done, "expired").await;
    page.wait(10, "the row to say expired", &format!(
        "const r = document.getElementById('export-{done}'); return r.dataset.status === 'expired'")).await;

    // Its link now answers a page in the account's language, not JSON.
    page.c
        .goto(&format!("{}/v1/exports/{done}/download", app.base))
        .await
        .unwrap();
    let gone = page
        .wait(
            10,
            "the expired-link page",
            "const m = document.getElementById('link-error'); return m && [m.querySelector('h1').textContent, document.getElementById('error').textContent]",
        )
        .await;
    assert_eq!(gone[0], "Este archivo no se puede descargar");
    assert!(
        gone[1].as_str().unwrap().contains("expiró y se borró"),
        "{gone}"
    );
    doc_shot(&page.c, "expired-link").await;

    page.close().await;
    app.shutdown().await;
}
