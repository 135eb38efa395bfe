//! Reading the global report. The range is read as (site, agent) cells
//! ([`cells`](super::cells)): from rollup blocks for closed days where valid ones exist
//! ([`rollup`]), a few sites per query ([`read`]), and otherwise from the source tables, a
//! site at a time in the report's order ([`source`]). The three sections are rolled up from
//! those cells in memory ([`sum`]). Everything is scoped by `account_id` and by the range's
//! UTC bounds.

mod read;
mod source;
mod sum;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use exportd_core::domain::DateRange;

use futures::StreamExt;

use super::{
    cells::Cell,
    model::{AgentMetrics, GlobalReport, Piece, Site, SiteMetrics},
};
use crate::{
    reports::Reads,
    rollup::{self, Cover},
};
use read::{Blocks, block_reads, read_start};
use sum::{agents_section, strays, sum_site};

/// Runs the report's queries for the range and rolls up its three sections. With
/// `rollups`, closed days are read from the rollups wherever valid ones exist.
pub async fn build(
    db: &Reads,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    rollups: bool,
) -> Result<GlobalReport, sqlx::Error> {
    Ok(build_with_cover(db, account_id, range, now, rollups)
        .await?
        .0)
}

/// [`build`], also returning how the range was read.
pub async fn build_with_cover(
    db: &Reads,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    rollups: bool,
) -> Result<(GlobalReport, Cover), sqlx::Error> {
    let mut blocks = Vec::new();
    let (mut report, cover) = build_streaming(db, account_id, range, now, rollups, &mut |p| {
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
    db: &Reads,
    account_id: i64,
    range: &DateRange,
    now: DateTime<Utc>,
    rollups: bool,
    emit: &mut (dyn FnMut(Piece) + Send),
) -> Result<(GlobalReport, Cover), sqlx::Error> {
    let t0 = std::time::Instant::now();
    let (series, cover) = rollup::plan_range(&db.primary, rollups, account_id, range).await?;
    let blocks: Blocks = series.filter(|_| !cover.blocks.is_empty()).map(|series| {
        let (levels, blocks) = cover.block_keys();
        (series, levels, blocks)
    });
    let mut start = read_start(db, account_id, range, now, &cover, &blocks).await?;
    // At most a row per (site, agent): the source's cells are known only site by site.
    let rows_hint = start.source_by_site.values().map(Vec::len).sum::<usize>()
        + if blocks.is_some() || !start.raw.is_empty() {
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
    let mut reads = block_reads(&db.primary, &groups, &start.sites, &blocks);

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
            // The source's cells of sites the account no longer has.
            for c in start.raw.rest().await? {
                start.source_by_site.entry(c.site_id).or_default().push(c);
            }
            strays(&per_site, &start)
        } else {
            group.clone()
        };
        for site in sites {
            let mine = per_site.remove(&site.id).unwrap_or_default();
            let mut source = start.source_by_site.remove(&site.id).unwrap_or_default();
            if start.known.contains(&site.id) {
                source.append(&mut start.raw.take(site.id).await?);
            }
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
