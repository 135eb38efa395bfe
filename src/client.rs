//! `exportd request`, `exportd exports list`, `exportd schedules list`: a client of the
//! HTTP API (`EXPORTD_URL`, `EXPORTD_TOKEN`). A request shows a progress bar fed by the
//! account's event stream, then downloads the file (or prints its link). Exit codes: 0 on
//! success, 1 when the export failed (with the reason) or the API could not be reached, 2
//! on a usage error (the command line, or a request the API refused as invalid).

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, bail};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};

/// A failure with the exit code it means.
pub struct Exit {
    pub code: i32,
    pub message: String,
}

impl From<anyhow::Error> for Exit {
    fn from(e: anyhow::Error) -> Self {
        Exit {
            code: 1,
            message: format!("{e:#}"),
        }
    }
}

fn usage(message: impl Into<String>) -> Exit {
    Exit {
        code: 2,
        message: message.into(),
    }
}

/// `exportd exports|schedules <command>`.
#[derive(clap::Subcommand)]
pub enum ListCommand {
    /// Print them as a table.
    List,
}

#[derive(clap::Args)]
pub struct RequestArgs {
    /// The report kind: global, conversations, steps, agents_activity, sessions,
    /// sessions_detail, campaigns.
    #[arg(long)]
    kind: String,
    #[arg(long)]
    from: chrono::NaiveDate,
    #[arg(long)]
    to: chrono::NaiveDate,
    #[arg(long, default_value = "xlsx")]
    format: String,
    /// An option of the kind, `key=value`; the value is JSON when it reads as JSON
    /// (`sites=[3,4]`, `abandoned=true`), text otherwise (`mode=panel`). Repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Where to save the file; default its own name in the current directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the download link instead of downloading.
    #[arg(long)]
    link: bool,
}

/// The API's address and the caller's token, from the environment.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn from_env() -> Result<Api, Exit> {
        let token = std::env::var("EXPORTD_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| usage("EXPORTD_TOKEN is not set: an admin's API token"))?;
        let base = std::env::var("EXPORTD_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "http://127.0.0.1:8080".into());
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the HTTP client")?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .with_context(|| format!("reaching {}", self.base))?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{status}: {}", reason(&body));
        }
        Ok(body)
    }
}

/// The words of an error answer.
fn reason(body: &Value) -> String {
    let e = &body["error"];
    match (e["code"].as_str(), e["message"].as_str()) {
        (Some(c), Some(m)) => format!("{m} ({c})"),
        _ => body.to_string(),
    }
}

/// `key=value` pairs as the request's `options`.
fn options(pairs: &[String]) -> Result<Map<String, Value>, Exit> {
    let mut out = Map::new();
    for p in pairs {
        let (k, v) = p
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| usage(format!("--option {p:?}: expected KEY=VALUE")))?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()));
        out.insert(k.to_owned(), value);
    }
    Ok(out)
}

pub async fn request(args: RequestArgs) -> Result<(), Exit> {
    let api = Api::from_env()?;
    let body = json!({
        "kind": args.kind,
        "format": args.format,
        "from": args.from,
        "to": args.to,
        "options": options(&args.options)?,
    });
    // The stream opens first, so no change between the request and it is missed.
    let stream = api
        .http
        .get(format!("{}/v1/notifications/stream", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .with_context(|| format!("reaching {}", api.base))?;
    if !stream.status().is_success() {
        let status = stream.status();
        let body: Value = stream.json().await.unwrap_or(Value::Null);
        return Err(Exit {
            code: if status.is_client_error() { 2 } else { 1 },
            message: format!("the event stream was refused ({status}): {}", reason(&body)),
        });
    }
    let r = api
        .http
        .post(format!("{}/v1/exports", api.base))
        .bearer_auth(&api.token)
        .json(&body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .with_context(|| format!("reaching {}", api.base))?;
    let status = r.status();
    let created: Value = r.json().await.unwrap_or(Value::Null);
    if status.as_u16() != 202 {
        return Err(Exit {
            code: if status.is_client_error() { 2 } else { 1 },
            message: format!("the request was refused ({status}): {}", reason(&created)),
        });
    }
    let id = created["id"]
        .as_i64()
        .context("the answer has no export id")?;
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {pos:>3}% {msg}")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("export {id} queued"));
    let export = follow(&api, id, stream, &bar).await?;
    bar.finish_and_clear();
    match export["status"].as_str() {
        Some("succeeded") => {}
        Some(other) => {
            return Err(Exit {
                code: 1,
                message: format!("export {id} {other}: {}", reason(&export)),
            });
        }
        None => return Err(anyhow::anyhow!("export {id} has no status").into()),
    }
    let download = format!("{}/v1/exports/{id}/download", api.base);
    let r = api
        .http
        .get(&download)
        .bearer_auth(&api.token)
        .send()
        .await
        .context("downloading")?;
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    if args.link {
        println!("{}", location.unwrap_or(download));
        return Ok(());
    }
    let bytes = match location {
        // The file is in S3: the presigned link wants no token.
        Some(url) => {
            reqwest::get(&url)
                .await
                .context("downloading")?
                .error_for_status()
                .context("downloading")?
                .bytes()
                .await
        }
        None => r.error_for_status().context("downloading")?.bytes().await,
    }
    .context("downloading")?;
    let name = export["file"]["name"]
        .as_str()
        .unwrap_or("export")
        .to_owned();
    let out = args.out.unwrap_or_else(|| PathBuf::from(&name));
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    println!("{} ({} bytes)", out.display(), bytes.len());
    Ok(())
}

/// Follows the export's events until it is finished; returns it as the API shows it.
async fn follow(
    api: &Api,
    id: i64,
    stream: reqwest::Response,
    bar: &ProgressBar,
) -> anyhow::Result<Value> {
    let terminal = |s: &str| matches!(s, "succeeded" | "failed" | "cancelled" | "expired");
    // It may have finished before the stream said anything.
    let now = api.get(&format!("/v1/exports/{id}")).await?;
    if now["status"].as_str().is_some_and(terminal) {
        return Ok(now);
    }
    let mut body = stream.bytes_stream();
    let mut buf = String::new();
    while let Some(chunk) = body.next().await {
        buf.push_str(&String::from_utf8_lossy(
            &chunk.context("reading the event stream")?,
        ));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let data: String = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            let Ok(e) = serde_json::from_str::<Value>(&data) else {
                continue;
            };
            if e["export_id"].as_i64() != Some(id) {
                continue;
            }
            let status = e["status"].as_str().unwrap_or("");
            bar.set_position(e["progress"].as_u64().unwrap_or(0).min(100));
            bar.set_message(format!("export {id} {status}"));
            if terminal(status) {
                return api.get(&format!("/v1/exports/{id}")).await;
            }
        }
    }
    bail!("the event stream ended before export {id} finished")
}

/// `exportd exports list`: the account's latest exports as a table.
pub async fn exports_list() -> Result<(), Exit> {
    let api = Api::from_env()?;
    let page = api.get("/v1/exports?limit=50").await?;
    let rows: Vec<Vec<String>> = items(&page)
        .map(|e| {
            vec![
                e["id"].to_string(),
                text(&e["kind"]),
                text(&e["format"]),
                format!("{} – {}", text(&e["from"]), text(&e["to"])),
                text(&e["status"]),
                format!("{}%", e["progress"]),
                text(&e["file"]["name"]),
                text(&e["expires_at"]),
            ]
        })
        .collect();
    print_table(
        &[
            "id", "kind", "format", "range", "status", "progress", "file", "expires",
        ],
        &rows,
    );
    Ok(())
}

/// `exportd schedules list`: the account's schedules as a table.
pub async fn schedules_list() -> Result<(), Exit> {
    let api = Api::from_env()?;
    let page = api.get("/v1/schedules").await?;
    let rows: Vec<Vec<String>> = items(&page)
        .map(|s| {
            vec![
                s["id"].to_string(),
                text(&s["kind"]),
                text(&s["format"]),
                s["enabled"].to_string(),
                text(&s["next_run_at"]),
            ]
        })
        .collect();
    print_table(&["id", "kind", "format", "enabled", "next run"], &rows);
    Ok(())
}

fn items(page: &Value) -> impl Iterator<Item = &Value> {
    page["items"].as_array().into_iter().flatten()
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(headers.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}
