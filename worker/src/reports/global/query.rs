//! Reading the global report. The range is read as (site, agent) cells ([`cells`]): from rollup blocks for closed days
//! where valid ones exist ([`rollup`]), and otherwise with one hash aggregate per source
//! table, all run concurrently on the pool. The three sections are rolled up from those
//! cells in memory. Everything is scoped by `account_id` and by the range's UTC bounds.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use exportd_core::domain::DateRange;
use sqlx::{AssertSqlSafe, PgPool};

use futures::StreamExt;

use super::{
    cells::{self, Cell},
    model::{Agent, AgentMetrics, Agents, GlobalReport, Piece, Site, SiteBlock, SiteMetrics},
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

/// Runs the report's queries for the range and rolls up its three sections. With
/// `rollups`, closed days are read from the rollups wherever valid ones exist.
pub async fn build(
    pool: &PgPool,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    rollups: bool,
) -> Result<GlobalReport, sqlx::Error> {
    Ok(build_with_cover(pool, account_id, range, now, rollups)
        .await?
        .0)
}

/// [`build`], also returning how the range was read.
pub async fn build_with_cover(
    pool: &PgPool,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    rollups: bool,
) -> Result<(GlobalReport, Cover), sqlx::Error> {
    let mut blocks = Vec::new();
    let (mut report, cover) = build_streaming(pool, account_id, range, now, rollups, &mut |p| {
        if let Piece::Block(b) = p {
            blocks.push(b)
        }
    })
    .await?;
    report.per_site = blocks;
    Ok((report, cover))
}

/// Known sites per query of rollup cells: the per-site section is written while the next
/// sites are summed.
const SITES_PER_READ: usize = 12;

/// The rollup blocks a report reads: series, levels, blocks.
type Blocks = Option<(i32, Vec<i16>, Vec<i32>)>;

/// What every site needs, read before the first per-site block: the source for days no
/// rollup covers, chat events whose site is unknown, presence, and the names.
struct Start {
    presence: HashMap<i64, (f64, f64)>,
    agents: Agents,
    sites: Vec<Site>,
    known: HashSet<Option<i64>>,
    source_by_site: HashMap<Option<i64>, Vec<Cell>>,
}

/// Builds the report and hands it out as it is known ([`Piece::Start`], then each per-site
/// block in order), so the renderer can write the per-site section while Postgres still
/// sums the next sites. Returns the rest of the report (without the per-site blocks, which
/// went to `emit`), for the caller to hand over as [`Piece::Head`].
pub async fn build_streaming(
    pool: &PgPool,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    rollups: bool,
    emit: &mut (dyn FnMut(Piece) + Send),
) -> Result<(GlobalReport, Cover), sqlx::Error> {
    let t0 = std::time::Instant::now();
    let (series, cover) = rollup::plan_range(pool, rollups, account_id, range).await?;
    let blocks: Blocks = series.filter(|_| !cover.blocks.is_empty()).map(|series| {
        let (levels, blocks): (Vec<i16>, Vec<i32>) = cover.blocks.iter().copied().unzip();
        (series, levels, blocks)
    });
    let mut start = read_start(pool, account_id, range, now, &cover, &blocks).await?;
    let rows_hint = start.source_by_site.values().map(Vec::len).sum::<usize>()
        + if blocks.is_some() {
            start.sites.len() * start.agents.len()
        } else {
            0
        };
    emit(Piece::Start {
        site_names: start.sites.iter().map(|s| s.name.clone()).collect(),
        agent_names: start.agents.names(),
        rows_hint,
    });

    // The rollup cells, a few known sites per query in the report's order, then those of
    // sites the account no longer has; two queries in flight while blocks are written.
    let mut groups: Vec<Vec<Site>> = start
        .sites
        .chunks(SITES_PER_READ)
        .map(<[Site]>::to_vec)
        .collect();
    groups.push(Vec::new()); // the sites the account no longer has
    let mut reads = block_reads(pool, &groups, &start.sites, &blocks);

    let mut by_site = Vec::with_capacity(start.sites.len());
    let mut site_total = SiteMetrics::default();
    let mut agent_metrics: BTreeMap<i64, AgentMetrics> = BTreeMap::new();
    let mut n_blocks = 0;
    let t1 = std::time::Instant::now();
    for group in &groups {
        let rolled = reads.next().await.expect("one read per group")?;
        let mut per_site: HashMap<Option<i64>, Vec<Cell>> = HashMap::new();
        for c in rolled {
            per_site.entry(c.site_id).or_default().push(c);
        }
        let sites = if group.is_empty() {
            strays(&per_site, &start)
        } else {
            group.clone()
        };
        for site in sites {
            let mine = per_site.remove(&site.id).unwrap_or_default();
            let source = start.source_by_site.remove(&site.id).unwrap_or_default();
            let (site_m, block) =
                sum_site(site.clone(), &mine, &source, &mut start, &mut agent_metrics);
            site_total.add(&site_m);
            if start.known.contains(&site.id) || site_m != SiteMetrics::default() {
                by_site.push((site, site_m));
            }
            if let Some(block) = block {
                n_blocks += 1;
                emit(Piece::Block(block));
            }
        }
    }
    let (by_agent, agent_total) = agents_section(&mut start, agent_metrics);
    tracing::debug!(
        blocks = cover.blocks.len(),
        raw_days = cover.raw_days(),
        site_blocks = n_blocks,
        first_ms = (t1 - t0).as_millis() as u64,
        total_ms = t0.elapsed().as_millis() as u64,
        "global report built"
    );
    let report = GlobalReport {
        by_site,
        site_total,
        by_agent,
        agent_total,
        per_site: Vec::new(),
    };
    Ok((report, cover))
}

/// Reads, all at once, what every site needs before the first per-site block.
async fn read_start(
    pool: &PgPool,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    cover: &Cover,
    blocks: &Blocks,
) -> Result<Start, sqlx::Error> {
    let bounds = |&(a, b): &(i32, i32)| rollup::days_bounds(a, b, range.tz);
    let mut cell_reads = Vec::new();
    let mut presence_reads = Vec::new();
    for (from, to) in cover.raw.iter().map(bounds) {
        for (_, sql) in cells::SOURCE_QUERIES.iter() {
            cell_reads.push(aggregate::<Cell>(
                pool,
                sql,
                Params::Span(account_id, from, to),
            ));
        }
        presence_reads.push(aggregate::<(i64, f64, f64)>(
            pool,
            cells::PRESENCE,
            Params::SpanAt(account_id, from, to, now),
        ));
    }
    for (from, to) in cover.rolled.iter().map(bounds) {
        cell_reads.push(aggregate::<Cell>(
            pool,
            &cells::UNSITED_EVENTS,
            Params::Span(account_id, from, to),
        ));
    }
    if let Some((series, levels, blocks)) = blocks {
        presence_reads.push(aggregate::<(i64, f64, f64)>(
            pool,
            cells::READ_BLOCKS_PRESENCE,
            Params::Blocks(*series, levels.clone(), blocks.clone()),
        ));
    }
    let sites = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, name, channel FROM sites WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(pool);
    let users = sqlx::query_as::<_, (i64, Option<String>, Option<String>, String)>(
        "SELECT id, name, email, role FROM users WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(pool);
    let (source_sets, presence_sets, sites, users) = tokio::try_join!(
        futures::future::try_join_all(cell_reads),
        futures::future::try_join_all(presence_reads),
        sites,
        users
    )?;

    let mut presence: HashMap<i64, (f64, f64)> = HashMap::new();
    for &(agent, on, away) in presence_sets.iter().flatten() {
        let p = presence.entry(agent).or_default();
        p.0 += on;
        p.1 += away;
    }
    let mut sites: Vec<Site> = sites
        .into_iter()
        .map(|(id, name, channel)| Site {
            id: Some(id),
            name,
            channel,
        })
        .collect();
    sites.sort_by_cached_key(|s| (s.name.to_lowercase(), s.id));
    let known = sites.iter().map(|s| s.id).collect();
    let mut source_by_site: HashMap<Option<i64>, Vec<Cell>> = HashMap::new();
    for c in source_sets.into_iter().flatten() {
        source_by_site.entry(c.site_id).or_default().push(c);
    }
    Ok(Start {
        presence,
        agents: Agents::new(users),
        sites,
        known,
        source_by_site,
    })
}

/// One read of rollup cells per group of sites, in order, two in flight; the empty group
/// reads the sites the account no longer has.
fn block_reads<'a>(
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

/// Activity on sites the account does not have (deleted, or never written).
fn strays(per_site: &HashMap<Option<i64>, Vec<Cell>>, start: &Start) -> Vec<Site> {
    let mut strays: Vec<Option<i64>> = per_site
        .keys()
        .chain(start.source_by_site.keys())
        .filter(|s| !start.known.contains(s))
        .copied()
        .collect();
    strays.sort();
    strays.dedup();
    strays
        .into_iter()
        .map(|id| Site {
            id,
            name: id.map_or_else(|| "—".to_owned(), |i| format!("#{i}")),
            channel: String::new(),
        })
        .collect()
}

/// Sums one site's cells (rolled up and from the source): its by-site row, its per-site
/// block (`None` without agent activity), and each agent's share added to `agent_metrics`.
fn sum_site(
    site: Site,
    rolled: &[Cell],
    source: &[Cell],
    start: &mut Start,
    agent_metrics: &mut BTreeMap<i64, AgentMetrics>,
) -> (SiteMetrics, Option<SiteBlock>) {
    let mut site_m = SiteMetrics::default();
    let mut cells: HashMap<i64, AgentMetrics> = HashMap::new();
    for c in rolled.iter().chain(source) {
        site_m.add(&SiteMetrics {
            chats_accepted: c.chats_accepted,
            calls_accepted: c.calls_answered,
            chats_missed: c.chats_missed,
            calls_missed: c.calls_missed,
            accepted_no_reply: c.no_reply,
            offline_messages: c.offline,
        });
        if let Some(agent) = c.agent_id {
            cells.entry(agent).or_default().add(&AgentMetrics {
                chats_accepted: c.chats_accepted,
                calls_accepted: c.calls_answered,
                transferred: c.transferred,
                rejected: c.rejected,
                accepted_no_reply: c.no_reply,
                offline_messages: c.offline,
                online_secs: 0.0,
                away_secs: 0.0,
                first_response_sum: c.frt_sum,
                first_response_n: c.frt_n,
                duration_sum: c.dur_sum,
                duration_n: c.dur_n,
                ratings_positive: c.pos,
                ratings_negative: c.neg,
                bans: c.bans,
            });
        }
    }
    for (&agent, m) in &cells {
        agent_metrics.entry(agent).or_default().add(m);
    }
    let mut rows: Vec<(Arc<Agent>, AgentMetrics)> = cells
        .into_iter()
        .filter(|(_, m)| m.has_site_activity())
        .map(|(id, mut m)| {
            // Online and away time are account-wide: each per-site row repeats them.
            if let Some(&(on, away)) = start.presence.get(&id) {
                m.online_secs = on;
                m.away_secs = away;
            }
            (start.agents.get(id), m)
        })
        .collect();
    rows.sort_by_cached_key(|(a, _)| start.agents.key(a));
    if rows.is_empty() {
        return (site_m, None);
    }
    let mut total = AgentMetrics::default();
    rows.iter().for_each(|(_, m)| total.add(m));
    let block = SiteBlock {
        site,
        agents: rows,
        total,
    };
    (site_m, Some(block))
}

/// The by-agent section: every agent of the account, plus any other user with activity.
fn agents_section(
    start: &mut Start,
    mut agent_metrics: BTreeMap<i64, AgentMetrics>,
) -> (Vec<(Arc<Agent>, AgentMetrics)>, AgentMetrics) {
    for (&agent, &(on, away)) in &start.presence {
        let a = agent_metrics.entry(agent).or_default();
        a.online_secs = on;
        a.away_secs = away;
    }
    for id in start.agents.agent_ids() {
        agent_metrics.entry(id).or_default();
    }
    let agents = &mut start.agents;
    let mut by_agent: Vec<(Arc<Agent>, AgentMetrics)> = agent_metrics
        .iter()
        .map(|(&id, m)| (agents.get(id), *m))
        .collect();
    by_agent.sort_by_cached_key(|(a, _)| agents.key(a));
    let mut agent_total = AgentMetrics::default();
    by_agent.iter().for_each(|(_, m)| agent_total.add(m));
    (by_agent, agent_total)
}
