//! The global report's sections summed in memory from its (site, agent) cells: each
//! site's row and block, the agents' totals, and the sites the account no longer has.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use super::super::{
    cells::Cell,
    model::{Agent, AgentMetrics, Site, SiteBlock, SiteMetrics},
};
use super::read::Start;

/// Activity on sites the account does not have (deleted, or never written).
pub(super) fn strays(per_site: &HashMap<Option<i64>, Vec<Cell>>, start: &Start) -> Vec<Site> {
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
pub(super) fn sum_site(
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
pub(super) fn agents_section(
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
