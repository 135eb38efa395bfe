//! Comparing two global reports: how tests and the benchmark prove that the report read
//! through rollups is the report read from the source alone.

use std::sync::Arc;

use super::model::{Agent, AgentMetrics, GlobalReport};

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
