//! `exportd bench detail --rows 1000000,3000000`: `sessions_detail` of the large account
//! over as many of its last days as hold N sessions, written as the worker writes it (into
//! storage while it is written), side by side in one run with:
//! - xlsx: a bare read of the same rows (the export's own query, streamed and counted)
//!   plus rust_xlsxwriter alone writing as many rows of 15 columns (`bench render`'s
//!   floor) to a local file;
//! - csv: `COPY (…) TO STDOUT CSV` of the same rows (the export's own query: site and
//!   contact names, transfers, in file order).
//!
//! For reference it also prints `COPY` of the chats' own columns alone (no joins, no
//! order), this benchmark's earlier floor.
//!
//! With `--text WORD` every phase reads the sessions of the same range whose messages hold
//! the word (the export's `text` filter, bound in the floors' query too).
//!
//! Prints time and peak RSS per phase, the ratios, the time from the last row handed to
//! the file to the stored object, and a JSON line. Targets: xlsx ≤ 1.2× its floor, csv
//! ≤ 1.5× its floor, peak RSS < 64 MB.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use chrono::{Duration, NaiveDate, Utc};
use exportd_core::{
    domain::{DateRange, Format},
    ids::{AccountId, ExportId},
    kinds::ReportKind,
    storage::Storage,
};
use exportd_worker::{
    Ctx, jobs,
    reports::{Meta, Reads},
};
use futures::TryStreamExt;
use serde_json::json;

use crate::stats::{self, Sample};

const COLUMNS: &str = "c.id, c.started_at, c.site_id, c.contact_id, c.panel_at, c.accepted_by, \
    c.accepted_at, c.first_client_msg_at, c.first_agent_msg_at, c.first_bot_msg_at, c.missed, c.fields";

/// The last days of the account holding at least `rows` sessions (at most 90).
async fn range_for(
    pool: &sqlx::PgPool,
    account: i64,
    last_day: NaiveDate,
    tz: chrono_tz::Tz,
    rows: u64,
) -> anyhow::Result<(DateRange, u64)> {
    let per_day: Vec<(NaiveDate, i64)> = sqlx::query_as(
        "SELECT (started_at AT TIME ZONE $2)::date AS d, count(*) FROM chats
          WHERE account_id = $1 AND started_at >= $3 GROUP BY d ORDER BY d DESC",
    )
    .bind(account)
    .bind(tz.name())
    .bind(Utc::now() - Duration::days(120))
    .fetch_all(pool)
    .await?;
    let mut total = 0u64;
    let mut from = last_day;
    for (d, n) in per_day.into_iter().filter(|(d, _)| *d <= last_day).take(90) {
        total += n as u64;
        from = d;
        if total >= rows {
            break;
        }
    }
    Ok((
        DateRange {
            from,
            to: last_day,
            tz,
        },
        total,
    ))
}

/// The ids of the chats of the range, first and last: the export's `$13`–`$14`.
async fn id_bounds(
    pool: &sqlx::PgPool,
    account: i64,
    range: &DateRange,
) -> anyhow::Result<(i64, i64)> {
    let (from, to) = range.utc_bounds();
    let (lo, hi): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT min(id), max(id) FROM chats WHERE account_id = $1 AND started_at >= $2 AND started_at < $3",
    )
    .bind(account)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    Ok((lo.unwrap_or(0), hi.unwrap_or(-1)))
}

/// The export's rows query with its parameters written in: account `account`, the range's
/// bounds, the chats' ids, and the `text` filter if any. For `COPY`, which takes no
/// parameters.
fn export_sql(account: i64, range: &DateRange, (lo, hi): (i64, i64), text: Option<&str>) -> String {
    let (from, to) = range.utc_bounds();
    let values = [
        account.to_string(),
        format!("'{}'::timestamptz", from.to_rfc3339()),
        format!("'{}'::timestamptz", to.to_rfc3339()),
        "NULL::int8[]".into(),
        "NULL::text".into(),
        "NULL::int8[]".into(),
        "NULL::bool".into(),
        "NULL::text".into(),
        text.map_or("NULL::text".into(), |t| {
            let pattern = exportd_worker::reports::rows::contains_pattern(t);
            format!("'{}'::text", pattern.replace('\'', "''"))
        }),
        "NULL::text".into(),
        "NULL::int8".into(),
        "NULL::int8[]".into(),
        lo.to_string(),
        hi.to_string(),
    ];
    // From `$14` down, so `$1` does not match the start of `$10`.
    let mut sql = exportd_worker::reports::sessions_detail::rows_sql(false);
    for (i, v) in values.iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", i + 1), v);
    }
    sql
}

/// The bare read: the same rows (the export's query) streamed from Postgres and counted.
async fn read(pool: &sqlx::PgPool, sql: &str) -> anyhow::Result<u64> {
    // As the export runs it.
    let mut tx = exportd_worker::reports::roomy_transaction(pool).await?;
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
    let mut n = 0u64;
    while rows.try_next().await?.is_some() {
        n += 1;
    }
    drop(rows);
    tx.commit().await?;
    Ok(n)
}

/// The chats' own columns of the range, no joins and no order: the reference `COPY`.
fn chats_sql(account: i64, range: &DateRange) -> String {
    let (from, to) = range.utc_bounds();
    format!(
        "SELECT {COLUMNS} FROM chats c WHERE c.account_id = {account} \
           AND c.started_at >= '{}' AND c.started_at < '{}'",
        from.to_rfc3339(),
        to.to_rfc3339()
    )
}

/// `COPY (query) TO STDOUT CSV`; returns the bytes it produced.
async fn copy_csv(pool: &sqlx::PgPool, query: &str) -> anyhow::Result<u64> {
    let sql = format!("COPY ({query}) TO STDOUT CSV HEADER");
    let mut tx = exportd_worker::reports::roomy_transaction(pool).await?;
    let mut out = tx.copy_out_raw(&sql).await?;
    let mut bytes = 0u64;
    while let Some(chunk) = out.try_next().await? {
        bytes += chunk.len() as u64;
    }
    drop(out);
    tx.commit().await?;
    Ok(bytes)
}

struct Written {
    bytes: u64,
    /// From the last row handed to the file to the object stored.
    tail_secs: f64,
}

/// The export as the worker makes it: written into storage while it is written.
async fn export(ctx: &Ctx, meta: Meta, format: Format, key: &str) -> anyhow::Result<Written> {
    let (upload, sending) = ctx.storage.upload(key, format.content_type());
    // Progress is told with the share of rows written; the last time before 1.0 is the
    // last row's.
    let last_row = Arc::new(Mutex::new(Instant::now()));
    let seen = last_row.clone();
    jobs::generate::write_report(
        Reads::one(&ctx.pool),
        ctx.cfg.rollups,
        ReportKind::SessionsDetail,
        meta,
        format,
        Box::new(upload),
        move |share| {
            if share < 1.0 {
                *seen.lock().unwrap() = Instant::now();
            }
        },
    )
    .await?;
    let bytes = sending.stored().await?;
    let tail_secs = last_row.lock().unwrap().elapsed().as_secs_f64();
    Ok(Written { bytes, tail_secs })
}

/// The sheets of a stored workbook, when storage is a local directory.
fn sheet_names(storage: &Storage, key: &str) -> Option<Vec<String>> {
    let path = storage.local_path(key)?;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).ok()?).ok()?;
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").ok()?, &mut xml).ok()?;
    Some(
        xml.split("<sheet name=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next().map(str::to_owned))
            .collect(),
    )
}

pub async fn run(
    ctx: Arc<Ctx>,
    sizes: &[u64],
    runs: usize,
    text: Option<&str>,
) -> anyhow::Result<()> {
    let (account_id, last_day) = crate::global_report::ensure_seeded(&ctx.pool).await?;
    let account = exportd_core::accounts::get(&ctx.pool, account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account_id} is gone"))?;
    let dir = tempfile::tempdir()?;
    let mut table = Vec::new();
    let mut json_lines = Vec::new();
    for &n in sizes {
        let (range, sessions) =
            range_for(&ctx.pool, account_id, last_day, account.timezone, n).await?;
        let options = exportd_core::kinds::ReportOptions {
            text: text.map(str::to_owned),
            ..Default::default()
        };
        let meta = || Meta {
            account: account.clone(),
            range,
            generated_at: Utc::now(),
            options: options.clone(),
            feed: None,
        };
        let export_rows = export_sql(
            account_id,
            &range,
            id_bounds(&ctx.pool, account_id, &range).await?,
            text,
        );
        // The rows the filter leaves, counted once before timing.
        let rows = match text {
            None => sessions,
            Some(_) => read(&ctx.pool, &export_rows).await?,
        };
        println!(
            "sessions_detail: {sessions} sessions, {} – {} ({}){}; {runs} run(s) of each phase …",
            range.from,
            range.to,
            range.tz,
            text.map_or(String::new(), |t| format!(", text {t:?}: {rows} of them")),
        );
        let chats_rows = chats_sql(account_id, &range);
        let mut s: [Vec<Sample>; 6] = Default::default();
        let (mut tails_x, mut tails_c, mut bytes_x, mut bytes_c) = (vec![], vec![], 0, 0);
        let mut sheets = None;
        for i in 0..runs {
            let (r, t) = stats::measure(read(&ctx.pool, &export_rows)).await;
            anyhow::ensure!(r? == rows, "the bare read saw another number of rows");
            s[0].push(t);
            let out = dir.path().join(format!("floor-{n}.xlsx"));
            let o = out.clone();
            let (r, t) = stats::measure(async move {
                tokio::task::spawn_blocking(move || crate::render::floor(rows, &o)).await?
            })
            .await;
            r?;
            std::fs::remove_file(out)?;
            s[1].push(t);
            let key = Storage::key(
                AccountId(account_id),
                ExportId(0),
                i as i64,
                &format!("bench-{n}.xlsx"),
            );
            let (r, t) = stats::measure(export(&ctx, meta(), Format::Xlsx, &key)).await;
            let w = r?;
            (bytes_x, sheets) = (w.bytes, sheet_names(&ctx.storage, &key));
            tails_x.push(w.tail_secs);
            ctx.storage.delete(&key).await?;
            s[2].push(t);
            let (r, t) = stats::measure(copy_csv(&ctx.pool, &export_rows)).await;
            r?;
            s[3].push(t);
            let (r, t) = stats::measure(copy_csv(&ctx.pool, &chats_rows)).await;
            r?;
            s[5].push(t);
            let key = Storage::key(
                AccountId(account_id),
                ExportId(0),
                i as i64,
                &format!("bench-{n}.zip"),
            );
            let (r, t) = stats::measure(export(&ctx, meta(), Format::Csv, &key)).await;
            let w = r?;
            bytes_c = w.bytes;
            tails_c.push(w.tail_secs);
            ctx.storage.delete(&key).await?;
            s[4].push(t);
        }
        let med = |v: &[Sample]| stats::summary(&v.iter().map(|s| s.secs).collect::<Vec<_>>());
        let rss = |v: &[Sample]| v.iter().map(|s| s.rss_mib).fold(0.0, f64::max);
        let [read_s, alone_s, xlsx_s, copy_s, csv_s, chats_s] = s.each_ref().map(|v| med(v));
        let xlsx_floor = read_s.median + alone_s.median;
        let xlsx_ratio = xlsx_s.median / xlsx_floor;
        let csv_ratio = csv_s.median / copy_s.median;
        let chats_ratio = csv_s.median / chats_s.median;
        let tail = |v: &[f64]| stats::summary(v).median;
        for (name, sum, v, vs) in [
            ("bare read (same query)", &read_s, &s[0], String::new()),
            ("rust_xlsxwriter alone", &alone_s, &s[1], String::new()),
            (
                "exportd xlsx → storage",
                &xlsx_s,
                &s[2],
                format!("{xlsx_ratio:.2}× read+alone"),
            ),
            ("COPY … CSV (same query)", &copy_s, &s[3], String::new()),
            (
                "exportd csv → storage",
                &csv_s,
                &s[4],
                format!("{csv_ratio:.2}× COPY"),
            ),
            (
                "COPY chats' columns only",
                &chats_s,
                &s[5],
                format!("csv is {chats_ratio:.2}× it"),
            ),
        ] {
            table.push(vec![
                format!("{rows}"),
                name.to_owned(),
                stats::fmt_summary(sum, "s"),
                vs,
                format!("{:.0} MiB", rss(v)),
            ]);
        }
        println!(
            "{rows} rows: xlsx {} bytes, sheets {}; csv zip {} bytes; last row → stored: xlsx {:.2} s, csv {:.2} s",
            bytes_x,
            sheets.map_or("(on S3, not read back)".into(), |s| s.join(", ")),
            bytes_c,
            tail(&tails_x),
            tail(&tails_c)
        );
        let (rx, rc) = (rss(&s[2]), rss(&s[4]));
        println!(
            "targets: xlsx ≤ 1.2× {}, csv ≤ 1.5× {}, peak RSS < 64 MB {}",
            if xlsx_ratio <= 1.2 { "met" } else { "MISSED" },
            if csv_ratio <= 1.5 { "met" } else { "MISSED" },
            if rx.max(rc) * 1.048_576 < 64.0 {
                "met"
            } else {
                "MISSED"
            },
        );
        json_lines.push(json!({
            "bench": "detail", "rows": rows, "sessions": sessions, "text": text, "runs": runs,
            "read_s": read_s, "xlsx_alone_s": alone_s, "xlsx_s": xlsx_s, "copy_s": copy_s, "csv_s": csv_s,
            "copy_chats_only_s": chats_s,
            "xlsx_ratio": xlsx_ratio, "csv_ratio": csv_ratio, "csv_ratio_to_chats_only": chats_ratio,
            "xlsx_rss_mib": rx, "csv_rss_mib": rc,
            "xlsx_tail_s": tail(&tails_x), "csv_tail_s": tail(&tails_c),
            "xlsx_bytes": bytes_x, "csv_bytes": bytes_c,
        }));
    }
    stats::table(
        &[
            "rows",
            "phase",
            "time (median, min–max)",
            "ratio",
            "peak RSS",
        ],
        &table,
    );
    for j in json_lines {
        println!("{j}");
    }
    Ok(())
}
