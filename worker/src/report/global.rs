//! The global report (seed 004): by site, by agent, and per site by agent.
//!
//! The range is read as (site, agent) cells ([`cells`]): from rollup blocks for closed days
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

pub use crate::render::global::Piece;

use super::{
    cells::{self, Cell},
    rollup::{self, Cover},
};

/// The six by-site metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SiteMetrics {
    pub chats_accepted: i64,
    pub calls_accepted: i64,
    pub chats_missed: i64,
    pub calls_missed: i64,
    pub accepted_no_reply: i64,
    pub offline_messages: i64,
}

/// The thirteen by-agent metrics, kept as sums and counts so totals average correctly.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AgentMetrics {
    pub chats_accepted: i64,
    pub calls_accepted: i64,
    pub transferred: i64,
    pub rejected: i64,
    pub accepted_no_reply: i64,
    pub offline_messages: i64,
    pub online_secs: f64,
    pub away_secs: f64,
    pub first_response_sum: f64,
    pub first_response_n: i64,
    pub duration_sum: f64,
    pub duration_n: i64,
    pub ratings_positive: i64,
    pub ratings_negative: i64,
    pub bans: i64,
}

impl SiteMetrics {
    fn add(&mut self, o: &SiteMetrics) {
        self.chats_accepted += o.chats_accepted;
        self.calls_accepted += o.calls_accepted;
        self.chats_missed += o.chats_missed;
        self.calls_missed += o.calls_missed;
        self.accepted_no_reply += o.accepted_no_reply;
        self.offline_messages += o.offline_messages;
    }
}

impl AgentMetrics {
    fn add(&mut self, o: &AgentMetrics) {
        self.chats_accepted += o.chats_accepted;
        self.calls_accepted += o.calls_accepted;
        self.transferred += o.transferred;
        self.rejected += o.rejected;
        self.accepted_no_reply += o.accepted_no_reply;
        self.offline_messages += o.offline_messages;
        self.online_secs += o.online_secs;
        self.away_secs += o.away_secs;
        self.first_response_sum += o.first_response_sum;
        self.first_response_n += o.first_response_n;
        self.duration_sum += o.duration_sum;
        self.duration_n += o.duration_n;
        self.ratings_positive += o.ratings_positive;
        self.ratings_negative += o.ratings_negative;
        self.bans += o.bans;
    }

    /// Average first-response time in seconds, over accepted chats with both first messages.
    pub fn avg_first_response(&self) -> Option<f64> {
        (self.first_response_n > 0).then(|| self.first_response_sum / self.first_response_n as f64)
    }

    /// Average chat duration in seconds, from acceptance to the last message.
    pub fn avg_duration(&self) -> Option<f64> {
        (self.duration_n > 0).then(|| self.duration_sum / self.duration_n as f64)
    }

    fn has_site_activity(&self) -> bool {
        self.chats_accepted
            + self.calls_accepted
            + self.transferred
            + self.rejected
            + self.offline_messages
            + self.bans
            + self.ratings_positive
            + self.ratings_negative
            > 0
    }
}

/// A site of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: Option<i64>,
    pub name: String,
    pub channel: String,
}

/// A user of the account (agent or admin) who appears in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SiteBlock {
    pub site: Site,
    pub agents: Vec<(Arc<Agent>, AgentMetrics)>,
    pub total: AgentMetrics,
}

/// The whole global report.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalReport {
    pub by_site: Vec<(Site, SiteMetrics)>,
    pub site_total: SiteMetrics,
    pub by_agent: Vec<(Arc<Agent>, AgentMetrics)>,
    pub agent_total: AgentMetrics,
    pub per_site: Vec<SiteBlock>,
}

/// Memory each report aggregate may hash in. At Postgres's default (4 MB) the (site,
/// agent) aggregate of a large account spills to disk and takes about 20% longer.
const WORK_MEM: &str = "64MB";

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
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('work_mem', $1, true)")
        .bind(WORK_MEM)
        .execute(&mut *tx)
        .await?;
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
    let (first, end) = (
        rollup::day_number(range.from),
        rollup::day_number(range.to) + 1,
    );
    let (series, cover) = if rollups {
        rollup::plan(pool, account_id, range.tz, first, end).await?
    } else {
        (None, Cover::raw(first, end))
    };
    let bounds = |&(a, b): &(i32, i32)| rollup::days_bounds(a, b, range.tz);

    // What every site needs: the source for days no rollup covers, chat events whose site is
    // unknown, presence, and the names.
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
    let blocks = series.filter(|_| !cover.blocks.is_empty()).map(|series| {
        let (levels, blocks): (Vec<i16>, Vec<i32>) = cover.blocks.iter().copied().unzip();
        (series, levels, blocks)
    });
    if let Some((series, levels, blocks)) = &blocks {
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
    let mut agents = Agents::new(users);
    let mut site_list: Vec<Site> = sites
        .into_iter()
        .map(|(id, name, channel)| Site {
            id: Some(id),
            name,
            channel,
        })
        .collect();
    site_list.sort_by_cached_key(|s| (s.name.to_lowercase(), s.id));
    let known: HashSet<Option<i64>> = site_list.iter().map(|s| s.id).collect();
    let mut source_by_site: HashMap<Option<i64>, Vec<Cell>> = HashMap::new();
    for c in source_sets.into_iter().flatten() {
        source_by_site.entry(c.site_id).or_default().push(c);
    }
    let rows_hint = source_by_site.values().map(Vec::len).sum::<usize>()
        + if blocks.is_some() {
            site_list.len() * agents.len()
        } else {
            0
        };
    emit(Piece::Start {
        site_names: site_list.iter().map(|s| s.name.clone()).collect(),
        agent_names: agents.names(),
        rows_hint,
    });

    // The rollup cells, a few known sites per query in the report's order, then those of
    // sites the account no longer has; two queries in flight while blocks are written.
    let known_ids: Vec<i64> = site_list.iter().filter_map(|s| s.id).collect();
    let mut groups: Vec<Vec<Site>> = site_list
        .chunks(SITES_PER_READ)
        .map(<[Site]>::to_vec)
        .collect();
    groups.push(Vec::new()); // the sites the account no longer has
    let reads: Vec<_> = groups
        .iter()
        .map(|group| {
            if group.is_empty() {
                (known_ids.clone(), cells::READ_BLOCKS_OTHER_SITES.as_str())
            } else {
                (
                    group.iter().filter_map(|s| s.id).collect::<Vec<i64>>(),
                    cells::READ_BLOCKS_SITES.as_str(),
                )
            }
        })
        .collect();
    let reads: Vec<_> = reads
        .into_iter()
        .map(|(ids, sql)| {
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
    let mut reads = futures::stream::iter(reads).buffered(2);

    let mut by_site = Vec::with_capacity(site_list.len());
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
        let sites: Vec<Site> = if group.is_empty() {
            // Activity on sites the account does not have (deleted, or never written).
            let mut strays: Vec<Option<i64>> = per_site
                .keys()
                .chain(source_by_site.keys())
                .filter(|s| !known.contains(s))
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
        } else {
            group.clone()
        };
        for site in sites {
            let mut site_m = SiteMetrics::default();
            let mut cells: HashMap<i64, AgentMetrics> = HashMap::new();
            let mine = per_site.remove(&site.id).unwrap_or_default();
            let source = source_by_site.remove(&site.id).unwrap_or_default();
            for c in mine.iter().chain(&source) {
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
                    if let Some(&(on, away)) = presence.get(&id) {
                        m.online_secs = on;
                        m.away_secs = away;
                    }
                    (agents.get(id), m)
                })
                .collect();
            rows.sort_by_cached_key(|(a, _)| agents.key(a));
            site_total.add(&site_m);
            if known.contains(&site.id) || site_m != SiteMetrics::default() {
                by_site.push((site.clone(), site_m));
            }
            if !rows.is_empty() {
                let mut total = AgentMetrics::default();
                rows.iter().for_each(|(_, m)| total.add(m));
                n_blocks += 1;
                emit(Piece::Block(SiteBlock {
                    site,
                    agents: rows,
                    total,
                }));
            }
        }
    }

    // Agents: every agent of the account, plus any other user with activity.
    for (&agent, &(on, away)) in &presence {
        let a = agent_metrics.entry(agent).or_default();
        a.online_secs = on;
        a.away_secs = away;
    }
    for id in agents.agent_ids() {
        agent_metrics.entry(id).or_default();
    }
    let mut by_agent: Vec<(Arc<Agent>, AgentMetrics)> = agent_metrics
        .iter()
        .map(|(&id, m)| (agents.get(id), *m))
        .collect();
    by_agent.sort_by_cached_key(|(a, _)| agents.key(a));
    let mut agent_total = AgentMetrics::default();
    by_agent.iter().for_each(|(_, m)| agent_total.add(m));
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

/// The account's users by id, as the report names and orders them.
struct Agents {
    users: HashMap<i64, (Arc<Agent>, bool)>,
}

impl Agents {
    fn new(users: Vec<(i64, Option<String>, Option<String>, String)>) -> Self {
        let users = users
            .into_iter()
            .map(|(id, name, email, role)| {
                let (name, email) = (name.unwrap_or_default(), email.unwrap_or_default());
                let agent = Agent {
                    id,
                    name: if name.is_empty() { email.clone() } else { name },
                    email,
                };
                (id, (Arc::new(agent), role == "agent"))
            })
            .collect();
        Agents { users }
    }

    fn len(&self) -> usize {
        self.users.len()
    }

    /// A user of the account, or one known only by id.
    fn get(&mut self, id: i64) -> Arc<Agent> {
        self.users
            .entry(id)
            .or_insert_with(|| {
                let agent = Agent {
                    id,
                    name: format!("#{id}"),
                    email: String::new(),
                };
                (Arc::new(agent), false)
            })
            .0
            .clone()
    }

    fn key(&self, a: &Agent) -> (String, i64) {
        (a.name.to_lowercase(), a.id)
    }

    fn names(&self) -> Vec<String> {
        self.users.values().map(|(a, _)| a.name.clone()).collect()
    }

    fn agent_ids(&self) -> Vec<i64> {
        self.users
            .iter()
            .filter(|(_, (_, is_agent))| *is_agent)
            .map(|(&id, _)| id)
            .collect()
    }
}

/// Where two reports differ: counts must be equal; float sums may differ by rounding, since
/// rollups add them in another order. Empty when they are the same report.
pub fn differences(a: &GlobalReport, b: &GlobalReport) -> Vec<String> {
    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() <= 1e-6 + 1e-9 * x.abs().max(y.abs())
    }
    fn agent_diff(what: &str, x: &AgentMetrics, y: &AgentMetrics, out: &mut Vec<String>) {
        let floats_equal = close(x.online_secs, y.online_secs)
            && close(x.away_secs, y.away_secs)
            && close(x.first_response_sum, y.first_response_sum)
            && close(x.duration_sum, y.duration_sum);
        let counts = |m: &AgentMetrics| AgentMetrics {
            online_secs: 0.0,
            away_secs: 0.0,
            first_response_sum: 0.0,
            duration_sum: 0.0,
            ..*m
        };
        if !floats_equal || counts(x) != counts(y) {
            out.push(format!("{what}: {x:?} vs {y:?}"));
        }
    }
    let mut out = Vec::new();
    if a.by_site != b.by_site || a.site_total != b.site_total {
        out.push(format!(
            "by site: {:?} {:?} vs {:?} {:?}",
            a.by_site, a.site_total, b.by_site, b.site_total
        ));
    }
    let agents = |v: &[(Arc<Agent>, AgentMetrics)]| v.iter().map(|(a, _)| a.id).collect::<Vec<_>>();
    if agents(&a.by_agent) != agents(&b.by_agent) {
        out.push("by agent: not the same agents".into());
    }
    for ((agent, x), (_, y)) in a.by_agent.iter().zip(&b.by_agent) {
        agent_diff(&format!("agent {}", agent.id), x, y, &mut out);
    }
    agent_diff("agent total", &a.agent_total, &b.agent_total, &mut out);
    let sites = |r: &GlobalReport| r.per_site.iter().map(|s| s.site.id).collect::<Vec<_>>();
    if sites(a) != sites(b) {
        out.push("per site: not the same sites".into());
    }
    for (x, y) in a.per_site.iter().zip(&b.per_site) {
        if agents(&x.agents) != agents(&y.agents) {
            out.push(format!("site {:?}: not the same agents", x.site.id));
        }
        for ((agent, m), (_, n)) in x.agents.iter().zip(&y.agents) {
            agent_diff(
                &format!("site {:?} agent {}", x.site.id, agent.id),
                m,
                n,
                &mut out,
            );
        }
        agent_diff(
            &format!("site {:?} total", x.site.id),
            &x.total,
            &y.total,
            &mut out,
        );
    }
    out
}
