//! What a report kind declares about its rollups ([`Rollups`]): the tables it owns and the
//! statements that build a day from the source tables and a block from its two children.
//! The engine knows no kind: it loops over the kinds registered in `crate::reports` that
//! declare rollups ([`registered`]).

use exportd_core::kinds::ReportKind;

/// A statement's text: a function, so that text built once at first use (a `LazyLock`)
/// and a constant are declared alike.
pub type Sql = fn() -> &'static str;

/// What a day statement is bound with. Every shape starts with `$1` the account and
/// `[$2, $3)` the day's instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayBinds {
    /// `$4` series, `$5` day number.
    Day,
    /// `$4` series, `$5` day number, `$6` the time zone of local dates and hours.
    DayInZone,
    /// `$4` the instant an interval still open ends at (the day's end), `$5` series, `$6`
    /// day number: the shape of a read that clips intervals.
    Clipped,
}

/// A statement that builds a day's rows of one table from the source tables.
#[derive(Debug, Clone, Copy)]
pub struct DayStatement {
    pub sql: Sql,
    pub binds: DayBinds,
}

/// A kind's rollups: every table of rollup rows it owns, keyed by (series, level, block),
/// and how they are built.
#[derive(Debug)]
pub struct Rollups {
    pub tables: &'static [&'static str],
    /// Build a day (level 0) from the source tables.
    pub day: &'static [DayStatement],
    /// Build block `$3` of level `$2` in series `$1` from its two children.
    pub block: &'static [Sql],
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
