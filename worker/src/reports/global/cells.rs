//! The (site, agent) cells of the global report: one definition of every metric, read from
//! the source tables for a span of time, or summed from rollup blocks.
//!
//! Each source table has one aggregate that yields the same fifteen measures (zeros for
//! those it has nothing to say about), so the report adds cells up without caring where
//! they came from, and the rollup job stores exactly what the report would have read.

use std::sync::LazyLock;

use super::presence;
use crate::rollup::{DaysStatement, Rollups, day_of, sum_block};

use sqlx::{Row, postgres::PgRow};

/// The measures of a cell, in column order, and whether each is a float sum.
pub const MEASURES: [(&str, bool); 15] = [
    ("chats_accepted", false),
    ("chats_missed", false),
    ("no_reply", false),
    ("frt_sum", true),
    ("frt_n", false),
    ("dur_sum", true),
    ("dur_n", false),
    ("pos", false),
    ("neg", false),
    ("calls_answered", false),
    ("calls_missed", false),
    ("transferred", false),
    ("rejected", false),
    ("offline", false),
    ("bans", false),
];

/// One (site, agent) cell. `agent_id` is NULL for activity no agent took (a missed chat).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub site_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub chats_accepted: i64,
    pub chats_missed: i64,
    pub no_reply: i64,
    pub frt_sum: f64,
    pub frt_n: i64,
    pub dur_sum: f64,
    pub dur_n: i64,
    pub pos: i64,
    pub neg: i64,
    pub calls_answered: i64,
    pub calls_missed: i64,
    pub transferred: i64,
    pub rejected: i64,
    pub offline: i64,
    pub bans: i64,
}

/// Columns are read by position (site, agent, then [`MEASURES`] in order), which every
/// query here yields; that spares a lookup by name per column and row on 100,000-row reads.
impl<'r> sqlx::FromRow<'r, PgRow> for Cell {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Cell {
            site_id: row.try_get(0)?,
            agent_id: row.try_get(1)?,
            chats_accepted: row.try_get(2)?,
            chats_missed: row.try_get(3)?,
            no_reply: row.try_get(4)?,
            frt_sum: row.try_get(5)?,
            frt_n: row.try_get(6)?,
            dur_sum: row.try_get(7)?,
            dur_n: row.try_get(8)?,
            pos: row.try_get(9)?,
            neg: row.try_get(10)?,
            calls_answered: row.try_get(11)?,
            calls_missed: row.try_get(12)?,
            transferred: row.try_get(13)?,
            rejected: row.try_get(14)?,
            offline: row.try_get(15)?,
            bans: row.try_get(16)?,
        })
    }
}

/// A source table: how to find a row's site, agent and instant, and the measures it gives.
struct Source {
    from: &'static str,
    site: &'static str,
    agent: &'static str,
    at: &'static str,
    measures: Vec<(&'static str, String)>,
}

fn measures(list: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    list.iter().map(|(m, e)| (*m, (*e).to_owned())).collect()
}

const EVENTS_SOURCE: usize = 2;

static SOURCES: LazyLock<[Source; 5]> = LazyLock::new(|| {
    let accepted = "accepted_at IS NOT NULL";
    let frt_ok = format!("{accepted} AND first_agent_msg_at >= first_client_msg_at");
    let dur_ok = format!("{accepted} AND last_msg_at IS NOT NULL");
    [
        Source {
            from: "chats",
            site: "site_id",
            agent: "accepted_by",
            at: "started_at",
            measures: measures(&[
                (
                    "chats_accepted",
                    &format!("count(*) FILTER (WHERE {accepted})"),
                ),
                ("chats_missed", "count(*) FILTER (WHERE missed)"),
                (
                    "no_reply",
                    &format!("count(*) FILTER (WHERE {accepted} AND first_agent_msg_at IS NULL)"),
                ),
                (
                    "frt_sum",
                    &format!(
                        "coalesce(sum(date_part('epoch', first_agent_msg_at - first_client_msg_at)) FILTER (WHERE {frt_ok}), 0)::float8"
                    ),
                ),
                ("frt_n", &format!("count(*) FILTER (WHERE {frt_ok})")),
                (
                    "dur_sum",
                    &format!(
                        "coalesce(sum(date_part('epoch', last_msg_at - accepted_at)) FILTER (WHERE {dur_ok}), 0)::float8"
                    ),
                ),
                ("dur_n", &format!("count(*) FILTER (WHERE {dur_ok})")),
                ("pos", "count(*) FILTER (WHERE rating = 1)"),
                ("neg", "count(*) FILTER (WHERE rating = -1)"),
            ]),
        },
        Source {
            from: "calls",
            site: "site_id",
            agent: "agent_id",
            at: "started_at",
            measures: measures(&[
                (
                    "calls_answered",
                    "count(*) FILTER (WHERE answered_at IS NOT NULL)",
                ),
                (
                    "calls_missed",
                    "count(*) FILTER (WHERE answered_at IS NULL)",
                ),
            ]),
        },
        // `site_id` is copied onto an event when it is written; one written before its chat
        // has none, and its site is looked up.
        Source {
            from: "chat_events e",
            site: "coalesce(e.site_id, (SELECT c.site_id FROM chats c WHERE c.id = e.chat_id AND c.account_id = e.account_id))",
            agent: "e.agent_id",
            at: "e.at",
            measures: measures(&[
                (
                    "transferred",
                    "count(*) FILTER (WHERE e.kind = 'transferred')",
                ),
                ("rejected", "count(*) FILTER (WHERE e.kind = 'rejected')"),
            ]),
        },
        Source {
            from: "offline_messages",
            site: "site_id",
            agent: "agent_id",
            at: "created_at",
            measures: measures(&[("offline", "count(*)")]),
        },
        Source {
            from: "bans",
            site: "site_id",
            agent: "agent_id",
            at: "created_at",
            measures: measures(&[("bans", "count(*)")]),
        },
    ]
});

/// Which chat events a query counts. Events with a known site are rolled up; those whose
/// site is unknown never are, and the report reads them from the source every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Events {
    All,
    Sited,
    Unsited,
}

/// A source table's cells over `[$2, $3)`; with `by_day`, per local day first (a span's
/// days, [`day_of`]).
fn select(s: &Source, events: Events, by_day: bool) -> String {
    let measures: Vec<String> = MEASURES
        .iter()
        .map(
            |(name, float)| match s.measures.iter().find(|(m, _)| m == name) {
                Some((_, expr)) => format!("{expr} AS {name}"),
                None if *float => format!("0::float8 AS {name}"),
                None => format!("0::int8 AS {name}"),
            },
        )
        .collect();
    let filter = match (s.from.starts_with("chat_events"), events) {
        (true, Events::Sited) => " AND e.site_id IS NOT NULL",
        (true, Events::Unsited) => " AND e.site_id IS NULL",
        _ => "",
    };
    let (day, keys) = if by_day {
        (format!("{} AS day, ", day_of(s.at)), "1, 2, 3")
    } else {
        (String::new(), "1, 2")
    };
    format!(
        "SELECT {day}{site} AS site_id, {agent} AS agent_id, {measures}
           FROM {from}
          WHERE account_id = $1 AND {at} >= $2 AND {at} < $3{filter}
          GROUP BY {keys}",
        site = s.site,
        agent = s.agent,
        measures = measures.join(", "),
        from = s.from,
        at = s.at,
    )
}

/// One query per source table, each yielding [`Cell`]s for account `$1` over `[$2, $3)`.
pub static SOURCE_QUERIES: LazyLock<Vec<String>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|s| select(s, Events::All, false))
        .collect()
});

/// Every source table's cells of account `$1` over `[$2, $3)` summed, one per (site,
/// agent), in the order of the sites `$4`, then any other site: a report takes them a site
/// at a time, over one connection.
pub static READ_SOURCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT site_id, agent_id, {sums} FROM ({parts}) u
          GROUP BY site_id, agent_id
          ORDER BY array_position($4::int8[], site_id), site_id, agent_id",
        sums = sums(""),
        parts = SOURCE_QUERIES.join(" UNION ALL "),
    )
});

/// Chat events of account `$1` over `[$2, $3)` whose site is unknown, as [`Cell`]s.
pub static UNSITED_EVENTS: LazyLock<String> =
    LazyLock::new(|| select(&SOURCES[EVENTS_SOURCE], Events::Unsited, false));

fn sums(prefix: &str) -> String {
    MEASURES
        .iter()
        .map(|(m, float)| {
            let ty = if *float { "float8" } else { "int8" };
            format!("{prefix}sum({m})::{ty} AS {m}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn columns() -> String {
    MEASURES
        .iter()
        .map(|(m, _)| *m)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where cells go.
static CELLS_TARGET: LazyLock<String> = LazyLock::new(|| {
    format!(
        "rollup_cells (series_id, level, block, site_id, agent_id, {})",
        columns()
    )
});

/// A span's cells, per local day (binds as [`DaysStatement`]): each source table's own,
/// so that a day may hold a (site, agent) more than once. Every read of cells sums them,
/// and a large account's day has about one chat per (site, agent): summing the sources
/// again here took as long as reading them.
static BUILD_DAYS: LazyLock<String> = LazyLock::new(|| {
    let parts: Vec<String> = SOURCES
        .iter()
        .map(|s| select(s, Events::Sited, true))
        .collect();
    format!("SELECT $4, 0, u.* FROM ({}) u", parts.join(" UNION ALL "))
});

/// Builds a block from the blocks under it (binds as [`Rollups::block`]).
static BUILD_BLOCK: LazyLock<String> = LazyLock::new(|| {
    let of = |float: bool| -> Vec<&str> {
        MEASURES
            .iter()
            .filter(|m| m.1 == float)
            .map(|m| m.0)
            .collect()
    };
    sum_block(
        "rollup_cells",
        &["site_id", "agent_id"],
        &of(false),
        &of(true),
    )
});

fn read_blocks(sites: &str) -> String {
    format!(
        "SELECT site_id, agent_id, {sums}
           FROM rollup_cells c
           JOIN unnest($2::int2[], $3::int4[]) AS b (level, block)
             ON c.level = b.level AND c.block = b.block
          WHERE c.series_id = $1 AND {sites}
          GROUP BY site_id, agent_id",
        sums = sums("")
    )
}

/// The cells of series `$1` summed over the blocks `unnest($2 levels, $3 blocks)`, for the
/// sites `$4`.
pub static READ_BLOCKS_SITES: LazyLock<String> =
    LazyLock::new(|| read_blocks("c.site_id = ANY($4)"));

/// [`READ_BLOCKS_SITES`] for every site but `$4` (and for no site).
pub static READ_BLOCKS_OTHER_SITES: LazyLock<String> =
    LazyLock::new(|| read_blocks("(c.site_id IS NULL OR c.site_id <> ALL($4))"));

/// The global report's rollups: its cells and its agents' presence.
pub static ROLLUPS: Rollups = Rollups {
    tables: &["rollup_cells", "rollup_presence"],
    days: &[
        DaysStatement {
            target: || CELLS_TARGET.as_str(),
            query: || BUILD_DAYS.as_str(),
        },
        DaysStatement {
            target: || presence::TARGET,
            query: || presence::BUILD_DAYS.as_str(),
        },
    ],
    block: &[|| BUILD_BLOCK.as_str(), || presence::BUILD_BLOCK.as_str()],
    days_only: &[],
};
