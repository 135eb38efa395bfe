//! Writes the global report through a [`Sink`]: the summary and the two small sections as
//! whole sections, the per-site section (one row per site and agent, a hundred thousand on
//! large accounts) streamed row by row.

use std::path::Path;

use super::{Cell, RenderError, Row, Section, SectionSpec, Sink, fitted_widths, labels};
use crate::report::{
    Meta,
    global::{AgentMetrics, GlobalReport, SiteMetrics},
};

fn site_cells(m: &SiteMetrics) -> [Cell; 6] {
    [
        Cell::Int(m.chats_accepted),
        Cell::Int(m.calls_accepted),
        Cell::Int(m.chats_missed),
        Cell::Int(m.calls_missed),
        Cell::Int(m.accepted_no_reply),
        Cell::Int(m.offline_messages),
    ]
}

fn agent_cells(m: &AgentMetrics) -> [Cell; 13] {
    [
        Cell::Int(m.chats_accepted),
        Cell::Int(m.calls_accepted),
        Cell::Int(m.transferred),
        Cell::Int(m.rejected),
        Cell::Int(m.accepted_no_reply),
        Cell::Int(m.offline_messages),
        Cell::Duration(m.online_secs),
        Cell::Duration(m.away_secs),
        m.avg_first_response().map_or(Cell::Empty, Cell::Num),
        m.avg_duration().map_or(Cell::Empty, Cell::Duration),
        Cell::Int(m.ratings_positive),
        Cell::Int(m.ratings_negative),
        Cell::Int(m.bans),
    ]
}

fn row(
    first: impl IntoIterator<Item = Cell>,
    rest: impl IntoIterator<Item = Cell>,
    total: bool,
) -> Row {
    Row {
        cells: first.into_iter().chain(rest).collect(),
        total,
    }
}

/// Writes the summary block, then the by-site, by-agent and per-site sections.
///
/// `progress` is told the share of rows written so far (0 to 1), after each section and
/// every 10,000 rows.
pub fn write(
    meta: &Meta,
    r: &GlobalReport,
    mut sink: Box<dyn Sink>,
    out: &Path,
    progress: &dyn Fn(f64),
) -> Result<(), RenderError> {
    let per_site_rows: usize = r.per_site.iter().map(|b| b.agents.len() + 1).sum();
    let total_rows = (r.by_site.len() + r.by_agent.len() + 2 + per_site_rows).max(1) as f64;
    let mut written = 0usize;
    let l = labels::global(meta.account.locale);
    let tz = meta.range.tz;
    let text = |s: &str| Cell::Text(s.to_owned());
    let summary = vec![
        (l.summary.to_owned(), l.report_name.to_owned()),
        (l.account.to_owned(), meta.account.name.clone()),
        (
            l.range.to_owned(),
            format!("{} – {}", meta.range.from, meta.range.to),
        ),
        (l.timezone.to_owned(), tz.name().to_owned()),
        (
            l.generated.to_owned(),
            meta.generated_at
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S %Z")
                .to_string(),
        ),
    ];
    sink.summary(l.summary, &summary)?;

    let headers = |first: &[&str], rest: &[&str]| {
        first
            .iter()
            .chain(rest)
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
    };
    let mut by_site: Vec<Row> = r
        .by_site
        .iter()
        .map(|(s, m)| row([text(&s.name)], site_cells(m), false))
        .collect();
    by_site.push(row([text(l.total)], site_cells(&r.site_total), true));
    let mut by_agent: Vec<Row> = r
        .by_agent
        .iter()
        .map(|(a, m)| row([text(&a.name)], agent_cells(m), false))
        .collect();
    by_agent.push(row([text(l.total)], agent_cells(&r.agent_total), true));
    let small = [
        Section {
            key: "by_site",
            title: l.by_site.to_owned(),
            headers: headers(&[l.site], &l.site_metrics),
            rows: by_site,
        },
        Section {
            key: "by_agent",
            title: l.by_agent.to_owned(),
            headers: headers(&[l.agent], &l.agent_metrics),
            rows: by_agent,
        },
    ];
    for section in &small {
        sink.begin(SectionSpec {
            key: section.key,
            title: section.title.clone(),
            headers: section.headers.clone(),
            widths: fitted_widths(section),
        })?;
        for row in &section.rows {
            sink.row(row)?;
        }
        written += section.rows.len();
        progress(written as f64 / total_rows);
    }

    // Widths from the names; numbers and durations fit in the headers' width.
    let longest =
        |names: &mut dyn Iterator<Item = &str>| names.map(|n| n.chars().count()).max().unwrap_or(0);
    let site_w =
        longest(&mut r.per_site.iter().map(|b| b.site.name.as_str())).max(l.site.chars().count());
    let agent_w = longest(
        &mut r
            .per_site
            .iter()
            .flat_map(|b| b.agents.iter().map(|(a, _)| a.name.as_str())),
    )
    .max(l.agent.chars().count())
    .max(l.total.chars().count());
    let widths = [site_w, agent_w]
        .into_iter()
        .chain(
            l.agent_metrics
                .iter()
                .map(|h| h.chars().count().min(24).max(10)),
        )
        .map(|n| (n.clamp(6, 60) + 2) as f64)
        .collect();
    sink.begin(SectionSpec {
        key: "per_site",
        title: l.per_site.to_owned(),
        headers: headers(&[l.site, l.agent], &l.agent_metrics),
        widths,
    })?;
    for block in &r.per_site {
        for (a, m) in &block.agents {
            sink.row(&row(
                [text(&block.site.name), text(&a.name)],
                agent_cells(m),
                false,
            ))?;
            written += 1;
            if written % 10_000 == 0 {
                progress(written as f64 / total_rows);
            }
        }
        sink.row(&row(
            [text(&block.site.name), text(l.total)],
            agent_cells(&block.total),
            true,
        ))?;
        written += 1;
    }
    progress(1.0);
    sink.finish(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::Utc;
    use exportd_core::domain::{DateRange, Locale, Plan};

    use super::*;
    use crate::{
        render::{RenderOptions, csv::CsvZipSink},
        report::{
            Account,
            global::{Agent, AgentMetrics, Site, SiteBlock},
        },
    };

    #[test]
    fn progress_moves_while_a_long_section_is_written_and_ends_at_one() {
        let site = Site {
            id: Some(1),
            name: "Web".into(),
            channel: "webchat".into(),
        };
        let agents: Vec<(std::sync::Arc<Agent>, AgentMetrics)> = (0..25_000)
            .map(|i| {
                (
                    std::sync::Arc::new(Agent {
                        id: i,
                        name: format!("Agent {i}"),
                        email: String::new(),
                    }),
                    AgentMetrics {
                        chats_accepted: 1,
                        ..Default::default()
                    },
                )
            })
            .collect();
        let report = GlobalReport {
            by_site: vec![],
            site_total: Default::default(),
            by_agent: vec![],
            agent_total: Default::default(),
            per_site: vec![SiteBlock {
                site,
                agents,
                total: Default::default(),
            }],
        };
        let tz = chrono_tz::UTC;
        let today = Utc::now().date_naive();
        let meta = Meta {
            account: Account {
                id: 1,
                name: "A".into(),
                plan: Plan::Pro,
                timezone: tz,
                locale: Locale::Es,
            },
            range: DateRange {
                from: today,
                to: today,
                tz,
            },
            generated_at: Utc::now(),
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.zip");
        let seen = Mutex::new(Vec::new());
        let sink = Box::new(CsvZipSink::create(&out, &RenderOptions::default()).unwrap());
        write(&meta, &report, sink, &out, &|share| {
            seen.lock().unwrap().push(share)
        })
        .unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(
            seen.windows(2).all(|w| w[0] <= w[1]),
            "never goes back: {seen:?}"
        );
        assert!(
            seen.iter().filter(|s| **s > 0.0 && **s < 1.0).count() >= 2,
            "moves during the long section: {seen:?}"
        );
        assert_eq!(seen.last(), Some(&1.0));
    }
}
