//! Análisis por agentes (seed 000): per agent with a session in the range, the sessions
//! taken, busy time (the union of the chats' `[accepted_at, end)`, so overlapping chats
//! count once), its average per session, and the messages sent with their share, with a
//! native pie chart of messages by agent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use exportd_core::{
    domain::Locale,
    kinds::{OptionName, ReportKind},
};
use futures::{TryStreamExt, future::BoxFuture};

use super::{Job, Report, user_names};
use crate::render::{Cell, ChartKind, ChartSpec, Row, Section, labels::common};

pub struct AgentsActivity;

struct Labels {
    title: &'static str,
    sheet: &'static str,
    headers: [&'static str; 6],
}

const ES: Labels = Labels {
    title: "Análisis por agentes",
    sheet: "Agentes",
    headers: [
        "Agente",
        "Sesiones",
        "Tiempo ocupado",
        "Tiempo ocupado promedio",
        "Mensajes",
        "% de mensajes",
    ],
};
const EN: Labels = Labels {
    title: "Agent activity",
    sheet: "Agents",
    headers: [
        "Agent",
        "Sessions",
        "Busy time",
        "Average busy time",
        "Messages",
        "% of messages",
    ],
};
const PT: Labels = Labels {
    title: "Análise por agentes",
    sheet: "Agentes",
    headers: [
        "Agente",
        "Sessões",
        "Tempo ocupado",
        "Tempo ocupado médio",
        "Mensagens",
        "% de mensagens",
    ],
};

fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}

/// The chats agents took (`$1` account, `[$2, $3)` by `started_at`, `$4` sites, `$5`
/// agents), each agent's in the order taken; the end is `closed_at`, or `last_msg_at`
/// while open.
const CHATS: &str = "SELECT accepted_by, accepted_at, coalesce(closed_at, last_msg_at)
  FROM chats
 WHERE account_id = $1 AND started_at >= $2 AND started_at < $3 AND accepted_by IS NOT NULL
   AND ($4::int8[] IS NULL OR site_id = ANY($4))
   AND ($5::int8[] IS NULL OR accepted_by = ANY($5))
 ORDER BY accepted_by, accepted_at";

/// Agents' messages sent in the range, per agent; with `sites`, only in those sites' chats.
const MESSAGES: &str = "SELECT m.agent_id, count(*)
  FROM messages m
 WHERE m.account_id = $1 AND m.sender = 'agent' AND m.sent_at >= $2 AND m.sent_at < $3
   AND m.agent_id IS NOT NULL
   AND ($5::int8[] IS NULL OR m.agent_id = ANY($5))
   AND ($4::int8[] IS NULL OR EXISTS (
        SELECT 1 FROM chats ch WHERE ch.id = m.chat_id AND ch.account_id = $1 AND ch.site_id = ANY($4)))
 GROUP BY m.agent_id";

/// One agent's sessions and busy time, built from its chats in the order taken.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Busy {
    pub sessions: i64,
    pub busy_secs: f64,
    /// The interval being merged: start and end, in microseconds.
    open: Option<(i64, i64)>,
}

impl Busy {
    /// Adds a chat taken at `start` (not before the previous one's) and ending at `end`; a
    /// chat without both adds a session and no time.
    pub fn add(&mut self, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) {
        self.sessions += 1;
        let (Some(s), Some(e)) = (start, end) else {
            return;
        };
        let (s, e) = (s.timestamp_micros(), e.timestamp_micros());
        if e <= s {
            return;
        }
        match &mut self.open {
            Some((_, oe)) if s <= *oe => *oe = (*oe).max(e),
            open => {
                if let Some((os, oe)) = open.replace((s, e)) {
                    self.busy_secs += (oe - os) as f64 / 1e6;
                }
            }
        }
    }

    /// Closes the interval being merged.
    pub fn done(mut self) -> Busy {
        if let Some((s, e)) = self.open.take() {
            self.busy_secs += (e - s) as f64 / 1e6;
        }
        self
    }
}

impl Report for AgentsActivity {
    fn kind(&self) -> ReportKind {
        ReportKind::AgentsActivity
    }

    fn title(&self, locale: Locale) -> &'static str {
        labels(locale).title
    }

    fn file_stem(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Es => "analisis-por-agentes",
            Locale::En => "agent-activity",
            Locale::Pt => "analise-por-agentes",
        }
    }

    fn option_label(&self, option: OptionName, locale: Locale) -> &'static str {
        super::bot_option_label(option, locale)
    }

    fn write(&self, job: Job) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let Job {
                pool,
                meta,
                sink,
                progress,
                ..
            } = job;
            let (from, to) = meta.range.utc_bounds();
            let (sites, agents) = (
                meta.options.sites.as_deref(),
                meta.options.agents.as_deref(),
            );
            let busy = async {
                let mut rows =
                    sqlx::query_as::<_, (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>(CHATS)
                        .bind(meta.account.id)
                        .bind(from)
                        .bind(to)
                        .bind(sites)
                        .bind(agents)
                        .fetch(&pool);
                let mut per: Vec<(i64, Busy)> = Vec::new();
                while let Some((agent, start, end)) = rows.try_next().await? {
                    match per.last_mut() {
                        Some((a, b)) if *a == agent => b.add(start, end),
                        _ => {
                            let mut b = Busy::default();
                            b.add(start, end);
                            per.push((agent, b));
                        }
                    }
                }
                Ok::<_, sqlx::Error>(per)
            };
            let messages = sqlx::query_as::<_, (i64, i64)>(MESSAGES)
                .bind(meta.account.id)
                .bind(from)
                .bind(to)
                .bind(sites)
                .bind(agents)
                .fetch_all(&pool);
            let (busy, messages, names) =
                tokio::try_join!(busy, messages, user_names(&pool, meta.account.id))?;
            progress(0.5);
            let messages: HashMap<i64, i64> = messages.into_iter().collect();
            let section = section(
                busy.into_iter().map(|(a, b)| (a, b.done())).collect(),
                &messages,
                &names,
                meta.account.locale,
            );
            let chart = ChartSpec {
                kind: ChartKind::Pie,
                title: labels(meta.account.locale).headers[4].to_owned(),
                categories: (0, 0),
                values: vec![4],
                dates: false,
            };
            let sections = vec![(section, vec![chart])];
            super::write_built(&pool, meta, sink, progress, self, sections).await
        })
    }
}

/// The table: agents by name, then the Total row. Shares are of the messages of the agents
/// shown, so they add up to 100 %.
fn section(
    busy: Vec<(i64, Busy)>,
    messages: &HashMap<i64, i64>,
    names: &HashMap<i64, String>,
    locale: Locale,
) -> Section {
    let l = labels(locale);
    let mut agents: Vec<(String, i64, Busy, i64)> = busy
        .into_iter()
        .map(|(id, b)| {
            let name = names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
            (name, id, b, messages.get(&id).copied().unwrap_or(0))
        })
        .collect();
    agents.sort_by(|a, b| {
        a.0.to_lowercase()
            .cmp(&b.0.to_lowercase())
            .then(a.1.cmp(&b.1))
    });
    let all_msgs: i64 = agents.iter().map(|a| a.3).sum();
    let share = |n: i64| {
        Cell::Percent(if all_msgs > 0 {
            n as f64 / all_msgs as f64
        } else {
            0.0
        })
    };
    let avg = |busy: f64, n: i64| Cell::duration((n > 0).then(|| busy / n as f64));
    let (mut sessions, mut busy_secs) = (0, 0.0);
    let mut rows: Vec<Row> = agents
        .iter()
        .map(|(name, _, b, msgs)| {
            sessions += b.sessions;
            busy_secs += b.busy_secs;
            Row::data(vec![
                Cell::text(name),
                Cell::Int(b.sessions),
                Cell::Duration(b.busy_secs),
                avg(b.busy_secs, b.sessions),
                Cell::Int(*msgs),
                share(*msgs),
            ])
        })
        .collect();
    rows.push(Row::total(vec![
        Cell::text(common(locale).total),
        Cell::Int(sessions),
        Cell::Duration(busy_secs),
        avg(busy_secs, sessions),
        Cell::Int(all_msgs),
        share(all_msgs),
    ]));
    Section::new("agents", l.sheet, &l.headers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0)
    }

    #[test]
    fn overlapping_chats_count_once_and_gaps_do_not_count() {
        let mut b = Busy::default();
        b.add(at(0), at(100));
        b.add(at(50), at(150)); // overlaps: 0..150
        b.add(at(60), at(70)); // inside
        b.add(at(200), at(230)); // after a gap
        b.add(at(300), None); // no end: a session, no time
        let b = b.done();
        assert_eq!(b.sessions, 5);
        assert!((b.busy_secs - 180.0).abs() < 1e-9, "{}", b.busy_secs);
    }
}
