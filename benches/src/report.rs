//! `exportd bench report --kind <kind>`: one aggregate kind over 90 days of the large
//! account (seeded on first use, see `global_report`), written to xlsx and csv as the worker
//! writes it, side by side in one run with its floor: a bare read of the rows the kind
//! needs (`count(*)` and the sum of one column per table, same account and range, the
//! tables read concurrently). Prints time and peak RSS per phase, the ratio to the floor,
//! and a JSON line. Target: within 2× the floor and under 2 s. With rollups on (the
//! default), closed days are rolled up first, as the worker keeps them, for the kinds that
//! have them (global, steps, agents_activity, sessions); `EXPORTD_ROLLUPS=false` measures
//! the source tables alone.

use std::sync::Arc;

use chrono::{Duration, Utc};
use exportd_core::{
    domain::{DateRange, Format},
    kinds::ReportKind,
};
use exportd_worker::{
    Ctx, jobs,
    reports::{Meta, Reads},
    rollup,
};
use serde_json::json;
use sqlx::PgPool;

use crate::stats::{self, Sample};

/// The bare reads of the rows a kind needs, one per source table it declares (`$1`
/// account, `[$2, $3)` the range).
fn floor_sql(kind: ReportKind) -> Vec<String> {
    kind.info()
        .sources
        .iter()
        .map(|s| {
            format!(
                "SELECT count(*), sum(id)::bigint FROM {} WHERE account_id = $1 AND {}",
                s.table,
                s.in_range()
            )
        })
        .collect()
}

async fn floor(
    pool: &PgPool,
    kind: ReportKind,
    account: i64,
    range: &DateRange,
) -> anyhow::Result<i64> {
    let (from, to) = range.utc_bounds();
    let sqls = floor_sql(kind);
    let reads = sqls.iter().map(|sql| {
        sqlx::query_as::<_, (i64, Option<i64>)>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(account)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
    });
    let counts = futures::future::try_join_all(reads).await?;
    Ok(counts.iter().map(|(n, _)| n).sum())
}

pub async fn run(ctx: Arc<Ctx>, kind: ReportKind, runs: usize) -> anyhow::Result<()> {
    let (account_id, last_day) = crate::global_report::ensure_seeded(&ctx.pool).await?;
    let account = exportd_core::accounts::get(&ctx.pool, account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account {account_id} is gone"))?;
    let range = DateRange {
        from: last_day - Duration::days(89),
        to: last_day,
        tz: account.timezone,
    };
    let rows = floor(&ctx.pool, kind, account_id, &range).await?;
    println!(
        "report {}: account {account_id}, {} – {} ({}), {rows} source rows; warming up …",
        kind.as_str(),
        range.from,
        range.to,
        range.tz
    );
    if ctx.cfg.rollups {
        // As the worker keeps them: closed days rolled up, where the kind has rollups.
        crate::global_report::build_rollups(&ctx).await?;
        let (_, cover) = rollup::plan_range(&ctx.pool, true, account_id, &range).await?;
        println!(
            "rollups (for global, steps, agents_activity, sessions, conversations): {} of {} days in {} blocks, {} days from the source tables",
            range.days() as i32 - cover.raw_days(),
            range.days(),
            cover.blocks.len(),
            cover.raw_days()
        );
    }
    let dir = tempfile::tempdir()?;
    let write = |format: Format, i: usize| {
        let meta = Meta {
            account: account.clone(),
            range,
            generated_at: Utc::now(),
            options: Default::default(),
            feed: None,
        };
        let path = dir.path().join(format!("r-{i}.{}", format.extension()));
        let pool = ctx.pool.clone();
        let rollups = ctx.cfg.rollups;
        async move {
            let out = Box::new(std::fs::File::create(&path)?);
            jobs::generate::write_report(
                Reads::one(&pool),
                rollups,
                kind,
                meta,
                format,
                out,
                |_| {},
            )
            .await
        }
    };
    // Warm-up: one of each, unmeasured.
    floor(&ctx.pool, kind, account_id, &range).await?;
    write(Format::Xlsx, 0).await?;
    let (mut floor_s, mut xlsx_s, mut csv_s): (Vec<Sample>, Vec<Sample>, Vec<Sample>) =
        Default::default();
    for i in 0..runs {
        let (r, s) = stats::measure(floor(&ctx.pool, kind, account_id, &range)).await;
        r?;
        floor_s.push(s);
        let (r, s) = stats::measure(write(Format::Xlsx, i + 1)).await;
        r?;
        xlsx_s.push(s);
        let (r, s) = stats::measure(write(Format::Csv, i + 1)).await;
        r?;
        csv_s.push(s);
    }
    let med = |v: &[Sample]| stats::summary(&v.iter().map(|s| s.secs).collect::<Vec<_>>());
    let rss = |v: &[Sample]| v.iter().map(|s| s.rss_mib).fold(0.0, f64::max);
    let (f, x, c) = (med(&floor_s), med(&xlsx_s), med(&csv_s));
    let table: Vec<Vec<String>> = [
        ("floor (bare read)", &f, &floor_s),
        ("xlsx file", &x, &xlsx_s),
        ("csv file", &c, &csv_s),
    ]
    .iter()
    .map(|(name, s, v)| {
        vec![
            name.to_string(),
            stats::fmt_summary(s, "s"),
            format!("{:.2}×", s.median / f.median),
            format!("{:.0} MiB", rss(v)),
        ]
    })
    .collect();
    stats::table(
        &["phase", "time (median, min–max)", "vs floor", "peak RSS"],
        &table,
    );
    let ok = |s: &stats::Summary| s.median <= 2.0 * f.median && s.median < 2.0;
    println!(
        "target (≤ 2× floor and < 2 s): xlsx {}, csv {}",
        if ok(&x) { "met" } else { "MISSED" },
        if ok(&c) { "met" } else { "MISSED" }
    );
    println!(
        "{}",
        json!({
            "bench": "report", "kind": kind.as_str(), "runs": runs, "rows": rows,
            "floor_s": f, "xlsx_s": x, "csv_s": c,
            "xlsx_ratio": x.median / f.median, "csv_ratio": c.median / f.median,
            "xlsx_rss_mib": rss(&xlsx_s), "csv_rss_mib": rss(&csv_s),
        })
    );
    Ok(())
}
