//! The global report's online and away time per agent: account-wide, so kept apart from
//! the (site, agent) cells ([`super::cells`]), read from `agent_presence` clipped to a range
//! or summed from rollup blocks.

use std::sync::LazyLock;

use crate::rollup::sum_block;

/// Where a day's presence goes.
pub(super) const TARGET: &str =
    "rollup_presence (series_id, level, block, agent_id, online_secs, away_secs)";

/// Seconds online and away of intervals `p` clipped to `[lo, hi)`; an interval still open
/// ends at `open_end`.
fn presence_secs(lo: &str, hi: &str, open_end: &str) -> String {
    let secs = format!(
        "GREATEST(0, date_part('epoch', LEAST(coalesce(p.ended_at, {open_end}), {hi}) - GREATEST(p.started_at, {lo})))"
    );
    format!(
        "coalesce(sum({secs}) FILTER (WHERE p.status = 'online'), 0)::float8 AS online,
         coalesce(sum({secs}) FILTER (WHERE p.status = 'away'), 0)::float8 AS away"
    )
}

/// Presence of account `$1`'s agents clipped to `[$2, $3)`; an interval still open ends at
/// `$4` (now).
pub static READ: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT p.agent_id, {}
           FROM agent_presence p
          WHERE p.account_id = $1 AND p.started_at < $3 AND (p.ended_at IS NULL OR p.ended_at > $2)
          GROUP BY p.agent_id",
        presence_secs("$2", "$3", "$4")
    )
});

/// A span's presence, clipped to each of its days (binds as [`DaysStatement`]); an interval
/// still open counts to the day's end.
pub(super) static BUILD_DAYS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH p AS MATERIALIZED (
             SELECT agent_id, status, started_at, ended_at FROM agent_presence
              WHERE account_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2))
         SELECT $4, 0, d.day, p.agent_id, {}
           FROM p JOIN unnest($6::int4[], $7::timestamptz[], $8::timestamptz[]) AS d (day, lo, hi)
             ON p.started_at < d.hi AND (p.ended_at IS NULL OR p.ended_at > d.lo)
          GROUP BY d.day, p.agent_id",
        presence_secs("d.lo", "d.hi", "d.hi")
    )
});

/// Builds a presence block from the blocks under it (binds as [`Rollups::block`]).
pub(super) static BUILD_BLOCK: LazyLock<String> = LazyLock::new(|| {
    sum_block(
        "rollup_presence",
        &["agent_id"],
        &[],
        &["online_secs", "away_secs"],
    )
});

/// Presence of series `$1` summed over the blocks `unnest($2 levels, $3 blocks)`.
pub const READ_BLOCKS: &str = "
SELECT agent_id, sum(online_secs)::float8 AS online, sum(away_secs)::float8 AS away
  FROM rollup_presence p
  JOIN unnest($2::int2[], $3::int4[]) AS b (level, block)
    ON p.level = b.level AND p.block = b.block
 WHERE p.series_id = $1
 GROUP BY agent_id";
