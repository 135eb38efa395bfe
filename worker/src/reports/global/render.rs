//! Writes the global report through a [`Sink`]: the summary and the two small sections as
//! whole sections, the per-site section (one row per site and agent, a hundred thousand on
//! large accounts) streamed row by row.

use super::{
    labels,
    model::{AgentMetrics, GlobalReport, Piece, SiteBlock, SiteMetrics},
};
use exportd_core::kinds::ReportKind;

use crate::{
    render::{Cell, RenderError, Row, Section, SectionSpec, Sink, write_section},
    reports::{Meta, write_summary},
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
    sink: Box<dyn Sink>,
    progress: &dyn Fn(f64),
) -> Result<(), RenderError> {
    let per_site_rows: usize = r.per_site.iter().map(|b| b.agents.len() + 1).sum();
    let mut w = Writer::new(
        meta,
        sink,
        progress,
        r.by_site.len() + r.by_agent.len() + 2 + per_site_rows,
    );
    w.summary()?;
    w.small(r)?;
    w.begin_per_site(
        &mut r.per_site.iter().map(|b| b.site.name.as_str()),
        &mut r
            .per_site
            .iter()
            .flat_map(|b| b.agents.iter().map(|(a, _)| a.name.as_str())),
    )?;
    for block in &r.per_site {
        w.site_block(block)?;
    }
    w.finish()
}

/// Writes the report while it is being built: per-site blocks are written as they arrive,
/// and the sink puts the sections in file order (xlsx orders its sheets when the workbook
/// is saved; the csv zip spools the per-site file until the others are in).
pub fn write_streaming(
    meta: &Meta,
    sink: Box<dyn Sink>,
    progress: &dyn Fn(f64),
    pieces: std::sync::mpsc::Receiver<Piece>,
) -> Result<(), RenderError> {
    let incomplete = || RenderError::Incomplete;
    let Ok(Piece::Start {
        site_names,
        agent_names,
        rows_hint,
    }) = pieces.recv()
    else {
        return Err(incomplete());
    };
    let mut w = Writer::new(meta, sink, progress, rows_hint.max(1));
    w.sink
        .order(&["summary", "by_site", "by_agent", "per_site"]);
    w.summary()?;
    w.begin_per_site(
        &mut site_names.iter().map(String::as_str),
        &mut agent_names.iter().map(String::as_str),
    )?;
    for piece in pieces {
        match piece {
            Piece::Block(b) => w.site_block(&b)?,
            Piece::Head(r) => {
                w.small(&r)?;
                return w.finish();
            }
            Piece::Start { .. } => return Err(incomplete()),
        }
    }
    Err(incomplete())
}

struct Writer<'a> {
    meta: &'a Meta,
    sink: Box<dyn Sink>,
    l: &'static labels::GlobalLabels,
    progress: &'a dyn Fn(f64),
    written: usize,
    expected: f64,
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn headers(first: &[&str], rest: &[&str]) -> Vec<String> {
    first.iter().chain(rest).map(|s| (*s).to_owned()).collect()
}

impl<'a> Writer<'a> {
    fn new(
        meta: &'a Meta,
        sink: Box<dyn Sink>,
        progress: &'a dyn Fn(f64),
        expected_rows: usize,
    ) -> Self {
        Writer {
            meta,
            sink,
            l: labels::global(meta.account.locale),
            progress,
            written: 0,
            expected: expected_rows.max(1) as f64,
        }
    }

    fn advance(&mut self, rows: usize) {
        let before = self.written / 10_000;
        self.written += rows;
        if self.written / 10_000 != before {
            (self.progress)((self.written as f64 / self.expected).min(1.0));
        }
    }

    fn summary(&mut self) -> Result<(), RenderError> {
        write_summary(
            &mut *self.sink,
            self.meta,
            ReportKind::Global.title(self.meta.account.locale),
            &[],
        )
    }

    /// The by-site and by-agent sections.
    fn small(&mut self, r: &GlobalReport) -> Result<(), RenderError> {
        let l = self.l;
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
            write_section(&mut *self.sink, section, &[])?;
            self.written += section.rows.len();
            (self.progress)((self.written as f64 / self.expected).min(1.0));
        }
        Ok(())
    }

    /// Opens the per-site section, with widths from the names it may hold; numbers and
    /// durations fit in the headers' width.
    fn begin_per_site(
        &mut self,
        sites: &mut dyn Iterator<Item = &str>,
        agents: &mut dyn Iterator<Item = &str>,
    ) -> Result<(), RenderError> {
        let l = self.l;
        let longest = |names: &mut dyn Iterator<Item = &str>| {
            names.map(|n| n.chars().count()).max().unwrap_or(0)
        };
        let site_w = longest(sites).max(l.site.chars().count());
        let agent_w = longest(agents)
            .max(l.agent.chars().count())
            .max(l.total.chars().count());
        let widths = [site_w, agent_w]
            .into_iter()
            .chain(
                l.agent_metrics
                    .iter()
                    .map(|h| h.chars().count().clamp(10, 24)),
            )
            .map(|n| (n.clamp(6, 60) + 2) as f64)
            .collect();
        self.sink.begin(SectionSpec {
            key: "per_site",
            title: l.per_site.to_owned(),
            headers: headers(&[l.site, l.agent], &l.agent_metrics),
            widths,
        })
    }

    fn site_block(&mut self, block: &SiteBlock) -> Result<(), RenderError> {
        for (a, m) in &block.agents {
            self.sink.row(&row(
                [text(&block.site.name), text(&a.name)],
                agent_cells(m),
                false,
            ))?;
            self.advance(1);
        }
        self.sink.row(&row(
            [text(&block.site.name), text(self.l.total)],
            agent_cells(&block.total),
            true,
        ))?;
        self.advance(1);
        Ok(())
    }

    fn finish(self) -> Result<(), RenderError> {
        (self.progress)(1.0);
        self.sink.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::Utc;
    use exportd_core::domain::{DateRange, Locale, Plan};

    use exportd_core::accounts::Account;

    use super::*;
    use crate::{
        render::{RenderOptions, csv::CsvZipSink},
        reports::global::model::{Agent, Site},
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
            options: Default::default(),
            feed: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.zip");
        let seen = Mutex::new(Vec::new());
        let sink = Box::new(CsvZipSink::create(
            Box::new(std::fs::File::create(&out).unwrap()),
            &RenderOptions::default(),
        ));
        write(&meta, &report, sink, &|share| {
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
