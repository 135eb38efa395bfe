//! Resultado de las campañas salientes (seed 000), row-level: one row per outbound message
//! created in the range, by `created_at` then id, then a sheet of counts per template and
//! state with a total. Rows stream. A feed run writes instead the (message, status) pairs
//! it took, by the instant of the change, with the state as taken, that instant, and
//! whether an earlier run of the feed exported the message with another state.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use exportd_core::{
    domain::Locale,
    kinds::{OptionName, OutboundStatus, ReportKind, ReportOptions},
};
use futures::{TryStreamExt, future::BoxFuture};

use super::{
    Job, Report,
    rows::{Step, Writer, contains_pattern},
    sessions_detail::{contact_cell, instant},
    state_word,
};
use crate::render::{Cell, Row, Section, SectionSpec, labels::common};

pub struct Campaigns;

struct Labels {
    sheets: [&'static str; 2],
    headers: [&'static str; 7],
    /// A feed's two more columns: the instant of the change, and whether the message was
    /// exported before with another state.
    feed: [&'static str; 2],
    template: &'static str,
    no_template: &'static str,
}

const ES: Labels = Labels {
    sheets: ["Envíos", "Por estado"],
    headers: [
        "Contacto",
        "Fecha",
        "Encolados",
        "Estado",
        "Mensaje",
        "Template",
        "Estado del canal",
    ],
    feed: ["Cambio de estado", "Ya exportado con otro estado"],
    template: "Template",
    no_template: "Sin template",
};
const EN: Labels = Labels {
    sheets: ["Sends", "By status"],
    headers: [
        "Contact",
        "Date",
        "Queued",
        "Status",
        "Message",
        "Template",
        "Channel status",
    ],
    feed: ["Status changed", "Exported before with another status"],
    template: "Template",
    no_template: "No template",
};
const PT: Labels = Labels {
    sheets: ["Envios", "Por status"],
    headers: [
        "Contato",
        "Data",
        "Na fila",
        "Status",
        "Mensagem",
        "Template",
        "Status do canal",
    ],
    feed: ["Mudança de status", "Já exportado com outro status"],
    template: "Template",
    no_template: "Sem template",
};

fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}

/// The messages a request selects (`$1` account, `[$2, $3)` by `created_at`, `$4` sites,
/// `$5` states, `$6` templates, `$7` queued, `$8` contact pattern), each with its state
/// (`st`) and the instant of its last change (`at`).
const FROM: &str = "FROM outbound_messages o
  CROSS JOIN LATERAL (SELECT o.status AS st, o.status_at AS at) f
  LEFT JOIN contacts ct ON ct.id = o.contact_id AND ct.account_id = $1
 WHERE o.account_id = $1 AND o.created_at >= $2 AND o.created_at < $3 {FILTERS}";
/// A feed run's: the (message, state) pairs it took (`$9`, its export), as taken.
const FEED_FROM: &str = "FROM feed_rows f0
  CROSS JOIN LATERAL (SELECT f0.version AS st, f0.at AS at) f
  JOIN outbound_messages o ON o.id = f0.row_id AND o.account_id = $1
  LEFT JOIN contacts ct ON ct.id = o.contact_id AND ct.account_id = $1
 WHERE f0.export_id = $9 {FILTERS}";
const FILTERS: &str = "AND ($4::int8[] IS NULL OR o.site_id = ANY($4))
   AND ($5::text[] IS NULL OR f.st = ANY($5))
   AND ($6::text[] IS NULL OR o.template = ANY($6))
   AND ($7::bool IS NULL OR o.queued = $7)
   AND ($8::text IS NULL OR ct.name ILIKE $8 OR ct.phone ILIKE $8)";

fn from_sql(feed: bool) -> String {
    if feed { FEED_FROM } else { FROM }.replace("{FILTERS}", FILTERS)
}

type Message = (
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    bool,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    bool,
);

fn filtered<'q, O>(
    sql: &'q str,
    account_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    o: &'q ReportOptions,
    feed: Option<i64>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let statuses: Option<Vec<&str>> = o
        .statuses
        .as_ref()
        .map(|v| v.iter().map(|s| s.as_str()).collect());
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(from)
        .bind(to)
        .bind(o.sites.clone())
        .bind(statuses)
        .bind(o.templates.clone())
        .bind(o.queued)
        .bind(o.contact.as_deref().map(contains_pattern))
        .bind(feed)
}

fn state(s: &str, locale: Locale) -> String {
    OutboundStatus::parse(s).map_or_else(|| s.to_owned(), |st| state_word(st, locale).to_owned())
}

/// "Por estado": a row per template (by name, none last), a column per state, a total.
fn by_state(counts: Vec<(Option<String>, String, i64)>, locale: Locale) -> Section {
    let l = labels(locale);
    let mut per: BTreeMap<(bool, String), [i64; 5]> = BTreeMap::new();
    let mut total = [0i64; 5];
    for (template, status, n) in counts {
        let Some(i) = OutboundStatus::parse(&status)
            .and_then(|s| OutboundStatus::ALL.iter().position(|x| *x == s))
        else {
            continue;
        };
        let key = (
            template.is_none(),
            template.unwrap_or_else(|| l.no_template.to_owned()),
        );
        per.entry(key).or_default()[i] += n;
        total[i] += n;
    }
    let cells = |first: &str, c: &[i64; 5]| {
        std::iter::once(Cell::text(first))
            .chain(c.iter().map(|&n| Cell::Int(n)))
            .collect()
    };
    let mut rows: Vec<Row> = per
        .iter()
        .map(|((_, t), c)| Row::data(cells(t, c)))
        .collect();
    rows.push(Row::total(cells(common(locale).total, &total)));
    let headers: Vec<&str> = std::iter::once(l.template)
        .chain(common(locale).states)
        .collect();
    Section::new("by_status", l.sheets[1], &headers, rows)
}

impl Report for Campaigns {
    fn kind(&self) -> ReportKind {
        ReportKind::Campaigns
    }

    fn option_label(&self, option: OptionName, locale: Locale) -> &'static str {
        super::bot_option_label(option, locale)
    }

    fn write(&self, job: Job) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let Job {
                db,
                meta,
                sink,
                progress,
                ..
            } = job;
            let pool = db.source.clone();
            let (account_id, tz, locale) = (meta.account.id, meta.range.tz, meta.account.locale);
            let range = meta.range.utc_bounds();
            let o = meta.options.clone();
            let feed = meta.feed.map(|f| f.export_id);
            let from = from_sql(feed.is_some());
            let counts_sql = format!("SELECT o.template, f.st, count(*) {from} GROUP BY 1, 2");
            let counts: Vec<(Option<String>, String, i64)> =
                filtered(&counts_sql, account_id, range, &o, feed)
                    .fetch_all(&pool)
                    .await?;
            let estimate: i64 = counts.iter().map(|c| c.2).sum();
            let l = labels(locale);
            let yes_no = common(locale).yes_no;
            let mut writer =
                Writer::start(&pool, meta, sink, progress, self, estimate as u64).await?;
            let read = async {
                writer
                    .send(Step::Begin(SectionSpec {
                        key: "campaigns",
                        title: l.sheets[0].to_owned(),
                        headers: l
                            .headers
                            .iter()
                            .chain(l.feed.iter().filter(|_| feed.is_some()))
                            .map(|h| (*h).to_owned())
                            .collect(),
                        widths: [24.0, 19.0, 10.0, 12.0, 60.0, 24.0, 20.0, 19.0, 12.0]
                            [..if feed.is_some() { 9 } else { 7 }]
                            .to_vec(),
                    }))
                    .await?;
                // A feed's: in the order of the changes, each saying whether an earlier run
                // of the schedule exported the message already.
                let (before, order) = match feed {
                    Some(_) => (
                        "EXISTS (SELECT 1 FROM feed_rows p WHERE p.schedule_id = f0.schedule_id
                            AND p.row_id = f0.row_id AND p.export_id < f0.export_id)",
                        "f.at, o.id",
                    ),
                    None => ("false", "o.created_at, o.id"),
                };
                let sql = format!(
                    "SELECT ct.phone, ct.name, o.created_at, o.queued, f.st, o.body, o.template,
                            o.channel_status, f.at, {before} {from} ORDER BY {order}"
                );
                let mut rows = filtered::<Message>(&sql, account_id, range, &o, feed).fetch(&pool);
                while let Some((
                    phone,
                    name,
                    at,
                    queued,
                    status,
                    body,
                    template,
                    channel,
                    changed,
                    before,
                )) = rows.try_next().await?
                {
                    let mut cells = vec![
                        contact_cell(phone.as_deref(), name.as_deref()),
                        instant(at, tz),
                        Cell::text(yes_no[usize::from(!queued)]),
                        Cell::Text(state(&status, locale)),
                        Cell::Text(body),
                        template.map_or(Cell::Empty, Cell::Text),
                        channel.map_or(Cell::Empty, Cell::Text),
                    ];
                    if feed.is_some() {
                        cells.push(changed.map_or(Cell::Empty, |t| instant(t, tz)));
                        cells.push(Cell::text(yes_no[usize::from(!before)]));
                    }
                    writer.send(Step::Row(Row::data(cells))).await?;
                }
                writer
                    .send(Step::Whole(by_state(counts, locale), vec![]))
                    .await?;
                Ok(())
            }
            .await;
            writer.finish(read).await
        })
    }
}
