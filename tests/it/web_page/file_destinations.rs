//! S3 and SFTP destinations in the page, against the real SFTP server and moto: the form
//! shows each type's fields, checks the host key's shape before sending, and adds an SFTP
//! drop whose row says where files go (never the key); "Probar" writes a probe file; an
//! export asked with it ticked lands on the server, and "Ver entregas" says so. An S3
//! destination by role shows the external id its trust policy must require.

use fantoccini::Locator;
use serde_json::json;

use super::{Page, click, doc_shot};
use crate::harness::{TestApp, env};

async fn fill(page: &Page, id: &str, text: &str) {
    let field = page.c.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

fn fingerprint(dir: &std::path::Path) -> String {
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(dir.join("host_key.pub"))
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_sftp_drop_and_an_s3_role_are_added_tested_and_delivered_to_from_the_page() {
    let app = TestApp::spawn_with(&[("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let acct = app.account("Entregas", "UTC", "pro", "es").await;
    let dir = std::path::PathBuf::from(env("EXPORTD_TEST_SFTP_DIR"));
    let page = Page::open(&app, &acct.token).await;
    page.js("document.getElementById('destinations').scrollIntoView(); return 1")
        .await;

    click(&page.c, Locator::Id("d-type-sftp")).await;
    let shown = page
        .js("return ['d-slack-fields','d-s3-fields','d-sftp-fields'].map(id => document.getElementById(id).hidden)")
        .await;
    assert_eq!(shown, json!([true, true, false]));
    fill(&page, "d-name", "Almacén").await;
    fill(&page, "d-host", "127.0.0.1").await;
    fill(&page, "d-port", &env("EXPORTD_TEST_SFTP_PORT")).await;
    fill(&page, "d-user", &env("EXPORTD_TEST_SFTP_USER")).await;
    fill(&page, "d-directory", "upload").await;
    fill(
        &page,
        "d-private-key",
        &std::fs::read_to_string(dir.join("client_key")).unwrap(),
    )
    .await;
    // A fingerprint of the wrong shape is caught in the page, in Spanish.
    fill(&page, "d-host-key", "MD5:12:34").await;
    let add = "//form[@id='destination-form']//button[normalize-space()='Añadir destino']";
    click(&page.c, Locator::XPath(add)).await;
    let said = page
        .wait(5, "the host key's error", "const e = document.getElementById('d-host-key-error'); return !e.hidden && e.textContent")
        .await;
    assert!(said.as_str().unwrap().contains("SHA256"), "{said}");
    // The whole line ssh-keygen prints is taken.
    fill(&page, "d-host-key", fingerprint(&dir).trim()).await;
    click(&page.c, Locator::XPath(add)).await;
    page.wait(10, "the destination added", "return document.getElementById('destination-result').textContent === 'Destino Almacén añadido.'").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM destinations WHERE account_id = $1")
        .bind(acct.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let row = page
        .js(&format!("const r = document.getElementById('destination-{id}'); return [r.querySelector('.type').textContent, r.querySelector('.where').textContent]"))
        .await;
    assert_eq!(
        row,
        json!([
            "SFTP",
            format!(
                "{}@127.0.0.1:{}/upload",
                env("EXPORTD_TEST_SFTP_USER"),
                env("EXPORTD_TEST_SFTP_PORT")
            )
        ])
    );
    let html = page.js("return document.documentElement.outerHTML").await;
    assert!(
        !html.as_str().unwrap().contains("PRIVATE KEY-----\n"),
        "the key is not shown"
    );

    click(
        &page.c,
        Locator::XPath(&format!(
            "//tr[@id='destination-{id}']//button[normalize-space()='Probar']"
        )),
    )
    .await;
    let tested = page
        .wait(20, "the test's outcome", &format!("const o = document.querySelector('#destination-{id} .test-result'); return o && o.classList.contains('ok') && o.textContent"))
        .await;
    assert!(
        tested
            .as_str()
            .unwrap()
            .starts_with("Archivo de prueba escrito: sftp://"),
        "{tested}"
    );
    doc_shot(&page.c, "destinations-sftp").await;

    // An export with the drop ticked lands there; its row's deliveries say so.
    let tick = "//form[@id='request-form']//label[normalize-space()='Almacén (SFTP)']";
    click(&page.c, Locator::XPath(tick)).await;
    click(
        &page.c,
        Locator::XPath("//form[@id='request-form']//button[normalize-space()='Pedir informe']"),
    )
    .await;
    let export = page
        .wait(10, "the export's row", "const r = document.querySelector('#export-rows tr'); return r && Number(r.id.slice(7))")
        .await;
    let export = export.as_i64().unwrap();
    let sent = crate::harness::poll(60, "the delivery", || async {
        let s: Option<String> = sqlx::query_scalar(
            "SELECT status FROM notifications WHERE export_id = $1 AND channel = 'sftp'",
        )
        .bind(export)
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        s.filter(|s| s == "sent")
    })
    .await;
    assert_eq!(sent, "sent");
    page.wait(
        20,
        "the deliveries button",
        &format!("return !!document.querySelector('#export-{export} button.deliveries')"),
    )
    .await;
    click(
        &page.c,
        Locator::Css(&format!("#export-{export} button.deliveries")),
    )
    .await;
    let listed = page
        .wait(10, "the deliveries", &format!("const l = document.querySelector('#export-{export} ul.deliveries li.dv-sent'); return l && l.textContent"))
        .await;
    assert!(
        listed
            .as_str()
            .unwrap()
            .contains(&format!("_{export}.xlsx")),
        "{listed}"
    );
    assert!(
        dir.join("root/upload")
            .read_dir()
            .unwrap()
            .flatten()
            .any(|e| e
                .file_name()
                .to_string_lossy()
                .ends_with(&format!("_{export}.xlsx")))
    );

    // S3 by role: the external id is shown, to be put in the role's trust policy.
    click(&page.c, Locator::Id("d-type-s3")).await;
    fill(&page, "d-name", "Lago").await;
    fill(&page, "d-bucket", "acme-exports").await;
    fill(&page, "d-endpoint", &env("EXPORTD_TEST_S3_ENDPOINT")).await;
    click(&page.c, Locator::Id("d-s3-auth-role")).await;
    fill(
        &page,
        "d-role-arn",
        "arn:aws:iam::123456789012:role/exportd-writer",
    )
    .await;
    click(&page.c, Locator::XPath(add)).await;
    let external: String = crate::harness::poll(10, "the S3 destination", || async {
        sqlx::query_scalar("SELECT settings->>'external_id' FROM destinations WHERE account_id = $1 AND kind = 's3'")
            .bind(acct.id)
            .fetch_optional(&app.pool)
            .await
            .unwrap()
    })
    .await;
    let shown = page
        .wait(10, "the external id in its row", "const c = document.querySelector('#destination-rows .external-id code'); return c && c.textContent")
        .await;
    assert_eq!(shown, json!(external));
    doc_shot(&page.c, "destinations-s3-role").await;
    assert_eq!(page.js("return CSP_VIOLATIONS").await, json!([]));
    page.close().await;
    app.shutdown().await;
}
