//! Análisis por agentes (seed 000): per agent with a session in the range, the sessions
//! taken, busy time (the union of the chats' `[accepted_at, end)`, so overlapping chats
//! count once), its average per session, and the messages sent with their share, with a
//! native pie chart of messages by agent. Closed days are read from rollups where valid
//! ones exist ([`rollup`]).

mod busy;
pub mod rollup;

use std::collections::HashMap;

use exportd_core::{
    domain::Locale,
    kinds::{OptionName, ReportKind},
};
use futures::future::BoxFuture;

use super::{Job, Report, user_names};
use crate::render::{Cell, ChartKind, ChartSpec, Row, Section, labels::common};

pub struct AgentsActivity;

struct Labels {
    sheet: &'static str,
    headers: [&'static str; 6],
}

const ES: Labels = Labels {
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

impl Report for AgentsActivity {
    fn rollups(&self) -> Option<&'static crate::rollup::Rollups> {
        Some(&rollup::ROLLUPS)
    }

    fn kind(&self) -> ReportKind {
        ReportKind::AgentsActivity
    }

    fn option_label(&self, option: OptionName, locale: Locale) -> &'static str {
        super::bot_option_label(option, locale)
    }

    fn write(&self, job: Job) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let Job {
                db,
                rollups,
                meta,
                sink,
                progress,
                ..
            } = job;
            let pool = db.source.clone();
            let read = rollup::read(
                &db,
                rollups,
                meta.account.id,
                &meta.range,
                meta.options.sites.as_deref(),
                meta.options.agents.as_deref(),
            );
            let ((activity, _), names) =
                tokio::try_join!(read, user_names(&pool, meta.account.id))?;
            progress(0.5);
            let section = section(activity, &names, meta.account.locale);
            let chart = ChartSpec::new(
                ChartKind::Pie,
                labels(meta.account.locale).headers[4],
                (0, 0),
                vec![4],
            );
            let sections = vec![(section, vec![chart])];
            super::write_built(&pool, meta, sink, progress, self, sections).await
        })
    }
}

/// The table: agents by name, then the Total row. Shares are of the messages of the agents
/// shown, so they add up to 100 %.
fn section(activity: rollup::Activities, names: &HashMap<i64, String>, locale: Locale) -> Section {
    let l = labels(locale);
    let mut agents: Vec<(String, i64, i64, f64, i64)> = activity
        .into_iter()
        .map(|(id, a)| {
            let name = names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
            (name, id, a.sessions, a.busy_secs(), a.messages)
        })
        .collect();
    agents.sort_by(|a, b| {
        a.0.to_lowercase()
            .cmp(&b.0.to_lowercase())
            .then(a.1.cmp(&b.1))
    });
    let all_msgs: i64 = agents.iter().map(|a| a.4).sum();
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
        .map(|(name, _, n, busy, msgs)| {
            sessions += n;
            busy_secs += busy;
            Row::data(vec![
                Cell::text(name),
                Cell::Int(*n),
                Cell::Duration(*busy),
                avg(*busy, *n),
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
