//! Análisis de pasos (seed 000): how often each step of the bot flows was entered, its
//! share, and how long it lasted on average, overall and per bot. A step entered twice in
//! one session counts twice. Rows of `steps` belong to the range by `entered_at`, and to a
//! bot through their chat.

use std::collections::HashMap;

use exportd_core::{domain::Locale, kinds::ReportKind};
use futures::future::BoxFuture;

use super::{Job, Report, bots};
use crate::render::{Cell, Row, Section};

pub struct Steps;

struct Labels {
    title: &'static str,
    sheets: [&'static str; 2],
    headers: [&'static str; 4],
    bot: &'static str,
}

const ES: Labels = Labels {
    title: "Análisis de pasos",
    sheets: ["Pasos", "Pasos por bot"],
    headers: ["Paso", "Veces", "Porcentaje", "Duración"],
    bot: "Bot",
};
const EN: Labels = Labels {
    title: "Step analysis",
    sheets: ["Steps", "Steps by bot"],
    headers: ["Step", "Times", "Percentage", "Duration"],
    bot: "Bot",
};
const PT: Labels = Labels {
    title: "Análise de passos",
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

/// Per step, overall (site NULL) and per site: times entered, average seconds between
/// entering and leaving over the rows that left (`$1` account, `[$2, $3)`, `$4` sites).
const SQL: &str = "SELECT ch.site_id, st.step, count(*),
       (avg(extract(epoch FROM st.left_at - st.entered_at)) FILTER (WHERE st.left_at IS NOT NULL))::float8,
       grouping(ch.site_id) = 1
  FROM steps st JOIN chats ch ON ch.id = st.chat_id AND ch.account_id = $1
 WHERE st.account_id = $1 AND st.entered_at >= $2 AND st.entered_at < $3
   AND ($4::int8[] IS NULL OR ch.site_id = ANY($4))
 GROUP BY GROUPING SETS ((st.step), (ch.site_id, st.step))";

/// Site (NULL on the overall rows), step, times, average seconds, is-overall.
type Read = (Option<i64>, String, i64, Option<f64>, bool);

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

fn cells(r: &StepRow, share: f64) -> Vec<Cell> {
    vec![
        Cell::text(&r.step),
        Cell::Int(r.times),
        Cell::Percent(share),
        Cell::duration(r.avg_secs),
    ]
}

impl Report for Steps {
    fn kind(&self) -> ReportKind {
        ReportKind::Steps
    }

    fn title(&self, locale: Locale) -> &'static str {
        labels(locale).title
    }

    fn file_stem(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Es => "analisis-de-pasos",
            Locale::En => "step-analysis",
            Locale::Pt => "analise-de-passos",
        }
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
                pool,
                meta,
                sink,
                progress,
                ..
            } = job;
            let (from, to) = meta.range.utc_bounds();
            let rows: Vec<Read> = sqlx::query_as(SQL)
                .bind(meta.account.id)
                .bind(from)
                .bind(to)
                .bind(meta.options.sites.as_deref())
                .fetch_all(&pool)
                .await?;
            progress(0.5);
            let mut overall = Vec::new();
            let mut per_bot: HashMap<i64, Vec<StepRow>> = HashMap::new();
            for (site, step, times, avg_secs, is_overall) in rows {
                let r = StepRow {
                    step,
                    times,
                    avg_secs,
                };
                match (is_overall, site) {
                    (true, _) => overall.push(r),
                    (false, Some(site)) => per_bot.entry(site).or_default().push(r),
                    (false, None) => {}
                }
            }
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
