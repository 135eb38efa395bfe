//! The global report (seed 004): by site, by agent, and per site by agent.
//!
//! One hash aggregate per source table, grouped by (site, agent), run concurrently on the
//! pool; the three sections are rolled up from those cells in memory. Everything is scoped
//! by `account_id` and by the range's UTC bounds.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::PgPool;

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
    pub agents: Vec<(Agent, AgentMetrics)>,
    pub total: AgentMetrics,
}

/// The whole global report.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalReport {
    pub by_site: Vec<(Site, SiteMetrics)>,
    pub site_total: SiteMetrics,
    pub by_agent: Vec<(Agent, AgentMetrics)>,
    pub agent_total: AgentMetrics,
    pub per_site: Vec<SiteBlock>,
}

type Key = (Option<i64>, Option<i64>);

const CHATS: &str = "
SELECT site_id, accepted_by,
       count(*) FILTER (WHERE accepted_at IS NOT NULL) AS accepted,
       count(*) FILTER (WHERE missed) AS missed,
       count(*) FILTER (WHERE accepted_at IS NOT NULL AND first_agent_msg_at IS NULL) AS no_reply,
       coalesce(sum(date_part('epoch', first_agent_msg_at - first_client_msg_at))
                FILTER (WHERE accepted_at IS NOT NULL AND first_agent_msg_at >= first_client_msg_at), 0)::float8 AS frt_sum,
       count(*) FILTER (WHERE accepted_at IS NOT NULL AND first_agent_msg_at >= first_client_msg_at) AS frt_n,
       coalesce(sum(date_part('epoch', last_msg_at - accepted_at))
                FILTER (WHERE accepted_at IS NOT NULL AND last_msg_at IS NOT NULL), 0)::float8 AS dur_sum,
       count(*) FILTER (WHERE accepted_at IS NOT NULL AND last_msg_at IS NOT NULL) AS dur_n,
       count(*) FILTER (WHERE rating = 1) AS pos,
       count(*) FILTER (WHERE rating = -1) AS neg
  FROM chats
 WHERE account_id = $1 AND started_at >= $2 AND started_at < $3
 GROUP BY site_id, accepted_by";

const CALLS: &str = "
SELECT site_id, agent_id,
       count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
       count(*) FILTER (WHERE answered_at IS NULL) AS missed
  FROM calls
 WHERE account_id = $1 AND started_at >= $2 AND started_at < $3
 GROUP BY site_id, agent_id";

// `site_id` is copied onto events when they are written; one written before its chat has
// none, and its site is looked up.
const EVENTS: &str = "
SELECT coalesce(e.site_id, (SELECT c.site_id FROM chats c WHERE c.id = e.chat_id AND c.account_id = e.account_id)) AS site,
       e.agent_id,
       count(*) FILTER (WHERE e.kind = 'transferred') AS transferred,
       count(*) FILTER (WHERE e.kind = 'rejected') AS rejected
  FROM chat_events e
 WHERE e.account_id = $1 AND e.at >= $2 AND e.at < $3
 GROUP BY 1, 2";

const OFFLINE: &str = "
SELECT site_id, agent_id, count(*)
  FROM offline_messages
 WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
 GROUP BY site_id, agent_id";

const BANS: &str = "
SELECT site_id, agent_id, count(*)
  FROM bans
 WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
 GROUP BY site_id, agent_id";

// Presence intervals overlapping the range, clipped to it; an interval still open ends now.
const PRESENCE: &str = "
SELECT agent_id,
       coalesce(sum(GREATEST(0, date_part('epoch', LEAST(coalesce(ended_at, $4), $3) - GREATEST(started_at, $2))))
                FILTER (WHERE status = 'online'), 0)::float8 AS online,
       coalesce(sum(GREATEST(0, date_part('epoch', LEAST(coalesce(ended_at, $4), $3) - GREATEST(started_at, $2))))
                FILTER (WHERE status = 'away'), 0)::float8 AS away
  FROM agent_presence
 WHERE account_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)
 GROUP BY agent_id";

/// Memory each report aggregate may hash in. At Postgres's default (4 MB) the (site,
/// agent) aggregate of a large account spills to disk and takes about 20% longer.
const WORK_MEM: &str = "64MB";

/// Runs one aggregate in a transaction of its own, with room to hash in memory.
async fn aggregate<T>(
    pool: &PgPool,
    sql: &'static str,
    account_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: Option<DateTime<Utc>>,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('work_mem', $1, true)")
        .bind(WORK_MEM)
        .execute(&mut *tx)
        .await?;
    let mut q = sqlx::query_as::<_, T>(sql)
        .bind(account_id)
        .bind(from)
        .bind(to);
    if let Some(now) = now {
        q = q.bind(now);
    }
    let rows = q.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows)
}

async fn timed<T>(
    name: &'static str,
    t0: std::time::Instant,
    f: impl std::future::Future<Output = T>,
) -> T {
    let r = f.await;
    tracing::debug!(
        query = name,
        ms = t0.elapsed().as_millis() as u64,
        "report query done"
    );
    r
}

/// Runs the report's queries for `[from, to)` and rolls up its three sections.
pub async fn build(
    pool: &PgPool,
    account_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<GlobalReport, sqlx::Error> {
    type ChatRow = (
        Option<i64>,
        Option<i64>,
        i64,
        i64,
        i64,
        f64,
        i64,
        f64,
        i64,
        i64,
        i64,
    );
    type Pair = (Option<i64>, Option<i64>, i64, i64);
    type Count = (Option<i64>, Option<i64>, i64);
    let chats = aggregate::<ChatRow>(pool, CHATS, account_id, from, to, None);
    let calls = aggregate::<Pair>(pool, CALLS, account_id, from, to, None);
    let events = aggregate::<Pair>(pool, EVENTS, account_id, from, to, None);
    let offline = aggregate::<Count>(pool, OFFLINE, account_id, from, to, None);
    let bans = aggregate::<Count>(pool, BANS, account_id, from, to, None);
    let presence = aggregate::<(i64, f64, f64)>(pool, PRESENCE, account_id, from, to, Some(now));
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
    let t0 = std::time::Instant::now();
    let (chats, calls, events, offline, bans, presence, sites, users) = tokio::try_join!(
        timed("chats", t0, chats),
        timed("calls", t0, calls),
        timed("events", t0, events),
        timed("offline", t0, offline),
        timed("bans", t0, bans),
        timed("presence", t0, presence),
        sites,
        users
    )?;
    let t1 = std::time::Instant::now();

    let mut site_cells: HashMap<Option<i64>, SiteMetrics> = HashMap::new();
    let mut cells: HashMap<Key, AgentMetrics> = HashMap::new();
    for (site, agent, accepted, missed, no_reply, frt_sum, frt_n, dur_sum, dur_n, pos, neg) in chats
    {
        let s = site_cells.entry(site).or_default();
        s.chats_accepted += accepted;
        s.chats_missed += missed;
        s.accepted_no_reply += no_reply;
        if agent.is_some() {
            let a = cells.entry((site, agent)).or_default();
            a.chats_accepted += accepted;
            a.accepted_no_reply += no_reply;
            a.first_response_sum += frt_sum;
            a.first_response_n += frt_n;
            a.duration_sum += dur_sum;
            a.duration_n += dur_n;
            a.ratings_positive += pos;
            a.ratings_negative += neg;
        }
    }
    for (site, agent, answered, missed) in calls {
        let s = site_cells.entry(site).or_default();
        s.calls_accepted += answered;
        s.calls_missed += missed;
        if agent.is_some() {
            cells.entry((site, agent)).or_default().calls_accepted += answered;
        }
    }
    for (site, agent, transferred, rejected) in events {
        if agent.is_some() {
            let a = cells.entry((site, agent)).or_default();
            a.transferred += transferred;
            a.rejected += rejected;
        }
    }
    for (site, agent, n) in offline {
        site_cells.entry(site).or_default().offline_messages += n;
        if agent.is_some() {
            cells.entry((site, agent)).or_default().offline_messages += n;
        }
    }
    for (site, agent, n) in bans {
        if agent.is_some() {
            cells.entry((site, agent)).or_default().bans += n;
        }
    }
    let presence: HashMap<i64, (f64, f64)> = presence
        .into_iter()
        .map(|(a, on, away)| (a, (on, away)))
        .collect();

    // Sites: every site of the account, plus a row for activity whose site is unknown.
    let mut site_list: Vec<Site> = sites
        .into_iter()
        .map(|(id, name, channel)| Site {
            id: Some(id),
            name,
            channel,
        })
        .collect();
    site_list.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    let known_sites: Vec<Option<i64>> = site_list.iter().map(|s| s.id).collect();
    let mut strays: Vec<Option<i64>> = site_cells
        .keys()
        .chain(cells.keys().map(|(s, _)| s))
        .filter(|s| !known_sites.contains(s))
        .copied()
        .collect();
    strays.sort();
    strays.dedup();
    site_list.extend(strays.into_iter().map(|id| Site {
        id,
        name: id.map_or_else(|| "—".to_owned(), |i| format!("#{i}")),
        channel: String::new(),
    }));

    // Agents: every agent of the account, plus any other user with activity.
    let mut agent_metrics: BTreeMap<i64, AgentMetrics> = BTreeMap::new();
    for ((_, agent), m) in &cells {
        agent_metrics
            .entry(agent.expect("cells have agents"))
            .or_default()
            .add(m);
    }
    for (&agent, &(on, away)) in &presence {
        let a = agent_metrics.entry(agent).or_default();
        a.online_secs = on;
        a.away_secs = away;
    }
    let user_map: HashMap<i64, (String, String, String)> = users
        .into_iter()
        .map(|(id, name, email, role)| {
            (
                id,
                (name.unwrap_or_default(), email.unwrap_or_default(), role),
            )
        })
        .collect();
    for (&id, (_, _, role)) in &user_map {
        if role == "agent" {
            agent_metrics.entry(id).or_default();
        }
    }
    let agent_of = |id: i64| -> Agent {
        match user_map.get(&id) {
            Some((name, email, _)) => Agent {
                id,
                name: if name.is_empty() {
                    email.clone()
                } else {
                    name.clone()
                },
                email: email.clone(),
            },
            None => Agent {
                id,
                name: format!("#{id}"),
                email: String::new(),
            },
        }
    };
    let sort_agents = |v: &mut Vec<(Agent, AgentMetrics)>| {
        v.sort_by(|(a, _), (b, _)| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
    };

    let mut by_agent: Vec<(Agent, AgentMetrics)> = agent_metrics
        .iter()
        .map(|(&id, m)| (agent_of(id), *m))
        .collect();
    sort_agents(&mut by_agent);
    let mut agent_total = AgentMetrics::default();
    by_agent.iter().for_each(|(_, m)| agent_total.add(m));

    let mut by_site = Vec::with_capacity(site_list.len());
    let mut site_total = SiteMetrics::default();
    let mut per_site = Vec::with_capacity(site_list.len());
    for site in site_list {
        let m = site_cells.get(&site.id).copied().unwrap_or_default();
        site_total.add(&m);
        let mut agents: Vec<(Agent, AgentMetrics)> = cells
            .iter()
            .filter(|((s, _), m)| *s == site.id && m.has_site_activity())
            .map(|((_, a), m)| {
                let id = a.expect("cells have agents");
                let mut m = *m;
                // Online and away time are account-wide: each per-site row repeats them.
                if let Some(&(on, away)) = presence.get(&id) {
                    m.online_secs = on;
                    m.away_secs = away;
                }
                (agent_of(id), m)
            })
            .collect();
        sort_agents(&mut agents);
        let mut total = AgentMetrics::default();
        agents.iter().for_each(|(_, m)| total.add(m));
        if site.id.is_some() && known_sites.contains(&site.id) || m != SiteMetrics::default() {
            by_site.push((site.clone(), m));
        }
        if !agents.is_empty() {
            per_site.push(SiteBlock {
                site,
                agents,
                total,
            });
        }
    }
    tracing::debug!(
        queries_ms = (t1 - t0).as_millis() as u64,
        rollup_ms = t1.elapsed().as_millis() as u64,
        "global report built"
    );
    Ok(GlobalReport {
        by_site,
        site_total,
        by_agent,
        agent_total,
        per_site,
    })
}
