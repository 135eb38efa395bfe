//! `exportd bench render`: N synthetic rows × 15 mixed columns (ints, short repeated
//! strings, unique strings, datetimes, bools) through exportd's xlsx and csv sinks, side
//! by side with the floor: rust_xlsxwriter alone, constant-memory mode, same zip level,
//! same values.

use std::{fs::File, path::Path};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use exportd_worker::render::{
    Cell, RenderOptions, Row, SectionSpec, Sink, csv::CsvZipSink, xlsx::XlsxSink,
};
use rust_xlsxwriter::{Format, Workbook};
use serde_json::json;

use crate::stats::{self, Sample};

pub const COLS: usize = 15;
const REPEATED: [&str; 5] = ["webchat", "whatsapp", "facebook", "instagram", "phone"];

fn base() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// The values of row `i`, column by column: 4 ints, 3 repeated strings, 3 unique strings,
/// 3 datetimes, 2 bools.
fn cells(i: u64, t0: NaiveDateTime) -> Vec<Cell> {
    let i = i as i64;
    vec![
        Cell::Int(i),
        Cell::Int(i * 7 % 1000),
        Cell::Int(i % 97),
        Cell::Int(1_000_000 + i * 13),
        Cell::Text(REPEATED[(i % 5) as usize].to_owned()),
        Cell::Text(REPEATED[(i % 3) as usize].to_owned()),
        Cell::Text(if i % 2 == 0 { "sí" } else { "no" }.to_owned()),
        Cell::Text(format!("contact-{i}")),
        Cell::Text(format!("+56 9 {:08}", i * 31 % 100_000_000)),
        Cell::Text(format!("chat {i} first message")),
        Cell::DateTime(t0 + Duration::seconds(i * 37)),
        Cell::DateTime(t0 + Duration::seconds(i * 37 + 60)),
        Cell::DateTime(t0 + Duration::seconds(i * 41)),
        Cell::Bool(i % 2 == 0),
        Cell::Bool(i % 7 == 0),
    ]
}

fn spec() -> SectionSpec {
    SectionSpec {
        key: "rows",
        title: "Rows".into(),
        headers: (0..COLS).map(|c| format!("col{c}")).collect(),
        widths: vec![14.0; COLS],
    }
}

fn exportd(sink: Box<dyn Sink>, n: u64) -> anyhow::Result<()> {
    let mut sink = sink;
    sink.summary("Resumen", &[("rows".into(), n.to_string())])?;
    sink.begin(spec())?;
    let t0 = base();
    for i in 0..n {
        sink.row(&Row {
            cells: cells(i, t0),
            total: false,
        })?;
    }
    sink.finish()?;
    Ok(())
}

/// The floor: rust_xlsxwriter alone, writing the same values without exportd's types; past
/// a sheet's 1,048,575 data rows it goes on in another sheet, as exportd's writer does.
pub fn floor(n: u64, out: &Path) -> anyhow::Result<()> {
    const SHEET_ROWS: u64 = 1_048_575;
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(1);
    let dt = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut ws = wb.add_worksheet_with_constant_memory()?;
    let t0 = base();
    for i in 0..n {
        if i > 0 && i % SHEET_ROWS == 0 {
            ws = wb.add_worksheet_with_constant_memory()?;
        }
        if i % SHEET_ROWS == 0 {
            for c in 0..COLS as u16 {
                ws.set_column_width(c, 14.0)?;
                ws.write_string(0, c, format!("col{c}"))?;
            }
        }
        let r = (i % SHEET_ROWS) as u32 + 1;
        for (c, cell) in cells(i, t0).iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Int(v) => ws.write_number(r, c, *v as f64)?,
                Cell::Text(s) => ws.write_string(r, c, s)?,
                Cell::DateTime(t) => ws.write_datetime_with_format(r, c, t, &dt)?,
                Cell::Bool(b) => ws.write_boolean(r, c, *b)?,
                _ => ws,
            };
        }
    }
    wb.save(out)?;
    Ok(())
}

async fn run_one(which: &str, n: u64, dir: &Path) -> anyhow::Result<(Sample, u64)> {
    let out = dir.join(format!(
        "{which}-{n}.{}",
        if which == "csv" { "zip" } else { "xlsx" }
    ));
    let o = out.clone();
    let w = which.to_owned();
    let (r, sample) = stats::measure(async move {
        tokio::task::spawn_blocking(move || match w.as_str() {
            "floor" => floor(n, &o),
            "xlsx" => exportd(Box::new(XlsxSink::new(Box::new(File::create(&o)?))), n),
            _ => exportd(
                Box::new(CsvZipSink::create(
                    Box::new(File::create(&o)?),
                    &RenderOptions::default(),
                )),
                n,
            ),
        })
        .await
        .expect("renderer thread")
    })
    .await;
    r?;
    let size = std::fs::metadata(&out)?.len();
    std::fs::remove_file(&out)?;
    Ok((sample, size))
}

pub async fn run(sizes: &[u64], runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    for which in ["floor", "xlsx", "csv"] {
        run_one(which, 10_000, dir.path()).await?; // warm-up
    }
    let mut rows = Vec::new();
    let mut out = Vec::new();
    for &n in sizes {
        let mut samples: Vec<(&str, Vec<Sample>, u64)> = vec![
            ("floor", vec![], 0),
            ("xlsx", vec![], 0),
            ("csv", vec![], 0),
        ];
        for _ in 0..runs {
            // Interleaved, so that noise on this shared machine hits all three alike.
            for (which, s, size) in samples.iter_mut() {
                let (sample, bytes) = run_one(which, n, dir.path()).await?;
                s.push(sample);
                *size = bytes;
            }
        }
        let floor_secs = stats::summary(&samples[0].1.iter().map(|s| s.secs).collect::<Vec<_>>());
        for (which, s, size) in &samples {
            let secs = stats::summary(&s.iter().map(|s| s.secs).collect::<Vec<_>>());
            let rss = stats::summary(&s.iter().map(|s| s.rss_mib).collect::<Vec<_>>());
            let ratio = secs.median / floor_secs.median;
            rows.push(vec![
                n.to_string(),
                which.to_string(),
                stats::fmt_summary(&secs, "s"),
                format!("{:.0}", n as f64 / secs.median),
                format!("{:.1}", rss.max),
                format!("{:.1}", *size as f64 / 1_048_576.0),
                format!("{ratio:.2}×"),
            ]);
            out.push(json!({"rows": n, "writer": which, "secs": secs, "rows_per_sec": n as f64 / secs.median,
                            "peak_rss_mib": rss.max, "bytes": size, "ratio_to_floor": ratio}));
        }
    }
    println!(
        "render: {runs} runs each, median (min–max); floor = rust_xlsxwriter alone, constant memory, zip level 1"
    );
    stats::table(
        &[
            "rows",
            "writer",
            "time",
            "rows/s",
            "peak RSS MiB",
            "file MiB",
            "vs floor",
        ],
        &rows,
    );
    println!(
        "{}",
        json!({"scenario": "render", "runs": runs, "results": out})
    );
    Ok(())
}
