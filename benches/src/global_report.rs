//! `exportd bench global-report`: the 90-day global report of the large account (seeded on
//! first use: 100 sites, 1,000 agents, 5,000,000 chats, 1,000,000 calls and chat events,
//! 200,000 offline messages, about 540,000 presence intervals, 10,000 bans, and a
//! 500,000-chat neighbour), in xlsx and csv, phase by phase (query, render, upload), side by
//! side with the floor: one bare read of every row the report needs (`count(*)` and the
//! sum of one column per table, over the same account and range, through the same pool,
//! the tables read concurrently as the report reads them).

use std::sync::Arc;

use chrono::{Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use exportd_core::{
    domain::{DateRange, Format},
    ids::{AccountId, ExportId},
    kinds::ReportKind,
    storage::Storage,
};
use exportd_worker::{
    Ctx, jobs,
    render::{self, RenderOptions},
    reports::{Meta, Reads, global},
};
use serde_json::json;
use sqlx::PgPool;

use crate::{
    seed::{self, SeedParams},
    stats::{self, Sample},
};

/// Named by the version of its data: version 2 added steps and the bot-only third.
const LARGE: &str = "bench-large-2";
const NEIGHBOUR: &str = "bench-neighbour";
const DAYS: u32 = 90;

fn params(
    name: &str,
    chats_per_day: u32,
    sites: u32,
    agents: u32,
    last_day: NaiveDate,
) -> SeedParams {
    SeedParams {
        account_name: name.into(),
        plan: "vip".into(),
        timezone: "America/Santiago".parse().unwrap(),
        locale: "es".into(),
        admin_email: format!("admin@{name}.example"),
        sites,
        agents,
        days: DAYS,
        last_day,
        chats_per_day,
        seed: 7,
        // About 1,000,000 chat events and 10,000 bans on 5,000,000 chats (56% accepted),
        // and the messages and steps of seed 000's reports (about 4 of each per chat).
        events_per_accepted: 0.357,
        bans_per_accepted: 0.00357,
        messages: true,
    }
}

/// The large account: seeded once, found again by name afterwards.
pub async fn ensure_seeded(pool: &PgPool) -> anyhow::Result<(i64, NaiveDate)> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM accounts WHERE name = $1 ORDER BY id DESC LIMIT 1")
            .bind(LARGE)
            .fetch_optional(pool)
            .await?;
    if let Some((id,)) = found {
        let last: NaiveDate = sqlx::query_scalar(
            "SELECT (max(started_at) AT TIME ZONE 'America/Santiago')::date FROM chats WHERE account_id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await?;
        return Ok((id, last));
    }
    let last_day =
        (Utc::now().with_timezone(&chrono_tz::America::Santiago) - Duration::days(1)).date_naive();
    println!(
        "seeding the large account (once): 5,000,000 chats over {DAYS} days, and a 500,000-chat neighbour …"
    );
    let t = std::time::Instant::now();
    // Each table is one COPY over the whole seeding: no statement timeout, on a pool of its own.
    let opts = (*pool.connect_options())
        .clone()
        .options([("statement_timeout", "0")]);
    let seeding = sqlx::postgres::PgPoolOptions::new()
        .max_connections(12)
        .connect_with(opts)
        .await?;
    let large = seed::seed(&seeding, &params(LARGE, 55_556, 100, 1_000, last_day)).await?;
    let n = seed::seed(&seeding, &params(NEIGHBOUR, 5_556, 10, 100, last_day)).await?;
    seeding.close().await;
    println!(
        "seeded in {:.1}s: {} chats, {} calls, {} chat events, {} offline messages, {} presence intervals, {} bans, {} messages, {} steps (+ {} neighbour chats)",
        t.elapsed().as_secs_f64(),
        large.chats,
        large.calls,
        large.chat_events,
        large.offline_messages,
        large.presence,
        large.bans,
        large.messages,
        large.steps,
        n.chats
    );
    Ok((large.account_id, last_day))
}

const FLOOR: [&str; 6] = [
    "SELECT count(*), sum(msgs_in)::bigint FROM chats WHERE account_id = $1 AND started_at >= $2 AND started_at < $3",
    "SELECT count(*), sum(site_id)::bigint FROM calls WHERE account_id = $1 AND started_at >= $2 AND started_at < $3",
    "SELECT count(*), sum(agent_id)::bigint FROM chat_events WHERE account_id = $1 AND at >= $2 AND at < $3",
    "SELECT count(*), sum(site_id)::bigint FROM offline_messages WHERE account_id = $1 AND created_at >= $2 AND created_at < $3",
    "SELECT count(*), sum(agent_id)::bigint FROM bans WHERE account_id = $1 AND created_at >= $2 AND created_at < $3",
    "SELECT count(*), sum(agent_id)::bigint FROM agent_presence WHERE account_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)",
];

async fn floor(pool: &PgPool, account: i64, range: &DateRange) -> anyhow::Result<i64> {
    let (from, to) = range.utc_bounds();
    let reads = FLOOR.iter().map(|sql| {
        sqlx::query_as::<_, (i64, Option<i64>)>(*sql)
            .bind(account)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
    });
    let counts = futures::future::try_join_all(reads).await?;
    Ok(counts.iter().map(|(n, _)| n).sum())
}

/// Builds the rollups of the large account (the first time, all 90 days), as the worker
/// would, and prints how long that took.
pub(crate) async fn build_rollups(ctx: &Ctx) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    let deadline = t + std::time::Duration::from_secs(1800);
    let mut total = exportd_worker::rollup::Refreshed::default();
    loop {
        let r =
            exportd_worker::rollup::refresh(&ctx.pool, ctx.replica.as_deref(), &ctx.cfg, &|| false)
                .await?;
        total.days += r.days;
        total.blocks += r.blocks;
        if r.settled {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "rollups never settled: a transaction stays open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (cells, bytes): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rollup_cells), pg_total_relation_size('rollup_cells')",
    )
    .fetch_one(&ctx.pool)
    .await?;
    println!(
        "rollups: {} days and {} blocks built in {:.1}s; {cells} cells ({:.0} MiB) for all accounts",
        total.days,
        total.blocks,
        t.elapsed().as_secs_f64(),
        bytes as f64 / (1 << 20) as f64
    );
    Ok(())
}

pub async fn run(ctx: Arc<Ctx>, runs: usize) -> anyhow::Result<()> {
    let (account_id, last_day) = ensure_seeded(&ctx.pool).await?;
    let account = exportd_core::accounts::get(&ctx.pool, account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account_id} is gone"))?;
    let tz: Tz = account.timezone;
    let range = DateRange {
        from: last_day - Duration::days(DAYS as i64 - 1),
        to: last_day,
        tz,
    };
    let dir = tempfile::tempdir()?;
    let storage = match &ctx.storage {
        Storage::Local { .. } => Storage::Local {
            dir: dir.path().join("store"),
        },
        s => s.clone(),
    };
    let rows_read = floor(&ctx.pool, account_id, &range).await?;
    println!(
        "global-report: account {account_id}, {} – {} ({tz}), {rows_read} source rows; warming up …",
        range.from, range.to
    );
    build_rollups(&ctx).await?;
    let (_, cover) =
        global::build_with_cover(&Reads::one(&ctx.pool), account_id, &range, Utc::now(), true)
            .await?;
    println!(
        "rollups cover {} of {} days in {} blocks; {} days read from the source tables",
        cover.rolled.iter().map(|(a, b)| b - a).sum::<i32>(),
        range.days(),
        cover.blocks.len(),
        cover.raw_days()
    );
    let _ = global::build(
        &Reads::one(&ctx.pool),
        account_id,
        &range,
        Utc::now(),
        false,
    )
    .await?;

    let mut floor_s: Vec<Sample> = vec![];
    let mut query_s: Vec<Sample> = vec![];
    let mut source_s: Vec<Sample> = vec![];
    // Per format: render, upload, bytes, and the whole file as the worker makes it.
    type Phases = (Format, Vec<Sample>, Vec<Sample>, u64, Vec<Sample>);
    let mut phases: Vec<Phases> = vec![
        (Format::Xlsx, vec![], vec![], 0, vec![]),
        (Format::Csv, vec![], vec![], 0, vec![]),
    ];
    for i in 0..runs {
        let (r, s) = stats::measure(floor(&ctx.pool, account_id, &range)).await;
        r?;
        floor_s.push(s);
        let (r, s) = stats::measure(global::build(
            &Reads::one(&ctx.pool),
            account_id,
            &range,
            Utc::now(),
            false,
        ))
        .await;
        let from_source = r?;
        source_s.push(s);
        let (r, s) = stats::measure(global::build(
            &Reads::one(&ctx.pool),
            account_id,
            &range,
            Utc::now(),
            true,
        ))
        .await;
        let built = r?;
        query_s.push(s);
        let diff = global::differences(&built, &from_source);
        anyhow::ensure!(
            diff.is_empty(),
            "the report read from rollups differs from the one read from the source tables:\n{}",
            diff.join("\n")
        );
        let meta = Meta {
            account: account.clone(),
            range,
            generated_at: Utc::now(),
            options: Default::default(),
            feed: None,
        };
        let (built, meta) = (Arc::new(built), Arc::new(meta));
        for (format, render_s, upload_s, bytes, total_s) in phases.iter_mut() {
            let path = dir
                .path()
                .join(format!("report-{i}.{}", format.extension()));
            let (b, m, p, f) = (built.clone(), meta.clone(), path.clone(), *format);
            let (r, s) = stats::measure(async move {
                tokio::task::spawn_blocking(move || {
                    let out = Box::new(std::fs::File::create(&p)?);
                    let sink = render::sink(f, &RenderOptions::default(), out);
                    global::render::write(&m, &b, sink, &|_| {})
                })
                .await
                .expect("render thread")
            })
            .await;
            r?;
            render_s.push(s);
            let key = Storage::key(
                AccountId(account_id),
                ExportId(0),
                0,
                &format!("bench-{i}.{}", format.extension()),
            );
            let (r, s) = stats::measure(storage.put_file(&key, &path, format.content_type())).await;
            *bytes = r?;
            upload_s.push(s);
            std::fs::remove_file(&path)?;

            // As the worker does it: the file uploaded while the report is being built.
            let m = Meta::clone(&meta);
            let (r, s) = stats::measure(async {
                let (upload, sending) = storage.upload(&key, format.content_type());
                jobs::generate::write_report(
                    Reads::one(&ctx.pool),
                    true,
                    ReportKind::Global,
                    m,
                    *format,
                    Box::new(upload),
                    |_| {},
                )
                .await?;
                sending.stored().await.map_err(anyhow::Error::from)
            })
            .await;
            r?;
            total_s.push(s);
        }
    }
    let sum = |v: &[Sample]| stats::summary(&v.iter().map(|s| s.secs).collect::<Vec<_>>());
    let rss = |v: &[Sample]| v.iter().map(|s| s.rss_mib).fold(0.0, f64::max);
    let floor_sum = sum(&floor_s);
    let mut rows = vec![
        vec![
            "floor (bare read)".into(),
            stats::fmt_summary(&floor_sum, "s"),
            format!("{:.0}", rss(&floor_s)),
            "1.00×".into(),
        ],
        vec![
            "query, source only".into(),
            stats::fmt_summary(&sum(&source_s), "s"),
            format!("{:.0}", rss(&source_s)),
            format!("{:.2}×", sum(&source_s).median / floor_sum.median),
        ],
        vec![
            "query".into(),
            stats::fmt_summary(&sum(&query_s), "s"),
            format!("{:.0}", rss(&query_s)),
            format!("{:.2}×", sum(&query_s).median / floor_sum.median),
        ],
    ];
    let mut json_formats = Vec::new();
    for (format, render_s, upload_s, bytes, total_s) in &phases {
        let sequential: Vec<f64> = (0..runs)
            .map(|i| query_s[i].secs + render_s[i].secs + upload_s[i].secs)
            .collect();
        let sequential = stats::summary(&sequential);
        let total = sum(total_s);
        let f = format.as_str();
        rows.push(vec![
            format!("render {f}"),
            stats::fmt_summary(&sum(render_s), "s"),
            format!("{:.0}", rss(render_s)),
            String::new(),
        ]);
        rows.push(vec![
            format!("upload {f}"),
            stats::fmt_summary(&sum(upload_s), "s"),
            format!("{:.0}", rss(upload_s)),
            String::new(),
        ]);
        rows.push(vec![
            format!("query+render+upload {f}"),
            stats::fmt_summary(&sequential, "s"),
            String::new(),
            format!("{:.2}×", sequential.median / floor_sum.median),
        ]);
        rows.push(vec![
            format!("total {f} (as the worker)"),
            stats::fmt_summary(&total, "s"),
            format!("{:.0}", rss(total_s)),
            format!("{:.2}×", total.median / floor_sum.median),
        ]);
        json_formats.push(json!({"format": f, "render": sum(render_s), "upload": sum(upload_s), "sequential": sequential,
                                 "total": total, "bytes": bytes, "ratio_to_floor": total.median / floor_sum.median,
                                 "peak_rss_mib": rss(render_s).max(rss(upload_s)).max(rss(total_s))}));
    }
    println!("{runs} runs, median (min–max); targets: total ≤ 1.5× floor and ≤ 2 s");
    stats::table(&["phase", "time", "peak RSS MiB", "vs floor"], &rows);
    println!(
        "{}",
        json!({"scenario": "global-report", "runs": runs, "source_rows": rows_read, "floor": floor_sum, "query": sum(&query_s),
               "query_ratio": sum(&query_s).median / floor_sum.median,
               "query_source_only": sum(&source_s), "formats": json_formats})
    );
    Ok(())
}
