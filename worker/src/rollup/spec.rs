//! What a report kind declares about its rollups ([`Rollups`]): the tables it owns and the
//! statements that build days from the source tables and a block from the blocks under it.
//! The engine knows no kind: it loops over the kinds registered in `crate::reports` that
//! declare rollups ([`registered`]).

use exportd_core::kinds::ReportKind;

/// A statement's text: a function, so that text built once at first use (a `LazyLock`)
/// and a constant are declared alike.
pub type Sql = fn() -> &'static str;

/// A statement that builds the level-0 rows of one table for every local day of a span
/// of consecutive days, in one grouped pass over the source tables: each row's block is
/// the number of the local day it falls in ([`day_of`]).
///
/// The query is bound with `$1` the account, `[$2, $3)` the span's instants, `$4` the
/// series, `$5` the time zone (of local hours, and of the queries shared with a report's
/// source read), and the span's days as
/// `unnest($6 day numbers, $7 starts, $8 ends)` ([`day_of`], and reads that clip
/// intervals to days).
/// It yields the target's columns in order, `series_id, level, block` first.
#[derive(Debug, Clone, Copy)]
pub struct DaysStatement {
    /// Where the rows go: `table (columns)`.
    pub target: Sql,
    pub query: Sql,
}

/// The statement that builds a block of `table` from the blocks under it (binds as
/// [`Rollups::block`]): per `keys`, the sum of each column of `ints` as `int8` and of
/// `floats` as `float8`.
pub fn sum_block(table: &str, keys: &[&str], ints: &[&str], floats: &[&str]) -> String {
    let keys = keys.join(", ");
    let typed = |columns: &[&str], ty: &str| -> Vec<(String, String)> {
        columns
            .iter()
            .map(|c| (c.to_string(), format!("sum({c})::{ty}")))
            .collect()
    };
    let (columns, summed): (Vec<String>, Vec<String>) =
        [typed(ints, "int8"), typed(floats, "float8")]
            .concat()
            .into_iter()
            .unzip();
    format!(
        "INSERT INTO {table} (series_id, level, block, {keys}, {columns})
         SELECT $1, $2, $3, {keys}, {summed}
           FROM {table}
          WHERE series_id = $1 AND level = $4 AND block >= $5 AND block < $6
          GROUP BY {keys}",
        columns = columns.join(", "),
        summed = summed.join(", "),
    )
}

/// The number of the local day (days since 1970-01-01) an instant of the span falls in:
/// the day of `$6` whose start in `$7` is the last at or before it, found by a binary
/// search over the span's day starts (`width_bucket`). The instant must lie in the span,
/// `[$2, $3)`, as every days statement's rows do. It is the day the span's blocks cover,
/// from the same bounds. Taking each row's local date with `AT TIME ZONE $5` gives the same
/// day and cost 1.3 s more of a dense month's 7.8 M steps (2.9 s against 1.6 s, the two
/// side by side).
pub fn day_of(instant: &str) -> String {
    format!("($6::int4[])[width_bucket({instant}, $7::timestamptz[])]")
}

/// A kind's rollups: every table of rollup rows it owns, keyed by (series, level, block),
/// and how they are built.
#[derive(Debug)]
pub struct Rollups {
    pub tables: &'static [&'static str],
    /// Build the days of a span (level 0) from the source tables.
    pub days: &'static [DaysStatement],
    /// Build block `$3` of level `$2` in series `$1` from the blocks under it, one built
    /// level down ([`super::children`]): level `$4`, blocks `[$5, $6)`. One per table, but
    /// for those kept by day.
    pub block: &'static [Sql],
    /// The tables kept by day only: sets (contacts, busy intervals), which a union over
    /// more days hardly shrinks, so that a block above a day would cost a build as large as
    /// its days and save its reads nothing. They are read over the days of the blocks a
    /// report reads ([`super::Cover::day_keys`]).
    pub days_only: &'static [&'static str],
}

/// The tables of the engine itself, which belong to no kind.
pub const ENGINE_TABLES: [&str; 6] = [
    "rollup_series",
    "rollup_blocks",
    "rollup_dirty",
    "rollup_pending",
    "rollup_owner_changes",
    "rollup_checkpoints",
];

/// Every kind that declares rollups, with its declaration, in the registry's order.
pub fn registered() -> impl Iterator<Item = (ReportKind, &'static Rollups)> {
    crate::reports::all().filter_map(|r| r.rollups().map(|s| (r.kind(), s)))
}

/// Every table of rollup rows, of every kind.
pub fn tables() -> impl Iterator<Item = &'static str> {
    registered().flat_map(|(_, r)| r.tables.iter().copied())
}
