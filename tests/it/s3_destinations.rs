//! S3 destinations against moto: the file written to a second bucket (the customer's)
//! with an access key and through a role assumed with STS, byte for byte and with a CRC32
//! checksum the bucket keeps; no such bucket and access denied (a second moto that checks
//! IAM permissions) told in words and failing only that delivery; every field checked.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use serde_json::{Value, json};

use crate::{
    destinations::call,
    harness::{TestApp, assert_error, env, nonce, poll},
    lifecycle::small,
};

fn client(endpoint: &str, id: &str, secret: &str) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new(id, secret, None, None, "test"))
            .build(),
    )
}

/// A new bucket of "the customer" in the shared moto.
async fn customer_bucket() -> (aws_sdk_s3::Client, String) {
    let c = client(&env("EXPORTD_TEST_S3_ENDPOINT"), "test", "test");
    let bucket = format!("customer-{}", nonce());
    c.create_bucket().bucket(&bucket).send().await.unwrap();
    (c, bucket)
}

/// `POST /v1/destinations/{id}/test`'s answer.
async fn test_destination(app: &TestApp, a: &crate::harness::TestAccount, id: &Value) -> Value {
    let (s, t) = call(app, a, "POST", &format!("/v1/destinations/{id}/test"), None).await;
    assert_eq!(s, 200, "{t}");
    t
}

async fn settle(app: &TestApp, token: &str, id: i64) -> Value {
    poll(60, "the delivery to settle", || async {
        let (_, e) = app.get_export(token, id).await;
        let status = e["deliveries"][0]["status"].as_str().map(str::to_owned);
        status.filter(|s| s != "pending").map(|_| e)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_file_lands_in_the_customers_bucket_with_a_key_or_an_assumed_role() {
    let endpoint = env("EXPORTD_TEST_S3_ENDPOINT");
    let app = TestApp::spawn_with(&[
        ("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("EXPORTD_STS_ENDPOINT", &endpoint),
    ])
    .await;
    let a = app.account("Bucket", "UTC", "pro", "es").await;
    let (s3, bucket) = customer_bucket().await;
    let (s, by_key) = call(
        &app,
        &a,
        "POST",
        "/v1/destinations",
        Some(json!({"type": "s3",
        "name": "Data lake", "bucket": bucket, "prefix": "exportd/", "endpoint": endpoint,
        "access_key_id": "AKIAEXPORTDTEST0001", "secret_access_key": "s3cr3t-key/value"})),
    )
    .await;
    assert_eq!(s, 201, "{by_key}");
    assert_eq!(by_key["access_key_id"], "AKIAEXPORTDTEST0001");
    // The kept secret goes only to the service it was given for.
    let (s, refused) = call(
        &app,
        &a,
        "PATCH",
        &format!("/v1/destinations/{}", by_key["id"]),
        Some(json!({"endpoint": "http://127.0.0.1:9"})),
    )
    .await;
    assert_error(s, &refused, 422, "invalid_credentials");
    assert!(!by_key.to_string().contains("s3cr3t"), "{by_key}");
    let (s, by_role) = call(
        &app,
        &a,
        "POST",
        "/v1/destinations",
        Some(json!({"type": "s3",
        "name": "Por rol", "bucket": bucket, "prefix": "role", "endpoint": endpoint,
        "role_arn": "arn:aws:iam::123456789012:role/exportd-writer"})),
    )
    .await;
    assert_eq!(s, 201, "{by_role}");
    let external = by_role["external_id"].as_str().unwrap();
    assert!(
        external.starts_with("exportd-") && external.len() > 30,
        "{by_role}"
    );

    for d in [&by_key, &by_role] {
        let t = test_destination(&app, &a, &d["id"]).await;
        assert_eq!(t["delivered"], true, "{t}");
    }
    let left = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(left.key_count(), Some(0), "the probes were removed");

    let mut body = small("xlsx");
    body["deliver"] = json!([by_key["id"], by_role["id"]]);
    let (_, e) = app.post_export(&a.token, &body).await;
    let id = e["id"].as_i64().unwrap();
    app.wait_finished(&a.token, id).await;
    let e = poll(60, "both deliveries", || async {
        let (_, e) = app.get_export(&a.token, id).await;
        let d = e["deliveries"].as_array()?;
        (d.len() == 2 && d.iter().all(|d| d["status"] == "sent")).then_some(e)
    })
    .await;
    let (_, from_link) = app
        .download_url(
            &format!("{}/v1/exports/{id}/download", app.base),
            Some(&a.token),
        )
        .await;
    let name = format!(
        "global_{}_{}_{id}.xlsx",
        body["from"].as_str().unwrap(),
        body["to"].as_str().unwrap()
    );
    for key in [format!("exportd/{name}"), format!("role/{name}")] {
        let got = s3
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await
            .unwrap_or_else(|err| panic!("{key}: {err:?}"));
        assert!(got.checksum_crc32().is_some(), "{key} carries its checksum");
        let bytes = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(bytes.as_ref(), from_link.as_slice(), "{key}");
        assert!(
            e["deliveries"]
                .to_string()
                .contains(&format!("s3://{bucket}/{key}")),
            "the row says what was written where: {e}"
        );
    }
    // A retry of a delivery already made writes nothing (If-None-Match).
    let d = exportd_core::destinations::get(
        &app.pool,
        exportd_core::ids::AccountId(a.id),
        by_key["id"].as_i64().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let again =
        exportd_core::destinations::deliver::Target::new(&d, "s3cr3t-key/value", &app.ctx.cfg)
            .unwrap()
            .put(exportd_core::destinations::deliver::File {
                name: name.clone(),
                body: b"other bytes".to_vec().into(),
                len: 11,
                content_type: "text/plain",
            })
            .await
            .unwrap();
    assert!(again.ends_with("already there)"), "{again}");
    let kept = s3
        .get_object()
        .bucket(&bucket)
        .key(format!("exportd/{name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.body.collect().await.unwrap().into_bytes().as_ref(),
        from_link.as_slice()
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_such_bucket_and_access_denied_fail_that_delivery_at_once_in_words() {
    let app = TestApp::spawn_with(&[("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let a = app.account("Bucket refusals", "UTC", "pro", "es").await;
    let locked: Value =
        serde_json::from_str(&std::fs::read_to_string(env("EXPORTD_TEST_S3_AUTH_KEYS")).unwrap())
            .unwrap();
    let cases = [
        (
            json!({"type": "s3", "name": "No existe", "bucket": format!("gone-{}", nonce()),
                "endpoint": env("EXPORTD_TEST_S3_ENDPOINT"), "access_key_id": "AKIAEXPORTDTEST0001",
                "secret_access_key": "x"}),
            "no such bucket",
        ),
        (
            json!({"type": "s3", "name": "Sin permiso", "bucket": locked["bucket"],
                "endpoint": env("EXPORTD_TEST_S3_AUTH_ENDPOINT"), "access_key_id": locked["access_key_id"],
                "secret_access_key": locked["secret_access_key"]}),
            "access denied",
        ),
        (
            json!({"type": "s3", "name": "Otra llave", "bucket": locked["bucket"],
                "endpoint": env("EXPORTD_TEST_S3_AUTH_ENDPOINT"), "access_key_id": "AKIAEXPORTDUNKNOWN01",
                "secret_access_key": "x"}),
            "access denied",
        ),
    ];
    for (body, words) in cases {
        let (s, d) = call(&app, &a, "POST", "/v1/destinations", Some(body)).await;
        assert_eq!(s, 201, "{d}");
        let t = test_destination(&app, &a, &d["id"]).await;
        assert_eq!(
            (t["delivered"].as_bool(), t["retryable"].as_bool()),
            (Some(false), Some(false)),
            "{t}"
        );
        assert!(
            t["reason"].as_str().unwrap().contains(words),
            "{words}: {t}"
        );
        let mut req = small("csv");
        req["deliver"] = json!([d["id"]]);
        let (_, e) = app.post_export(&a.token, &req).await;
        let e = settle(&app, &a.token, e["id"].as_i64().unwrap()).await;
        let got = &e["deliveries"][0];
        assert_eq!(
            (got["status"].as_str(), got["attempts"].as_i64()),
            (Some("failed"), Some(1)),
            "{e}"
        );
        assert!(got["error"].as_str().unwrap().contains(words), "{e}");
        assert_eq!(
            e["status"], "succeeded",
            "the export itself stays downloadable"
        );
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_field_has_a_limit_and_an_error_naming_it() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let a = app.account("Fields", "UTC", "pro", "es").await;
    let fp = format!("SHA256:{}", "A".repeat(43));
    let sftp = |k: &str, v: Value| {
        let mut b = json!({"type": "sftp", "name": "x", "host": "sftp.example.com", "user": "u",
            "password": "p", "host_key": fp});
        b[k] = v;
        b
    };
    let s3 = |k: &str, v: Value| {
        let mut b = json!({"type": "s3", "name": "x", "bucket": "acme-exports",
            "role_arn": "arn:aws:iam::123456789012:role/w"});
        b[k] = v;
        b
    };
    let big_key = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        "A".repeat(100_000)
    );
    for (body, code) in [
        (sftp("host", json!("10.0.0.7")), "invalid_host"),
        (sftp("host", json!("169.254.169.254")), "invalid_host"),
        (sftp("host", json!("127.0.0.1")), "invalid_host"),
        (sftp("host", json!("bad host!")), "invalid_host"),
        (sftp("port", json!(70000)), "invalid_port"),
        (sftp("port", json!(0)), "invalid_port"),
        (sftp("user", json!("")), "invalid_user"),
        (sftp("host_key", json!("MD5:aa:bb")), "invalid_host_key"),
        (sftp("host_key", json!("SHA256:short")), "invalid_host_key"),
        (sftp("directory", json!("../etc")), "invalid_directory"),
        (
            sftp("file_name", json!("{kind}.{ext}")),
            "invalid_file_name",
        ),
        (sftp("file_name", json!("../{id}")), "invalid_file_name"),
        (
            sftp("password", json!("p".repeat(2000))),
            "invalid_password",
        ),
        (
            {
                let mut b = sftp("private_key", json!(big_key));
                b.as_object_mut().unwrap().remove("password");
                b
            },
            "invalid_private_key",
        ),
        (
            {
                let mut b = sftp("private_key", json!("not a key"));
                b.as_object_mut().unwrap().remove("password");
                b
            },
            "invalid_private_key",
        ),
        (
            sftp("private_key", json!("also given")),
            "invalid_credentials",
        ),
        (sftp("bucket", json!("b")), "unknown_field"),
        (s3("bucket", json!("No_Caps")), "invalid_bucket"),
        (s3("bucket", json!("ab")), "invalid_bucket"),
        (s3("region", json!("EU WEST")), "invalid_region"),
        (s3("prefix", json!("a/../b")), "invalid_prefix"),
        (s3("prefix", json!("p".repeat(600))), "invalid_prefix"),
        (
            s3("endpoint", json!("ftp://minio.example.com")),
            "invalid_endpoint",
        ),
        (
            s3("endpoint", json!("http://192.168.1.10:9000")),
            "invalid_endpoint",
        ),
        (
            s3("role_arn", json!("arn:aws:iam::12:role/x")),
            "invalid_role_arn",
        ),
        (
            s3("access_key_id", json!("AKIAEXPORTDTEST0001")),
            "invalid_credentials",
        ),
        (s3("host", json!("h")), "unknown_field"),
        (
            json!({"type": "s3", "name": "x", "bucket": "acme-exports", "access_key_id": "AKIAEXPORTDTEST0001"}),
            "invalid_secret_access_key",
        ),
        (
            json!({"type": "s3", "name": "x", "bucket": "acme-exports"}),
            "invalid_credentials",
        ),
        (
            json!({"type": "ftp", "name": "x"}),
            "unknown_destination_type",
        ),
    ] {
        let (s, got) = call(&app, &a, "POST", "/v1/destinations", Some(body.clone())).await;
        assert_error(s, &got, 422, code);
        assert!(
            !got.to_string().contains("AAAAAAAAAA"),
            "no key echoed: {got}"
        );
    }
    // A change checks the same, keeps the secret, and cannot change the type.
    let (s, d) = call(
        &app,
        &a,
        "POST",
        "/v1/destinations",
        Some(s3("prefix", json!("in/"))),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    let path = format!("/v1/destinations/{}", d["id"]);
    let (s, got) = call(&app, &a, "PATCH", &path, Some(json!({"bucket": "X"}))).await;
    assert_error(s, &got, 422, "invalid_bucket");
    let (s, got) = call(&app, &a, "PATCH", &path, Some(json!({"type": "sftp"}))).await;
    assert_error(s, &got, 422, "type_fixed");
    let (s, got) = call(
        &app,
        &a,
        "PATCH",
        &path,
        Some(json!({"prefix": "", "region": "eu-west-1"})),
    )
    .await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(
        (
            got["prefix"].as_str(),
            got["region"].as_str(),
            got["external_id"].as_str()
        ),
        (None, Some("eu-west-1"), d["external_id"].as_str()),
        "the external id stays: the customer's trust policy names it"
    );
    app.shutdown().await;
}
