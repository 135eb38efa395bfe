//! Files go to S3 while they are written: parts leave before the file is complete, a
//! finished upload is one whole object, and an abandoned one (an error, a cancel) leaves
//! neither an object nor a multipart upload in the S3 server.

use exportd_bench::seed::{self, SeedParams};
use exportd_core::{
    storage::{Storage, StorageError},
    upload::PART_SIZE,
};
use serde_json::json;

use crate::harness::{TestApp, poll};

impl TestApp {
    /// Multipart uploads begun and neither completed nor aborted, in this app's bucket.
    pub async fn multipart_uploads(&self) -> Vec<String> {
        let Storage::S3 { client, bucket } = &self.ctx.storage else {
            return vec![];
        };
        let out = client
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        out.uploads()
            .iter()
            .filter_map(|u| u.key().map(str::to_owned))
            .collect()
    }

    async fn object(&self, key: &str) -> Option<Vec<u8>> {
        let Storage::S3 { client, bucket } = &self.ctx.storage else {
            return None;
        };
        let got = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .ok()?;
        Some(got.body.collect().await.unwrap().into_bytes().to_vec())
    }
}

/// Bytes that do not repeat in a way a bug could hide: part `i`'s bytes differ from
/// part `j`'s.
fn bytes(n: usize, salt: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i / 7919) as u8).wrapping_mul(31) ^ (i as u8) ^ salt)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_leave_while_the_file_is_written_and_the_object_is_whole() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let storage = app.ctx.storage.clone();
    let key = "exports/1/2/3/whole.csv";
    let (mut upload, sending) = storage.upload(key, "text/csv");
    let first = bytes(PART_SIZE + 10, 1);
    let rest = bytes(PART_SIZE + 123, 2);
    let head = first.clone();
    let upload_back = tokio::task::spawn_blocking(move || {
        std::io::Write::write_all(&mut upload, &head).unwrap();
        upload
    })
    .await
    .unwrap();
    // More than a part written and the file not finished: its upload has begun.
    poll(10, "a multipart upload under way", || async {
        (app.multipart_uploads().await == [key]).then_some(())
    })
    .await;
    assert!(
        app.object(key).await.is_none(),
        "no object before the last byte"
    );
    let tail = rest.clone();
    tokio::task::spawn_blocking(move || {
        let mut upload = upload_back;
        std::io::Write::write_all(&mut upload, &tail).unwrap();
        upload.close().unwrap();
    })
    .await
    .unwrap();
    let size = sending.stored().await.unwrap();
    assert_eq!(size as usize, first.len() + rest.len());
    let stored = app.object(key).await.expect("the object");
    assert!(
        stored == [first, rest].concat(),
        "the object is the bytes written, in order"
    );
    assert!(app.multipart_uploads().await.is_empty());

    // A file smaller than a part is one PutObject.
    let (mut upload, sending) = storage.upload("exports/1/2/3/small.csv", "text/csv");
    tokio::task::spawn_blocking(move || {
        std::io::Write::write_all(&mut upload, b"a,b\n1,2\n").unwrap();
        upload.close().unwrap();
    })
    .await
    .unwrap();
    assert_eq!(sending.stored().await.unwrap(), 8);
    assert_eq!(
        app.object("exports/1/2/3/small.csv").await.unwrap(),
        b"a,b\n1,2\n"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_upload_leaves_no_object_and_no_parts() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let key = "exports/1/2/3/dropped.xlsx";
    let (mut upload, sending) = app.ctx.storage.upload(key, "text/csv");
    let upload = tokio::task::spawn_blocking(move || {
        std::io::Write::write_all(&mut upload, &bytes(2 * PART_SIZE + 5, 3)).unwrap();
        upload
    })
    .await
    .unwrap();
    poll(10, "the parts to go up", || async {
        (!app.multipart_uploads().await.is_empty()).then_some(())
    })
    .await;
    drop(upload);
    assert!(matches!(
        sending.stored().await,
        Err(StorageError::Abandoned)
    ));
    assert!(
        app.multipart_uploads().await.is_empty(),
        "the multipart upload is aborted"
    );
    assert!(app.objects().await.is_empty());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_a_large_export_while_its_parts_go_up_leaves_nothing_in_s3() {
    let app = TestApp::spawn_with(&[("EXPORTD_WORKER_CONCURRENCY", "1")]).await;
    let tz: chrono_tz::Tz = "UTC".parse().unwrap();
    let last_day = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let seeded = seed::seed(
        &app.pool,
        &SeedParams {
            account_name: "Large".into(),
            plan: "pro".into(),
            timezone: tz,
            locale: "es".into(),
            admin_email: "admin@large.example".into(),
            sites: 5,
            agents: 20,
            days: 60,
            last_day,
            chats_per_day: 5_000,
            seed: 5,
            events_per_accepted: SeedParams::EVENTS_PER_ACCEPTED,
            bans_per_accepted: SeedParams::BANS_PER_ACCEPTED,
            messages: false,
        },
    )
    .await
    .unwrap();
    let token = exportd_core::auth::create_token(&app.pool, seeded.admin_user_id)
        .await
        .unwrap();
    let from = (last_day - chrono::Duration::days(59)).to_string();
    let (status, e) = app
        .post_export(
            &token,
            &json!({"kind": "sessions_detail", "format": "csv",
            "from": from, "to": last_day.to_string(), "notify": {"in_app": true}}),
        )
        .await;
    assert_eq!(status, 202, "{e}");
    let id = e["id"].as_i64().unwrap();
    // The file is going up while rows are still being written.
    let uploading = poll(120, "the export's first parts to go up", || async {
        let ups = app.multipart_uploads().await;
        ups.into_iter()
            .find(|k| k.starts_with(&format!("exports/{}/{id}/", seeded.account_id)))
    })
    .await;
    let (_, running) = app.get_export(&token, id).await;
    assert_eq!(running["status"], "running", "{running}");
    let r = app
        .http
        .delete(format!("{}/v1/exports/{id}", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    poll(10, "the multipart upload to be aborted", || async {
        app.multipart_uploads().await.is_empty().then_some(())
    })
    .await;
    poll(10, "no object for the cancelled export", || async {
        app.objects()
            .await
            .iter()
            .all(|k| *k != uploading)
            .then_some(())
    })
    .await;
    let (_, after) = app.get_export(&token, id).await;
    assert_eq!(after["status"], "cancelled");
    assert!(after["file"].is_null());
    app.shutdown().await;
}

/// An attempt whose upload S3 completed but whose answer was lost (an outage cutting the
/// connection) failed, and its object stayed. Once a later attempt's file is recorded,
/// the earlier attempts' objects are deleted: the export has one object, its file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_file_leaves_no_object_of_an_earlier_attempt() {
    let mut app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Attempts", "UTC", "pro", "es").await;
    let (s, b) = app
        .post_export(&acct.token, &crate::lifecycle::small("csv"))
        .await;
    assert_eq!(s, 202, "{b}");
    let id = b["id"].as_i64().unwrap();
    // As a first attempt leaves it when it fails: counted, its lease token used, its
    // object in storage.
    sqlx::query("UPDATE exports SET attempts = 1, lease_token = 1 WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    use exportd_core::ids::{AccountId, ExportId};
    let prefix = Storage::export_prefix(AccountId(acct.id), ExportId(id));
    let left = Storage::key(
        AccountId(acct.id),
        ExportId(id),
        1,
        "left-by-the-first-attempt.csv",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.csv");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    app.ctx
        .storage
        .put_file(&left, &path, "text/csv")
        .await
        .unwrap();
    assert_eq!(app.ctx.storage.list(&prefix).await.unwrap(), vec![left]);

    app.start_worker();
    let done = app.wait_finished(&acct.token, id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let file_key: String = sqlx::query_scalar("SELECT file_key FROM exports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let objects = poll(10, "the earlier attempt's object to be deleted", || async {
        let keys = app.ctx.storage.list(&prefix).await.unwrap();
        (keys.len() == 1).then_some(keys)
    })
    .await;
    assert_eq!(objects, vec![file_key]);
    app.shutdown().await;
}
