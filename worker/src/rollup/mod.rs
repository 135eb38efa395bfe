//! The rollup engine: sums of closed local days (see `migrations/0007_rollups.sql`), in one
//! set of blocks per account and timezone, for every kind that declares rollups
//! ([`spec::Rollups`], found through the kinds' registry). The engine knows no kind.
//!
//! A report over days `[first, end)` is covered greedily by the largest valid blocks of 1,
//! 4, 16 and 64 days ([`cover`], planned in [`plan`]); what no valid block covers (today, a
//! day a late write has marked, a day not built yet, another timezone) is read from the
//! source tables. Blocks hold sums and counts only, so the two paths add up to exactly the
//! report read from the source alone; sets are kept by day ([`spec::Rollups::days_only`]).
//!
//! [`build::refresh`] builds what is missing or marked: spans of consecutive days, each in
//! one grouped pass per statement over one snapshot, then each block from the
//! blocks under it, and only then deletes the marks it acted on. Rollup rows and blocks are
//! unlogged (migration 0025): a cache, built again after a crash or a failover.

pub mod blocks;
pub mod build;
pub mod changes;
mod days;
mod marks;
pub mod owners;
mod pgoutput;
pub mod plan;
mod series;
pub mod spec;

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use exportd_core::domain::local_day_start;

pub use build::{Refreshed, refresh};
pub use plan::{plan, plan_range};
pub use spec::{DaysStatement, Rollups, Sql, day_of, sum_block};

/// Block levels: a level-k block covers 2^k days. 64 days is the largest that fits twice
/// in no report of at most 90 days, so larger ones would never be read.
pub const MAX_LEVEL: i16 = 6;

/// Levels built: days, then every `LEVEL_STEP`-th level (4, 16 and 64 days), each block
/// made of the 2^`LEVEL_STEP` blocks one built level down. A large account's cells fill
/// its (site, agent) pairs within a few days, so a block of twice the days is hardly
/// smaller than its two children: with every level, a first build wrote each cell about
/// six times over. A report reads a few more blocks instead.
pub const LEVEL_STEP: i16 = 2;
const _: () = assert!(MAX_LEVEL % LEVEL_STEP == 0);

/// The levels built, days first.
pub fn levels() -> impl DoubleEndedIterator<Item = i16> {
    (0..=MAX_LEVEL).step_by(LEVEL_STEP as usize)
}

/// What block `block` of level `level` is built from: the level one built level down, and
/// its blocks `[first, end)`.
pub fn children(level: i16, block: i32) -> (i16, i32, i32) {
    (
        level - LEVEL_STEP,
        block << LEVEL_STEP,
        (block + 1) << LEVEL_STEP,
    )
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// Days since 1970-01-01 of a local date.
pub fn day_number(d: NaiveDate) -> i32 {
    (d - epoch()).num_days() as i32
}

/// The local date of a day number.
pub fn day_date(n: i32) -> NaiveDate {
    epoch() + Duration::days(n as i64)
}

/// The days `[first, end)` a block covers.
pub fn block_days(level: i16, block: i32) -> (i32, i32) {
    (block << level, (block + 1) << level)
}

/// The UTC instants `[start, end)` of local days `[first, end)`.
pub fn days_bounds(first: i32, end: i32, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        local_day_start(day_date(first), tz),
        local_day_start(day_date(end), tz),
    )
}

/// How a range of days is read: blocks from the rollups, the rest from the source tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    /// (level, block) of each rollup block read.
    pub blocks: Vec<(i16, i32)>,
    /// Runs of days `[first, end)` read from the source tables.
    pub raw: Vec<(i32, i32)>,
    /// Runs of days `[first, end)` read from rollups.
    pub rolled: Vec<(i32, i32)>,
}

impl Cover {
    /// Reads everything from the source tables.
    pub fn raw(first: i32, end: i32) -> Self {
        Cover {
            raw: vec![(first, end)],
            ..Default::default()
        }
    }

    /// Number of days read from the source tables.
    pub fn raw_days(&self) -> i32 {
        self.raw.iter().map(|(a, b)| b - a).sum()
    }

    /// The blocks read, as the arrays of levels and of block numbers that reads bind.
    pub fn block_keys(&self) -> (Vec<i16>, Vec<i32>) {
        self.blocks.iter().copied().unzip()
    }

    /// The days the blocks read cover, as level-0 blocks (the arrays of [`Cover::block_keys`]):
    /// where a table that keeps days only ([`Rollups::days_only`]) is read. Every day under a
    /// valid block is built: a block is built from its children, and deleted with them.
    pub fn day_keys(&self) -> (Vec<i16>, Vec<i32>) {
        self.rolled
            .iter()
            .flat_map(|&(a, b)| a..b)
            .map(|d| (0, d))
            .unzip()
    }
}

fn push_run(runs: &mut Vec<(i32, i32)>, first: i32, end: i32) {
    match runs.last_mut() {
        Some((_, e)) if *e == first => *e = end,
        _ => runs.push((first, end)),
    }
}

/// Covers days `[first, end)` with the largest blocks of `valid` that fit, day by day.
pub fn cover(first: i32, end: i32, valid: &HashSet<(i16, i32)>) -> Cover {
    let mut c = Cover::default();
    let mut n = first;
    while n < end {
        let block =
            levels().rev().find_map(|level| {
                let span = 1 << level;
                (n % span == 0 && n + span <= end && valid.contains(&(level, n >> level)))
                    .then_some((level, n >> level, span))
            });
        match block {
            Some((level, b, span)) => {
                c.blocks.push((level, b));
                push_run(&mut c.rolled, n, n + span);
                n += span;
            }
            None => {
                push_run(&mut c.raw, n, n + 1);
                n += 1;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_valid(first: i32, end: i32) -> HashSet<(i16, i32)> {
        let mut v = HashSet::new();
        for level in levels() {
            for b in (first >> level)..=(end >> level) {
                let (a, e) = block_days(level, b);
                if a >= first && e <= end {
                    v.insert((level, b));
                }
            }
        }
        v
    }

    fn covered_days(c: &Cover) -> Vec<i32> {
        let mut days: Vec<i32> = c
            .blocks
            .iter()
            .flat_map(|&(l, b)| {
                let (a, e) = block_days(l, b);
                a..e
            })
            .chain(c.raw.iter().flat_map(|&(a, e)| a..e))
            .collect();
        days.sort();
        days
    }

    #[test]
    fn a_90_day_range_is_covered_by_few_blocks_exactly_once() {
        for first in 20_000..20_140 {
            let end = first + 90;
            let c = cover(first, end, &all_valid(first - 200, end + 200));
            assert_eq!(covered_days(&c), (first..end).collect::<Vec<_>>());
            assert!(c.raw.is_empty());
            assert!(c.blocks.len() <= 15, "{first}: {} blocks", c.blocks.len());
            assert!(c.blocks.iter().all(|&(l, _)| l % LEVEL_STEP == 0));
            assert_eq!(c.rolled, vec![(first, end)]);
        }
    }

    #[test]
    fn invalid_blocks_fall_back_to_smaller_ones_and_then_to_the_source() {
        let (first, end) = (20_032, 20_096); // one aligned 64-day block
        let mut valid = all_valid(first, end);
        assert_eq!(cover(first, end, &valid).blocks, vec![(6, 20_032 >> 6)]);
        // Day 20_040 was marked: every block holding it is out, the day itself too.
        valid.retain(|&(l, b)| {
            let (a, e) = block_days(l, b);
            !(a..e).contains(&20_040)
        });
        let c = cover(first, end, &valid);
        assert_eq!(covered_days(&c), (first..end).collect::<Vec<_>>());
        assert_eq!(c.raw, vec![(20_040, 20_041)]);
        assert_eq!(c.rolled, vec![(20_032, 20_040), (20_041, 20_096)]);
        assert!(c.blocks.len() <= 3 * MAX_LEVEL as usize);
        // Tables kept by day are read over the same days as the blocks, and no other.
        let (levels, days) = c.day_keys();
        assert!(levels.iter().all(|&l| l == 0));
        let expected: Vec<i32> = (first..end).filter(|&d| d != 20_040).collect();
        assert_eq!(days, expected);
        let (levels, blocks) = c.block_keys();
        assert_eq!(levels.len(), c.blocks.len());
        assert_eq!(blocks.len(), c.blocks.len());
    }

    #[test]
    fn nothing_valid_reads_every_day_from_the_source() {
        let c = cover(100, 190, &HashSet::new());
        assert_eq!(c, Cover::raw(100, 190));
        assert_eq!(c.raw_days(), 90);
    }

    #[test]
    fn day_numbers_round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        assert_eq!(day_date(day_number(d)), d);
        assert_eq!(day_number(epoch()), 0);
        assert_eq!(block_days(3, 2), (16, 24));
        assert_eq!(levels().collect::<Vec<_>>(), vec![0, 2, 4, 6]);
        // A block's children cover exactly its days.
        let (level, first, end) = children(4, 7);
        assert_eq!(level, 2);
        assert_eq!(block_days(level, first).0, block_days(4, 7).0);
        assert_eq!(block_days(level, end - 1).1, block_days(4, 7).1);
    }
}
