//! What the global report is made of: the metrics of a site and of an agent (sums and
//! counts, so totals average correctly), the sections, and the pieces the builder hands the
//! renderer while it reads.

use std::{collections::HashMap, sync::Arc};

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
    pub(super) fn add(&mut self, o: &SiteMetrics) {
        self.chats_accepted += o.chats_accepted;
        self.calls_accepted += o.calls_accepted;
        self.chats_missed += o.chats_missed;
        self.calls_missed += o.calls_missed;
        self.accepted_no_reply += o.accepted_no_reply;
        self.offline_messages += o.offline_messages;
    }
}

impl AgentMetrics {
    pub(super) fn add(&mut self, o: &AgentMetrics) {
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

    pub(super) fn has_site_activity(&self) -> bool {
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

/// What the report builder hands the renderer, in this order: the names (for column
/// widths), each per-site block as soon as it is known, then the rest of the report.
#[derive(Debug)]
pub enum Piece {
    Start {
        site_names: Vec<String>,
        agent_names: Vec<String>,
        /// Rows the per-site section will have at most, for progress.
        rows_hint: usize,
    },
    Block(SiteBlock),
    Head(GlobalReport),
}

/// The account's users by id, as the report names and orders them.
pub(super) struct Agents {
    users: HashMap<i64, (Arc<Agent>, bool)>,
}

impl Agents {
    pub(super) fn new(users: Vec<(i64, Option<String>, Option<String>, String)>) -> Self {
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

    pub(super) fn len(&self) -> usize {
        self.users.len()
    }

    /// A user of the account, or one known only by id.
    pub(super) fn get(&mut self, id: i64) -> Arc<Agent> {
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

    pub(super) fn key(&self, a: &Agent) -> (String, i64) {
        (a.name.to_lowercase(), a.id)
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.users.values().map(|(a, _)| a.name.clone()).collect()
    }

    pub(super) fn agent_ids(&self) -> Vec<i64> {
        self.users
            .iter()
            .filter(|(_, (_, is_agent))| *is_agent)
            .map(|(&id, _)| id)
            .collect()
    }
}
