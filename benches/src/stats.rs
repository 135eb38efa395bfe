//! Measuring: wall time, peak RSS per phase (Linux `VmHWM`, reset through
//! `/proc/self/clear_refs`), and summaries over repeated runs.

use std::time::{Duration, Instant};

use serde::Serialize;

/// How the program hands free memory back to the system, set by whoever chose its
/// allocator (glibc's `malloc_trim` when nobody did).
static RELEASE_FREE: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Sets how [`reset_peak_rss`] releases free memory; the first call wins.
pub fn set_release_free(f: fn()) {
    let _ = RELEASE_FREE.set(f);
}

fn glibc_trim() {
    // SAFETY: glibc's malloc_trim takes a byte count and only releases free memory.
    unsafe {
        malloc_trim(0);
    }
}

/// Resets the process's peak RSS so the next phase measures its own peak.
pub fn reset_peak_rss() {
    // Hand back to the system what earlier phases freed but the allocator kept, so a
    // phase's peak is its own and not what an earlier one left behind.
    RELEASE_FREE.get().copied().unwrap_or(glibc_trim)();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

unsafe extern "C" {
    /// glibc: releases free heap memory to the system.
    fn malloc_trim(pad: usize) -> i32;
}

/// Peak RSS since the last reset, in MiB.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One measured phase.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sample {
    pub secs: f64,
    pub rss_mib: f64,
}

/// Runs `f`, timing it and taking its peak RSS.
pub async fn measure<T, F: std::future::Future<Output = T>>(f: F) -> (T, Sample) {
    reset_peak_rss();
    let t = Instant::now();
    let out = f.await;
    let secs = t.elapsed().as_secs_f64();
    (
        out,
        Sample {
            secs,
            rss_mib: peak_rss_mib(),
        },
    )
}

/// Median, min and max of some values.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

pub fn summary(values: &[f64]) -> Summary {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let median = if v.is_empty() {
        f64::NAN
    } else if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    Summary {
        median,
        min: *v.first().unwrap_or(&f64::NAN),
        max: *v.last().unwrap_or(&f64::NAN),
    }
}

/// The `q`-quantile (0–1) of some durations, nearest rank.
pub fn quantile(values: &mut [Duration], q: f64) -> Duration {
    values.sort();
    if values.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// Prints an aligned table: a header row, then rows.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:>width$}", width = w[i]))
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(header.iter().map(|s| s.to_string()).collect()));
    for r in rows {
        println!("{}", line(r.clone()));
    }
}

pub fn fmt_summary(s: &Summary, unit: &str) -> String {
    format!("{:.3}{unit} ({:.3}–{:.3})", s.median, s.min, s.max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quantiles() {
        let s = summary(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(summary(&[1.0, 2.0, 3.0, 10.0]).median, 2.5);
        let mut d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&mut d, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&mut d, 0.5), Duration::from_millis(50));
    }
}
