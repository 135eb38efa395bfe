//! SFTP destinations against a real OpenSSH server (scripts/services.sh starts one on a
//! loopback port, with a user confined to a directory): the file delivered with a key and
//! with a password, byte for byte; written under a temporary name and renamed, as seen from
//! the server's directory; a wrong host key, a missing directory and a wrong password
//! refused in words; and a server stopped for a while, then delivered to once.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command},
    time::Duration,
};

use serde_json::{Value, json};

use crate::{
    destinations::call,
    harness::{TestAccount, TestApp, env, nonce, poll, wait_emails},
    lifecycle::small,
};

struct Server {
    port: u16,
    user: String,
    dir: PathBuf,
}

impl Server {
    fn shared() -> Server {
        Server {
            port: env("EXPORTD_TEST_SFTP_PORT").parse().unwrap(),
            user: env("EXPORTD_TEST_SFTP_USER"),
            dir: env("EXPORTD_TEST_SFTP_DIR").into(),
        }
    }

    /// The user's directory as the server's disk has it.
    fn upload(&self) -> PathBuf {
        self.dir.join("root/upload")
    }

    fn private_key(&self) -> String {
        std::fs::read_to_string(self.dir.join("client_key")).unwrap()
    }

    fn password(&self) -> String {
        std::fs::read_to_string(self.dir.join("password"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// The host key's fingerprint as `ssh-keygen -lf` prints it.
    fn fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.dir.join("host_key.pub"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned()
    }

    /// A body for a destination on this server, in directory `dir` of the user's root.
    fn destination(&self, name: &str, dir: &str, auth: (&str, String)) -> Value {
        let mut body = json!({"type": "sftp", "name": name, "host": "127.0.0.1", "port": self.port,
            "user": self.user, "host_key": self.fingerprint(), "directory": dir});
        body[auth.0] = json!(auth.1);
        body
    }
}

/// A sshd of the test's own, on its own port, with the shared server's configuration: to
/// be stopped and started again.
fn own_sshd(s: &Server, port: u16) -> Child {
    Command::new(env("EXPORTD_TEST_SSHD"))
        .args(["-D", "-f"])
        .arg(s.dir.join("sshd_config"))
        .args(["-o", &format!("Port={port}"), "-o", "PidFile=none"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start sshd")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn create(app: &TestApp, a: &TestAccount, body: Value) -> i64 {
    let (s, d) = call(app, a, "POST", "/v1/destinations", Some(body)).await;
    assert_eq!(s, 201, "{d}");
    d["id"].as_i64().unwrap()
}

async fn test_destination(app: &TestApp, a: &TestAccount, id: i64) -> Value {
    let (s, t) = call(app, a, "POST", &format!("/v1/destinations/{id}/test"), None).await;
    assert_eq!(s, 200, "{t}");
    t
}

/// Requests a small export delivered to `dest`; waits for the delivery to settle and
/// returns the export as `GET` shows it.
async fn deliver(app: &TestApp, a: &TestAccount, format: &str, dest: i64, secs: u64) -> Value {
    let mut body = small(format);
    body["deliver"] = json!([dest]);
    let (s, e) = app.post_export(&a.token, &body).await;
    assert_eq!(s, 202, "{e}");
    let id = e["id"].as_i64().unwrap();
    assert_eq!(app.wait_finished(&a.token, id).await["status"], "succeeded");
    poll(secs, "the delivery to settle", || async {
        let (_, e) = app.get_export(&a.token, id).await;
        let status = e["deliveries"][0]["status"].as_str().map(str::to_owned);
        status.filter(|s| s != "pending").map(|_| e)
    })
    .await
}

/// The name `template` gives the global report `export`.
fn name_for(template: &str, export: &Value, ext: &str) -> String {
    template
        .replace("{kind}", "global")
        .replace("{id}", &export["id"].to_string())
        .replace("{ext}", ext)
}

fn files_named(dir: &Path, part: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(part))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_file_arrives_whole_with_a_key_and_with_a_password_and_the_secret_is_never_shown() {
    let app = TestApp::spawn_with(&[("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let a = app.account("Sftp", "UTC", "pro", "es").await;
    let server = Server::shared();
    let key = server.private_key();
    let template = format!("t{}_{{kind}}_{{id}}.{{ext}}", nonce());
    let mut body = server.destination("Almacén", "upload", ("private_key", key.clone()));
    body["file_name"] = json!(template);
    let by_key = create(&app, &a, body).await;
    let (_, shown) = call(&app, &a, "GET", &format!("/v1/destinations/{by_key}"), None).await;
    assert_eq!(
        (shown["auth"].as_str(), shown["host_key"].as_str()),
        (Some("key"), Some(server.fingerprint().as_str()))
    );
    assert!(!shown.to_string().contains("PRIVATE KEY"), "{shown}");

    // The kept key goes only to the server it was given for: another port needs it again.
    let path = format!("/v1/destinations/{by_key}");
    let (st, refused) = call(&app, &a, "PATCH", &path, Some(json!({"port": 2223}))).await;
    crate::harness::assert_error(st, &refused, 422, "invalid_credentials");
    let (st, renamed) = call(&app, &a, "PATCH", &path, Some(json!({"name": "Almacén"}))).await;
    assert_eq!(
        (st, renamed["port"].as_i64()),
        (200, Some(server.port as i64)),
        "{renamed}"
    );

    // The test writes a probe and removes it again.
    let t = test_destination(&app, &a, by_key).await;
    assert_eq!(t["delivered"], true, "{t}");
    assert!(t["written"].as_str().unwrap().starts_with("sftp://"), "{t}");
    assert!(files_named(&server.upload(), "exportd-test").is_empty());

    let e = deliver(&app, &a, "xlsx", by_key, 60).await;
    let d = &e["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["type"].as_str()),
        (Some("sent"), Some("sftp")),
        "{e}"
    );
    let name = name_for(&template, &e, "xlsx");
    assert!(d["written"].as_str().unwrap().contains(&name), "{d}");
    let on_server = std::fs::read(server.upload().join(&name)).unwrap();
    let (_, from_link) = app
        .download_url(
            &format!("{}/v1/exports/{}/download", app.base, e["id"]),
            Some(&a.token),
        )
        .await;
    assert_eq!(on_server, from_link, "the same bytes as the download");
    assert!(on_server.starts_with(b"PK"));

    let by_password = create(
        &app,
        &a,
        json!({"type": "sftp", "name": "Con clave", "host": "127.0.0.1", "port": server.port,
            "user": server.user, "host_key": server.fingerprint(), "directory": "upload",
            "password": server.password(), "file_name": template}),
    )
    .await;
    let e = deliver(&app, &a, "csv", by_password, 60).await;
    assert_eq!(e["deliveries"][0]["status"], "sent", "{e}");
    let name = name_for(&template, &e, "zip");
    let csv = std::fs::read(server.upload().join(&name)).unwrap();
    let (_, from_link) = app
        .download_url(
            &format!("{}/v1/exports/{}/download", app.base, e["id"]),
            Some(&a.token),
        )
        .await;
    assert_eq!(csv, from_link);
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret FROM destinations WHERE id = $1")
        .bind(by_password)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        !stored
            .windows(server.password().len())
            .any(|w| w == server.password().as_bytes()),
        "sealed at rest"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_of_the_directory_never_sees_half_a_file() {
    // Written straight through the delivery code, with a file large enough to take many
    // writes, while the server's directory is watched.
    let app = TestApp::spawn_with(&[
        ("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("WORKER", "none"),
    ])
    .await;
    let server = Server::shared();
    let name = format!("big-{}.csv", nonce());
    let len: usize = 24 * 1024 * 1024;
    let d = exportd_core::destinations::Destination {
        id: 1,
        account_id: 1,
        kind: "sftp".into(),
        name: "x".into(),
        settings: json!({"host": "127.0.0.1", "port": server.port, "user": server.user,
            "auth": "key", "host_key": server.fingerprint(), "directory": "upload"}),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let key = server.private_key();
    let cfg = app.ctx.cfg.clone();
    let upload = server.upload();
    // Straight through the delivery code, as a delivery writes it.
    let put = || async {
        exportd_core::destinations::deliver::Target::new(&d, &key, &cfg)
            .unwrap()
            .put(exportd_core::destinations::deliver::File {
                name: name.clone(),
                body: vec![b'x'; len].into(),
                len: len as i64,
                content_type: "text/csv",
            })
            .await
            .unwrap()
    };
    let watch = {
        let (upload, name) = (upload.clone(), name.clone());
        std::thread::spawn(move || {
            let (mut seen_part, mut seen_final_sizes) = (0usize, Vec::new());
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while std::time::Instant::now() < deadline {
                for entry in std::fs::read_dir(&upload).unwrap().flatten() {
                    let n = entry.file_name().into_string().unwrap();
                    let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                    if n.starts_with(&format!(".{name}.")) && n.ends_with(".part") {
                        seen_part += 1;
                    } else if n == name {
                        seen_final_sizes.push(size);
                    }
                }
                if !seen_final_sizes.is_empty() {
                    break;
                }
            }
            (seen_part, seen_final_sizes)
        })
    };
    let written = put().await;
    let (seen_part, final_sizes) = watch.join().unwrap();
    assert!(seen_part > 0, "the temporary name was seen while writing");
    assert!(
        final_sizes.iter().all(|s| *s == len as u64),
        "the final name only ever had the whole file: {final_sizes:?}"
    );
    assert!(written.contains(&name), "{written}");
    // Again, as a retry would: the whole file there is kept, not written twice.
    let before = std::fs::metadata(upload.join(&name))
        .unwrap()
        .modified()
        .unwrap();
    let again = put().await;
    assert!(again.ends_with("already there)"), "{again}");
    assert_eq!(
        std::fs::metadata(upload.join(&name))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    assert!(
        files_named(&upload, ".part")
            .iter()
            .all(|n| !n.contains(&name))
    );
    std::fs::remove_file(upload.join(&name)).unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_host_key_a_missing_directory_and_a_wrong_password_are_told_in_words() {
    let app = TestApp::spawn_with(&[("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let a = app.account("Sftp refusals", "UTC", "pro", "es").await;
    let server = Server::shared();
    let mut wrong_key = server.destination(
        "Otra llave",
        "upload",
        ("private_key", server.private_key()),
    );
    wrong_key["host_key"] = json!("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s");
    let missing = server.destination(
        "Sin carpeta",
        "no-such-dir",
        ("private_key", server.private_key()),
    );
    let bad_password = server.destination("Mala clave", "upload", ("password", "not-it".into()));
    for (body, words) in [
        (wrong_key, "host key mismatch"),
        (missing, "directory missing"),
        (bad_password, "authentication failed"),
    ] {
        let id = create(&app, &a, body).await;
        let t = test_destination(&app, &a, id).await;
        assert_eq!(
            (t["delivered"].as_bool(), t["retryable"].as_bool()),
            (Some(false), Some(false)),
            "{t}"
        );
        assert!(
            t["reason"].as_str().unwrap().contains(words),
            "{words}: {t}"
        );
        assert!(!t.to_string().contains("not-it"), "no secret in the reason");
    }
    // A refused server fails that delivery at once; the export stays downloadable.
    let (_, list) = call(&app, &a, "GET", "/v1/destinations", None).await;
    let first = list["items"][0]["id"].as_i64().unwrap();
    let e = deliver(&app, &a, "csv", first, 30).await;
    let d = &e["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64()),
        (Some("failed"), Some(1)),
        "{e}"
    );
    assert!(d["error"].as_str().unwrap().contains("host key mismatch"));
    assert_eq!(e["status"], "succeeded");
    // The admin who asked hears by email: the file is ready, and where it did not go.
    let mails = wait_emails(&a.admin_email, 2).await;
    let told = mails
        .iter()
        .find(|m| m.subject.contains("no pudimos entregarlo"))
        .unwrap_or_else(|| panic!("{:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>()));
    assert!(
        told.text.contains("No entregado en: «Otra llave» (SFTP)"),
        "{}",
        told.text
    );
    assert!(
        !told.text.contains("mismatch"),
        "the reason is for admins, in the API: {}",
        told.text
    );
    assert!(
        told.text
            .contains(&format!("/v1/exports/{}/download", e["id"])),
        "{}",
        told.text
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_stopped_for_a_while_gets_the_file_once_when_it_is_back() {
    let app = TestApp::spawn_with(&[
        ("EXPORTD_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("EXPORTD_RETRY_BASE_MS", "300"),
    ])
    .await;
    let a = app.account("Sftp outage", "UTC", "pro", "es").await;
    let server = Server::shared();
    let port = free_port();
    let sshd = Guard(own_sshd(&server, port));
    let mut body = server.destination("Vuelve", "upload", ("private_key", server.private_key()));
    body["port"] = json!(port);
    let prefix = format!("outage-{}-", nonce());
    body["file_name"] = json!(format!("{prefix}{{id}}.{{ext}}"));
    poll(10, "our sshd to listen", || async {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    })
    .await;
    let id = create(&app, &a, body).await;
    assert_eq!(test_destination(&app, &a, id).await["delivered"], true);
    drop(sshd);

    let mut req = small("csv");
    req["deliver"] = json!([id]);
    let (_, e) = app.post_export(&a.token, &req).await;
    let export = e["id"].as_i64().unwrap();
    let failed_tries = poll(60, "a few tries against the stopped server", || async {
        let (_, e) = app.get_export(&a.token, export).await;
        let d = &e["deliveries"][0];
        (d["status"] == "pending" && d["attempts"].as_i64().unwrap_or(0) >= 2).then(|| d.clone())
    })
    .await;
    assert!(
        failed_tries["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{failed_tries}"
    );
    let _back = Guard(own_sshd(&server, port));
    let e = poll(60, "the delivery once the server is back", || async {
        let (_, e) = app.get_export(&a.token, export).await;
        (e["deliveries"][0]["status"] == "sent").then_some(e)
    })
    .await;
    let attempts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_attempts na JOIN notifications n ON n.id = na.notification_id
          WHERE n.export_id = $1 AND n.channel = 'sftp' AND na.ok",
    )
    .bind(export)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1, "written once");
    let name = format!("{prefix}{export}.zip");
    let arrived = files_named(&server.upload(), &name);
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    assert!(
        e["deliveries"][0]["written"]
            .as_str()
            .unwrap()
            .contains(&arrived[0]),
        "{e}"
    );
    app.shutdown().await;
}

/// Kills the child when dropped, so a failed test leaves no sshd behind.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
