//! `exportd demo`: the main job, for real. Migrates, seeds a demo account, starts the API
//! and a worker in this process, requests a 30-day global report over HTTP, shows a
//! progress bar until it is ready, downloads it, and says where the file and the email are.

use std::time::{Duration, Instant};

use crate::seed;
use anyhow::{Context, bail};
use exportd_core::Config;
use exportd_core::Shared;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    seed: crate::seed::SeedArgs,
    /// xlsx or csv.
    #[arg(long, default_value = "xlsx")]
    format: String,
    /// Afterwards, keep serving the API and the web page on EXPORTD_LISTEN, print a
    /// one-time sign-in link, and wait for Ctrl-C.
    #[arg(long)]
    serve: bool,
}

pub async fn run(mut cfg: Config, args: DemoArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let pool = exportd_core::db::connect(&cfg)
        .await
        .context("connecting to Postgres (DATABASE_URL)")?;
    exportd_core::db::migrate(&pool)
        .await
        .context("migrating")?;
    let params = args.seed.params()?;
    let s = seed::seed(&pool, &params)
        .await
        .context("seeding the demo account")?;
    println!(
        "seeded account {} ({}): {} chats, {} messages, {} steps, {} calls, {} presence intervals over {} days in {:.1}s",
        s.account_id,
        params.timezone,
        s.chats,
        s.messages,
        s.steps,
        s.calls,
        s.presence,
        params.days,
        s.elapsed.as_secs_f64()
    );
    let token = exportd_core::auth::create_token(&pool, s.admin_user_id).await?;

    let listener = if args.serve {
        tokio::net::TcpListener::bind(&cfg.listen)
            .await
            .with_context(|| format!("binding EXPORTD_LISTEN={}", cfg.listen))?
    } else {
        tokio::net::TcpListener::bind("127.0.0.1:0").await?
    };
    let addr = listener.local_addr()?;
    if std::env::var("EXPORTD_PUBLIC_URL").map_or(true, |v| v.is_empty()) {
        cfg.public_url = format!("http://{addr}");
    }
    let ctx = Shared::connect(cfg).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(exportd_app::serve_with_workers(
        ctx.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));

    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let to = params.last_day;
    let from = to - chrono::Duration::days(29);
    let body = serde_json::json!({"kind": "global", "format": args.format, "from": from, "to": to});
    let requested = Instant::now();
    let resp = http
        .post(format!("{base}/v1/exports"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await?;
    let status = resp.status();
    let created: Value = resp.json().await?;
    if status.as_u16() != 202 {
        bail!("the API refused the request ({status}): {created}");
    }
    let id = created["id"].as_i64().context("no export id")?;
    println!(
        "POST /v1/exports → {status} in {} ms: export {id}, global report {from} – {to}",
        requested.elapsed().as_millis()
    );

    let export = wait_with_bar(&http, &base, &token, id, requested).await?;
    if export["status"] != "succeeded" {
        bail!("the export did not succeed: {export}");
    }
    println!(
        "ready in {:.2}s: {} ({} bytes)",
        requested.elapsed().as_secs_f64(),
        export["file"]["name"],
        export["file"]["bytes"]
    );

    let bytes = http
        .get(format!("{base}/v1/exports/{id}/download"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    show_file_and_email(&ctx, &pool, id, bytes.len()).await?;
    if args.serve {
        let link = exportd_core::sessions::handover_url(
            &ctx.cfg.keys,
            &ctx.cfg.public_url,
            s.admin_user_id,
            exportd_core::sessions::MAX_HANDOVER_SECS,
        );
        println!("the web page is at {base}/ and the API's documentation at {base}/docs");
        println!("sign in as the demo admin (works once, for 10 minutes): {link}");
        println!("or paste this token on the sign-in page: {token}");
        println!("serving until Ctrl-C");
        let _ = tokio::signal::ctrl_c().await;
    }
    let _ = stop.send(());
    running.await??;
    println!("demo finished in {:.1}s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Prints where the file is (a local path or the S3 object) and where the email went,
/// waiting for the email to be sent.
async fn show_file_and_email(
    ctx: &Shared,
    pool: &sqlx::PgPool,
    id: i64,
    downloaded: usize,
) -> anyhow::Result<()> {
    let row: (String,) = sqlx::query_as("SELECT file_key FROM exports WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    match ctx.storage.local_path(&row.0) {
        Some(p) => println!(
            "file:  {} ({} bytes downloaded through the API)",
            std::path::absolute(&p)?.display(),
            downloaded
        ),
        None => println!(
            "file:  s3://{}/{} ({} bytes downloaded through the API)",
            ctx.cfg.s3.as_ref().map_or("", |s| &s.bucket),
            row.0,
            downloaded
        ),
    }
    // The email goes out right after the file is recorded; wait for it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent: Option<(String, String)> = sqlx::query_as(
            "SELECT recipient, status FROM notifications WHERE export_id = $1 AND channel = 'email' AND status <> 'pending'",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?;
        if let Some((to, status)) = sent {
            match &exportd_worker::mail::Mailer::from_config(&ctx.cfg)? {
                exportd_worker::mail::Mailer::Outbox { dir, .. } => {
                    let name = std::fs::read_dir(dir)?
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .find(|p| {
                            p.file_name().is_some_and(|n| {
                                n.to_string_lossy().starts_with(&format!("export-{id}-"))
                            })
                        })
                        .context("the email file is missing from the outbox")?;
                    println!(
                        "email: {status} to {to}, written to {}",
                        std::path::absolute(&name)?.display()
                    );
                }
                m => println!("email: {status} to {to} through {}", m.describe()),
            }
            break;
        }
        if Instant::now() > deadline {
            bail!("the email was not sent within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Polls the export, showing its progress in a bar, until it is finished; returns it.
async fn wait_with_bar(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: i64,
    requested: Instant,
) -> anyhow::Result<Value> {
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {pos:>3}% {msg}")
            .expect("template")
            .progress_chars("=> "),
    );
    let export = loop {
        let e: Value = http
            .get(format!("{base}/v1/exports/{id}"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        bar.set_position(e["progress"].as_u64().unwrap_or(0));
        bar.set_message(e["status"].as_str().unwrap_or("").to_owned());
        if matches!(
            e["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            break e;
        }
        if requested.elapsed() > Duration::from_secs(300) {
            bail!("the export did not finish within 5 minutes: {e}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    bar.finish();
    Ok(export)
}
