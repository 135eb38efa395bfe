//! `exportd request`, `exportd exports list` and `exportd schedules list` run as the
//! binary against a real server: exit codes, the downloaded file read back.

use std::process::Command;

use crate::{harness::TestApp, sheets::xlsx};

fn exportd(app: &TestApp, token: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_exportd"))
        .args(args)
        .env("EXPORTD_URL", &app.base)
        .env("EXPORTD_TOKEN", token)
        .env("EXPORTD_LOG", "error")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn request_follows_the_export_and_downloads_it_with_exit_codes_that_say_what_happened() {
    let app = TestApp::spawn().await;
    let acct = app.account("Cli", "UTC", "pro", "en").await;
    let day = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.xlsx");
    let token = acct.token.clone();
    let (app, run) = (
        std::sync::Arc::new(app),
        |app: std::sync::Arc<TestApp>, args: Vec<String>| {
            let token = token.clone();
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                exportd(&app, &token, &args)
            })
        },
    );
    let args = |extra: &[&str]| -> Vec<String> {
        ["request", "--kind", "global", "--from", &day, "--to", &day]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let o = run(
        app.clone(),
        args(&["--format", "xlsx", "--out", out.to_str().unwrap()]),
    )
    .await
    .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sheets = xlsx(&std::fs::read(&out).unwrap());
    assert_eq!(sheets[0].0, "Summary", "the downloaded file is the report");

    // An option the API refuses: a usage error, with the API's reason.
    let o = run(app.clone(), args(&["--option", "delimter=;"]))
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("delimter"),
        "{o:?}"
    );
    // A command line that is wrong.
    let o = run(
        app.clone(),
        vec!["request".into(), "--kind".into(), "global".into()],
    )
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    // A bad token: the reason, exit 2.
    let o = tokio::task::spawn_blocking({
        let (app, args) = (app.clone(), args(&[]));
        move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            exportd(&app, "not-a-token", &a)
        }
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");

    // The list shows the export that was made.
    let o = run(app.clone(), vec!["exports".into(), "list".into()])
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let table = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(table.starts_with("id"), "{table}");
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("global") && l.contains("succeeded")),
        "{table}"
    );
    let o = run(app.clone(), vec!["schedules".into(), "list".into()])
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("id"));
    std::sync::Arc::into_inner(app).unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn request_exits_1_with_the_reason_when_the_export_fails() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let acct = app.account("CliFail", "UTC", "pro", "en").await;
    // No bucket: the export fails at once with a reason an operator can act on.
    if let exportd_core::storage::Storage::S3 { client, bucket } = &app.ctx.storage {
        client.delete_bucket().bucket(bucket).send().await.unwrap();
    }
    let day = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let o = tokio::task::spawn_blocking({
        let (app, token) = (app.clone(), acct.token.clone());
        move || {
            exportd(
                &app,
                &token,
                &["request", "--kind", "global", "--from", &day, "--to", &day],
            )
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("failed") && stderr.contains("storage_misconfigured"),
        "{stderr}"
    );
    std::sync::Arc::into_inner(app).unwrap().shutdown().await;
}
