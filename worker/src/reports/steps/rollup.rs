//! Reading the steps report as (site, step) cells: from rollup blocks for closed days where
//! valid ones exist (see [`crate::rollup`]), from the source tables elsewhere. A
//! cell holds integer sums only (rows, microseconds, rows that left), so the two paths add
//! up to exactly what the source tables alone give.

use std::{collections::BTreeMap, sync::LazyLock};

use exportd_core::domain::DateRange;
use sqlx::AssertSqlSafe;

use crate::{
    reports::{Reads, micros_between},
    rollup::{self, Cover, DaysStatement, Rollups, day_of, sum_block},
};

/// The rows of `steps` entered in `[$2, $3)` of account `$1`, per (site of the chat, step):
/// rows, the sum of `left_at − entered_at` in microseconds over those that left, and how
/// many left; `sites` narrows to chats of those sites. With `by_day`, per local day first
/// (a span's days, [`day_of`]).
fn source(sites: &str, by_day: bool) -> String {
    let (day, group) = if by_day {
        (format!("{} AS day, ", day_of("st.entered_at")), "day, ")
    } else {
        (String::new(), "")
    };
    format!(
        "SELECT {day}ch.site_id, st.step, count(*)::int8 AS times,
                coalesce(sum({dur}), 0)::int8 AS dur_us,
                count(st.left_at)::int8 AS dur_n
           FROM steps st JOIN chats ch ON ch.id = st.chat_id AND ch.account_id = $1
          WHERE st.account_id = $1 AND st.entered_at >= $2 AND st.entered_at < $3
            AND ({sites}::int8[] IS NULL OR ch.site_id = ANY({sites}))
          GROUP BY {group}ch.site_id, st.step",
        dur = micros_between("st.left_at", "st.entered_at"),
    )
}

/// The source read of a run of days, `$4` sites.
static READ_SOURCE: LazyLock<String> = LazyLock::new(|| source("$4", false));

/// A span's cells, per day (binds as [`DaysStatement`]).
static BUILD_DAYS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT $4, 0, s.* FROM ({}) s", source("NULL", true)));

/// A block's cells from the blocks under it (binds as [`Rollups::block`]).
static BUILD_BLOCK: LazyLock<String> = LazyLock::new(|| {
    sum_block(
        "rollup_steps",
        &["site_id", "step"],
        &["times", "dur_us", "dur_n"],
        &[],
    )
});

/// The cells of blocks `unnest($2 levels, $3 blocks)` of series `$1`, `$4` sites.
const READ_BLOCKS: &str = "
SELECT t.site_id, t.step, sum(t.times)::int8, sum(t.dur_us)::int8, sum(t.dur_n)::int8
  FROM rollup_steps t
  JOIN unnest($2::int2[], $3::int4[]) AS b (level, block) ON t.level = b.level AND t.block = b.block
 WHERE t.series_id = $1 AND ($4::int8[] IS NULL OR t.site_id = ANY($4))
 GROUP BY 1, 2";

/// One (site, step)'s sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCell {
    pub times: i64,
    pub dur_us: i64,
    pub dur_n: i64,
}

impl StepCell {
    pub fn add(&mut self, o: StepCell) {
        self.times += o.times;
        self.dur_us += o.dur_us;
        self.dur_n += o.dur_n;
    }

    /// The average duration in seconds over the rows that left.
    pub fn avg_secs(&self) -> Option<f64> {
        (self.dur_n > 0).then(|| self.dur_us as f64 / self.dur_n as f64 / 1e6)
    }
}

/// Cells by (site of the chat, step); a chat without a site has `None`.
pub type StepCells = BTreeMap<(Option<i64>, String), StepCell>;

type Read = (Option<i64>, String, i64, i64, i64);

/// Reads the steps of account `account_id` in `range` (chats of `sites`, or all), from
/// rollups where `rollups` and valid blocks exist. Returns the cells and how they were read.
pub async fn read(
    db: &Reads,
    rollups: bool,
    account_id: i64,
    range: &DateRange,
    sites: Option<&[i64]>,
) -> Result<(StepCells, Cover), sqlx::Error> {
    let (series, cover) = rollup::plan_range(&db.primary, rollups, account_id, range).await?;
    let raw = cover.raw.iter().map(|&(a, b)| {
        let (from, to) = rollup::days_bounds(a, b, range.tz);
        sqlx::query_as::<_, Read>(AssertSqlSafe(READ_SOURCE.as_str()))
            .bind(account_id)
            .bind(from)
            .bind(to)
            .bind(sites)
            .fetch_all(&db.source)
    });
    let mut reads = futures::future::try_join_all(raw).await?;
    if let (Some(series), false) = (series, cover.blocks.is_empty()) {
        let (levels, blocks) = cover.block_keys();
        reads.push(
            sqlx::query_as::<_, Read>(READ_BLOCKS)
                .bind(series)
                .bind(levels)
                .bind(blocks)
                .bind(sites)
                .fetch_all(&db.primary)
                .await?,
        );
    }
    let mut cells = StepCells::new();
    for (site, step, times, dur_us, dur_n) in reads.into_iter().flatten() {
        cells.entry((site, step)).or_default().add(StepCell {
            times,
            dur_us,
            dur_n,
        });
    }
    Ok((cells, cover))
}

/// The steps report's rollups: counts and durations per (site, step).
pub static ROLLUPS: Rollups = Rollups {
    tables: &["rollup_steps"],
    days: &[DaysStatement {
        target: || "rollup_steps (series_id, level, block, site_id, step, times, dur_us, dur_n)",
        query: || BUILD_DAYS.as_str(),
    }],
    block: &[|| BUILD_BLOCK.as_str()],
    days_only: &[],
};
