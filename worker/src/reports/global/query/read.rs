//! The global report's reads from Postgres: what every site needs before the first
//! per-site block, then the rollup cells of a few sites per query. Each aggregate runs in a
//! transaction of its own, all scoped by `account_id` and by the range's UTC bounds.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use exportd_core::domain::DateRange;
use futures::StreamExt;
use sqlx::{AssertSqlSafe, PgPool};

use super::{
    super::{
        cells::{self, Cell},
        model::{Agents, Site},
        presence,
    },
    source::SourceCells,
};
use crate::{
    reports::Reads,
    rollup::{self, Cover},
};

/// The parameters of a report query.
enum Params {
    /// Account `$1` over `[$2, $3)`.
    Span(i64, DateTime<Utc>, DateTime<Utc>),
    /// Account `$1` over `[$2, $3)`, now being `$4`.
    SpanAt(i64, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
    /// Series `$1`, blocks `unnest($2 levels, $3 blocks)`.
    Blocks(i32, Vec<i16>, Vec<i32>),
    /// [`Params::Blocks`], sites `$4`.
    BlockSites(i32, Vec<i16>, Vec<i32>, Vec<i64>),
}

/// Runs one aggregate in a transaction of its own, with room to hash in memory.
async fn aggregate<T>(pool: &PgPool, sql: &str, params: Params) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let t0 = std::time::Instant::now();
    let mut tx = crate::reports::roomy_transaction(pool).await?;
    let q = sqlx::query_as::<_, T>(AssertSqlSafe(sql));
    let q = match params {
        Params::Span(a, from, to) => q.bind(a).bind(from).bind(to),
        Params::SpanAt(a, from, to, now) => q.bind(a).bind(from).bind(to).bind(now),
        Params::Blocks(series, levels, blocks) => q.bind(series).bind(levels).bind(blocks),
        Params::BlockSites(series, levels, blocks, sites) => {
            q.bind(series).bind(levels).bind(blocks).bind(sites)
        }
    };
    let rows = q.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    tracing::debug!(
        query = sql.split_whitespace().take(8).collect::<Vec<_>>().join(" "),
        ms = t0.elapsed().as_millis() as u64,
        rows = rows.len(),
        "report query done"
    );
    Ok(rows)
}

/// The rollup blocks a report reads: series, levels, blocks.
pub(super) type Blocks = Option<(i32, Vec<i16>, Vec<i32>)>;

/// What every site needs, read before the first per-site block: the source for days no
/// rollup covers, chat events whose site is unknown, presence, and the names.
pub(super) struct Start {
    pub(super) presence: HashMap<i64, (f64, f64)>,
    pub(super) agents: Agents,
    pub(super) sites: Vec<Site>,
    pub(super) known: HashSet<Option<i64>>,
    /// Cells from the source by site, but those of [`Start::raw`]: every table's of the
    /// shorter runs of days, and unsited chat events of rolled days. Once every site took
    /// its own, what `raw` has left joins them.
    pub(super) source_by_site: HashMap<Option<i64>, Vec<Cell>>,
    /// The cells of the longest run of days no rollup covers, taken a site at a time.
    pub(super) raw: SourceCells,
}

/// Reads, all at once, what every site needs before the first per-site block.
pub(super) async fn read_start(
    db: &Reads,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    cover: &Cover,
    blocks: &Blocks,
) -> Result<Start, sqlx::Error> {
    let bounds = |&(a, b): &(i32, i32)| rollup::days_bounds(a, b, range.tz);
    let sites = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, name, channel FROM sites WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&db.source)
    .await?;
    let mut sites: Vec<Site> = sites
        .into_iter()
        .map(|(id, name, channel)| Site {
            id: Some(id),
            name,
            channel,
        })
        .collect();
    sites.sort_by_cached_key(|s| (s.name.to_lowercase(), s.id));
    let order: Vec<i64> = sites.iter().filter_map(|s| s.id).collect();
    // The longest run of days from the source is taken a site at a time; any other (days
    // marked for a rebuild, days still open) is short, and read whole, table by table.
    let longest = (0..cover.raw.len()).max_by_key(|&i| cover.raw[i].1 - cover.raw[i].0);
    let mut cell_reads = Vec::new();
    let mut presence_reads = Vec::new();
    for (i, (from, to)) in cover.raw.iter().map(bounds).enumerate() {
        if Some(i) != longest {
            for sql in cells::SOURCE_QUERIES.iter() {
                cell_reads.push(aggregate::<Cell>(
                    &db.source,
                    sql,
                    Params::Span(account_id, from, to),
                ));
            }
        }
        presence_reads.push(aggregate::<(i64, f64, f64)>(
            &db.source,
            &presence::READ,
            Params::SpanAt(account_id, from, to, now),
        ));
    }
    for (from, to) in cover.rolled.iter().map(bounds) {
        cell_reads.push(aggregate::<Cell>(
            &db.source,
            &cells::UNSITED_EVENTS,
            Params::Span(account_id, from, to),
        ));
    }
    if let Some((series, levels, blocks)) = blocks {
        presence_reads.push(aggregate::<(i64, f64, f64)>(
            &db.primary,
            presence::READ_BLOCKS,
            Params::Blocks(*series, levels.clone(), blocks.clone()),
        ));
    }
    let users = sqlx::query_as::<_, (i64, Option<String>, Option<String>, String)>(
        "SELECT id, name, email, role FROM users WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&db.source);
    let (cell_sets, presence_sets, users) = tokio::try_join!(
        futures::future::try_join_all(cell_reads),
        futures::future::try_join_all(presence_reads),
        users
    )?;
    // Started once those reads are done: it keeps its connection until the report has
    // taken every site, and a report that waited for more meanwhile could starve a pool
    // that every job's reader held.
    let raw = SourceCells::start(
        &db.source,
        account_id,
        longest.map(|i| bounds(&cover.raw[i])),
        &order,
    );

    let mut presence: HashMap<i64, (f64, f64)> = HashMap::new();
    for &(agent, on, away) in presence_sets.iter().flatten() {
        let p = presence.entry(agent).or_default();
        p.0 += on;
        p.1 += away;
    }
    let known = sites.iter().map(|s| s.id).collect();
    let mut source_by_site: HashMap<Option<i64>, Vec<Cell>> = HashMap::new();
    for c in cell_sets.into_iter().flatten() {
        source_by_site.entry(c.site_id).or_default().push(c);
    }
    Ok(Start {
        presence,
        agents: Agents::new(users),
        sites,
        known,
        source_by_site,
        raw,
    })
}

/// One read of rollup cells per group of sites, in order, two in flight; the empty group
/// reads the sites the account no longer has.
pub(super) fn block_reads<'a>(
    pool: &'a PgPool,
    groups: &[Vec<Site>],
    sites: &[Site],
    blocks: &Blocks,
) -> impl futures::Stream<Item = Result<Vec<Cell>, sqlx::Error>> + 'a {
    let known_ids: Vec<i64> = sites.iter().filter_map(|s| s.id).collect();
    let reads: Vec<_> = groups
        .iter()
        .map(|group| {
            let (ids, sql) = if group.is_empty() {
                (known_ids.clone(), cells::READ_BLOCKS_OTHER_SITES.as_str())
            } else {
                (
                    group.iter().filter_map(|s| s.id).collect::<Vec<i64>>(),
                    cells::READ_BLOCKS_SITES.as_str(),
                )
            };
            let blocks = blocks.clone();
            async move {
                match blocks {
                    Some((series, levels, blocks)) => {
                        aggregate::<Cell>(
                            pool,
                            sql,
                            Params::BlockSites(series, levels, blocks, ids),
                        )
                        .await
                    }
                    None => Ok(Vec::new()),
                }
            }
        })
        .collect();
    futures::stream::iter(reads).buffered(2)
}
