//! Análisis de pasos (seed 000): how often each step of the bot flows was entered, its
//! share, and how long it lasted on average, overall and per bot. A step entered twice in
//! one session counts twice. Rows of `steps` belong to the range by `entered_at`, and to a
//! bot through their chat. Closed days are read from rollups where valid ones exist
//! ([`rollup`]).

pub mod rollup;

use std::collections::{BTreeMap, HashMap};

use exportd_core::{domain::Locale, kinds::ReportKind};
use futures::future::BoxFuture;

use super::{Job, Report, bots};
use crate::render::{Cell, Row, Section};

pub struct Steps;

struct Labels {
    sheets: [&'static str; 2],
    headers: [&'static str; 4],
    bot: &'static str,
}

const ES: Labels = Labels {
    sheets: ["Pasos", "Pasos por bot"],
    headers: ["Paso", "Veces", "Porcentaje", "Duración"],
    bot: "Bot",
};
const EN: Labels = Labels {
    sheets: ["Steps", "Steps by bot"],
    headers: ["Step", "Times", "Percentage", "Duration"],
    bot: "Bot",
};
const PT: Labels = Labels {
    sheets: ["Passos", "Passos por bot"],
    headers: ["Passo", "Vezes", "Porcentagem", "Duração"],
    bot: "Bot",
};

fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}

/// One step's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub step: String,
    pub times: i64,
    pub avg_secs: Option<f64>,
}

/// Steps in the sheet's order (times descending, then name), with their share of the
/// rows given.
fn ordered(mut rows: Vec<StepRow>) -> Vec<(StepRow, f64)> {
    rows.sort_by(|a, b| b.times.cmp(&a.times).then_with(|| a.step.cmp(&b.step)));
    let all: i64 = rows.iter().map(|r| r.times).sum();
    rows.into_iter()
        .map(|r| {
            let share = if all > 0 {
                r.times as f64 / all as f64
            } else {
                0.0
            };
            (r, share)
        })
        .collect()
}

/// The overall rows (every chat, with a site or not) and each site's.
fn step_rows(cells: &rollup::StepCells) -> (Vec<StepRow>, HashMap<i64, Vec<StepRow>>) {
    let mut overall: BTreeMap<&str, rollup::StepCell> = BTreeMap::new();
    let mut per_bot: HashMap<i64, Vec<StepRow>> = HashMap::new();
    let row = |step: &str, c: &rollup::StepCell| StepRow {
        step: step.to_owned(),
        times: c.times,
        avg_secs: c.avg_secs(),
    };
    for ((site, step), c) in cells {
        overall.entry(step).or_default().add(*c);
        if let Some(site) = site {
            per_bot.entry(*site).or_default().push(row(step, c));
        }
    }
    let overall = overall.iter().map(|(step, c)| row(step, c)).collect();
    (overall, per_bot)
}

fn cells(r: &StepRow, share: f64) -> Vec<Cell> {
    vec![
        Cell::text(&r.step),
        Cell::Int(r.times),
        Cell::Percent(share),
        Cell::duration(r.avg_secs),
    ]
}

impl Report for Steps {
    fn rollups(&self) -> Option<&'static crate::rollup::Rollups> {
        Some(&rollup::ROLLUPS)
    }

    fn kind(&self) -> ReportKind {
        ReportKind::Steps
    }

    fn option_label(
        &self,
        option: exportd_core::kinds::OptionName,
        locale: Locale,
    ) -> &'static str {
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
            let (read, _) = rollup::read(
                &db,
                rollups,
                meta.account.id,
                &meta.range,
                meta.options.sites.as_deref(),
            )
            .await?;
            progress(0.5);
            let (overall, mut per_bot) = step_rows(&read);
            let bots = bots(
                &pool,
                meta.account.id,
                per_bot.keys().copied(),
                meta.options.sites.as_deref(),
            )
            .await?;
            let l = labels(meta.account.locale);
            let first = Section::new(
                "steps",
                l.sheets[0],
                &l.headers,
                ordered(overall)
                    .iter()
                    .map(|(r, share)| Row::data(cells(r, *share)))
                    .collect(),
            );
            let mut by_bot = Vec::new();
            for bot in &bots {
                for (r, share) in ordered(per_bot.remove(&bot.id).unwrap_or_default()) {
                    let mut c = vec![Cell::text(&bot.name)];
                    c.extend(cells(&r, share));
                    by_bot.push(Row::data(c));
                }
            }
            let headers: Vec<&str> = std::iter::once(l.bot).chain(l.headers).collect();
            let second = Section::new("steps_by_bot", l.sheets[1], &headers, by_bot);
            let sections = vec![(first, vec![]), (second, vec![])];
            super::write_built(&pool, meta, sink, progress, self, sections).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_ordered_by_times_then_name_with_their_share() {
        let r = |step: &str, times| StepRow {
            step: step.into(),
            times,
            avg_secs: None,
        };
        let got = ordered(vec![r("b", 1), r("c", 2), r("a", 1)]);
        let names: Vec<&str> = got.iter().map(|(r, _)| r.step.as_str()).collect();
        assert_eq!(names, ["c", "a", "b"]);
        assert!((got[0].1 - 0.5).abs() < 1e-12);
        assert!((got[1].1 - 0.25).abs() < 1e-12);
    }
}
