//! The OpenAPI document against the server that serves it: 3.1, every route of the router
//! in it with its errors, every `$ref` resolving; then schemathesis (PyPI) fuzzing the live
//! server with a real admin's token, which must find no server error and no response that
//! breaks the document.

use serde_json::Value;

use crate::harness::{TestApp, assert_error_response, env};

/// Every operation the router serves under `/v1`, and the public ones.
const OPERATIONS: &[(&str, &str)] = &[
    ("post", "/v1/exports"),
    ("get", "/v1/exports"),
    ("get", "/v1/exports/{id}"),
    ("delete", "/v1/exports/{id}"),
    ("post", "/v1/exports/{id}/cancel"),
    ("get", "/v1/exports/{id}/download"),
    ("get", "/v1/notifications"),
    ("post", "/v1/notifications/{id}/read"),
    ("post", "/v1/notifications/read"),
    ("get", "/v1/notifications/stream"),
    ("post", "/v1/schedules"),
    ("get", "/v1/schedules"),
    ("get", "/v1/schedules/{id}"),
    ("patch", "/v1/schedules/{id}"),
    ("delete", "/v1/schedules/{id}"),
    ("post", "/v1/schedules/{id}/run"),
    ("post", "/v1/destinations"),
    ("get", "/v1/destinations"),
    ("get", "/v1/destinations/{id}"),
    ("patch", "/v1/destinations/{id}"),
    ("delete", "/v1/destinations/{id}"),
    ("post", "/v1/destinations/{id}/test"),
    ("get", "/v1/webhook-secret"),
    ("post", "/v1/webhook-secret"),
    ("get", "/v1/me"),
    ("get", "/v1/kinds"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_with_every_route_its_errors_and_examples() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let doc: Value = app
        .http
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in OPERATIONS {
        let op = &doc["paths"][path][method];
        assert!(
            op.is_object(),
            "{method} {path} is missing from the document"
        );
        assert!(
            op["responses"]
                .as_object()
                .is_some_and(|r| r.keys().any(|s| s.starts_with('2') || s.starts_with('3'))),
            "{method} {path} has no success response"
        );
        if path.starts_with("/v1/") {
            for status in ["401", "403", "500", "503"] {
                assert!(
                    op["responses"][status].is_object(),
                    "{method} {path} does not say {status}"
                );
            }
        }
    }
    // Nothing in the document that the router does not serve.
    let served: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            ["get", "post", "patch", "delete", "put"]
                .iter()
                .filter(|m| item[**m].is_object())
                .count()
        })
        .sum();
    assert_eq!(served, OPERATIONS.len());
    // Every operation id is unique; every reference resolves.
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| {
            item.as_object()
                .unwrap()
                .values()
                .filter_map(|op| op["operationId"].as_str())
        })
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "operation ids repeat");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r} is not a schema ref"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    // The request's body and the error shape carry examples; the request's errors are named.
    let post = &doc["paths"]["/v1/exports"]["post"];
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/CreateExport"
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let bare: Vec<&String> = schemas
        .iter()
        .filter(|(_, s)| {
            s["properties"].is_object() && !s["example"].is_object() && !s["examples"].is_array()
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        bare.is_empty(),
        "object schemas without an example: {bare:?}"
    );
    for status in ["202", "422", "429"] {
        assert!(
            post["responses"][status].is_object(),
            "POST /v1/exports does not say {status}"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"]["example"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // `/docs` is served with the page's script from the binary itself.
    let page = app
        .http
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/assets/docs.js") && !html.contains("https://"),
        "{html}"
    );
    let js = app
        .http
        .get(format!("{}/assets/docs.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("openapi.json"));

    // Unknown routes and methods answer in the error shape, too.
    assert_error_response(
        app.http
            .get(format!("{}/v1/nope", app.base))
            .send()
            .await
            .unwrap(),
        404,
        "no_such_route",
    )
    .await;
    assert_error_response(
        app.http
            .put(format!("{}/v1/exports", app.base))
            .send()
            .await
            .unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_response_outside_the_document() {
    let app = TestApp::spawn().await;
    let acct = app.account("Fuzzed", "Europe/Madrid", "pro", "es").await;
    // Something to read for the operations that take an id: a finished export with its
    // in-app notification, and a schedule. Schemathesis is told their ids.
    let day = (chrono::Utc::now() - chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let (status, export) = app
        .post_export(
            &acct.token,
            &serde_json::json!({"kind": "global", "format": "csv",
        "from": day, "to": day, "notify": {"in_app": true}}),
        )
        .await;
    assert_eq!(status, 202, "{export}");
    let export_id = export["id"].as_i64().unwrap();
    assert_eq!(
        app.wait_finished(&acct.token, export_id).await["status"],
        "succeeded"
    );
    let feed: Value = app
        .http
        .get(format!("{}/v1/notifications", app.base))
        .bearer_auth(&acct.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notification_id = feed["items"][0]["id"]
        .as_i64()
        .expect("the export's notification");
    let schedule: Value = app
        .http
        .post(format!("{}/v1/schedules", app.base))
        .bearer_auth(&acct.token)
        .json(&serde_json::json!({"kind": "steps", "format": "xlsx", "day_of_month": 2, "hour": 6}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schedule_id = schedule["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{schedule}"));
    // A Slack destination, made directly: its host need not resolve here.
    let sealed = app
        .ctx
        .cfg
        .sealer
        .as_ref()
        .expect("the tests' sealing key")
        .seal(acct.id, b"https://hooks.slack.com/services/T/B/x");
    let destination_id = exportd_core::destinations::insert(
        &app.pool,
        exportd_core::ids::AccountId(acct.id),
        exportd_core::ids::UserId(0),
        "slack",
        "Ventas",
        &serde_json::json!({"host": "hooks.slack.com"}),
        &sealed,
    )
    .await
    .unwrap()
    .id;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[operations]]
include-path-regex = "^/v1/exports/"
parameters = {{ "path.id" = {export_id} }}

[[operations]]
include-path-regex = "^/v1/notifications/[{{]"
parameters = {{ "path.id" = {notification_id} }}

[[operations]]
include-path-regex = "^/v1/schedules/"
parameters = {{ "path.id" = {schedule_id} }}

[[operations]]
include-path-regex = "^/v1/destinations/"
parameters = {{ "path.id" = {destination_id} }}
"#
        ),
    )
    .unwrap();

    let out = std::process::Command::new(env("EXPORTD_TEST_PYTHON"))
        .current_dir(dir.path())
        .args(["-m", "schemathesis.cli", "--config-file"]).arg(&config)
        .args(["run", &format!("{}/openapi.json", app.base)])
        .args(["--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,response_headers_conformance"])
        .args(["--header", &format!("Authorization: Bearer {}", acct.token)])
        .args(["--max-examples", "40", "--seed", "1", "--request-timeout", "20", "--no-color"])
        .args(["--phases", "examples,coverage,fuzzing"])
        // The event stream never ends by itself; it has tests of its own.
        .args(["--exclude-path", "/v1/notifications/stream"])
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    let cases = lines
        .iter()
        .position(|l| *l == "Test cases:")
        .and_then(|i| lines.get(i + 1))
        .copied()
        .unwrap_or_default();
    println!(
        "schemathesis: {cases}; {}",
        lines
            .iter()
            .rev()
            .find(|l| l.starts_with('='))
            .unwrap_or(&"")
    );
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (generated, passed) = cases
        .split_once(" generated, ")
        .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
    assert_eq!(passed, format!("{generated} passed"), "{stdout}");
    assert!(generated.parse::<u32>().unwrap() > 500, "{stdout}");
    assert!(
        !stdout.contains("Missing test data"),
        "every operation reached real data:\n{stdout}"
    );
    app.shutdown().await;
}
