//! Análisis de sesiones (seed 000): sessions per bot, per local day and per local hour,
//! each with a native chart, one series per bot, and the traffic per bot and day of the
//! month, whose csv is the seed's traffic export column for column. Abandoned = reached
//! the panel (`panel_at`) and `missed`. Closed days are read from rollups where valid ones
//! exist ([`rollup`]).

mod labels;
pub mod rollup;

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use exportd_core::{
    domain::Locale,
    kinds::{OptionName, ReportKind},
};
use futures::future::BoxFuture;

use self::labels::{Labels, labels};
use super::{Bot, Job, Report, bots};
use crate::render::{
    Categories, Cell, ChartKind, ChartSpec, Figures, Row, Section, labels::common,
};

pub struct Sessions;

/// The chats every sheet reads (`$1` account, `[$2, $3)`, `$4` sites; a chat without a
/// site belongs to no bot); `$5` the timezone.
const BASE: &str = "WITH c AS (
    SELECT site_id, contact_id, started_at, panel_at, accepted_at, last_msg_at, missed,
           msgs_in, msgs_out
      FROM chats
     WHERE account_id = $1 AND started_at >= $2 AND started_at < $3 AND site_id IS NOT NULL
       AND ($4::int8[] IS NULL OR site_id = ANY($4)))";

/// Per bot and (flagged) over all: sessions, with panel, abandoned, unique contacts.
const BY_BOT: &str = "SELECT site_id, grouping(site_id) = 1, count(*),
       count(*) FILTER (WHERE panel_at IS NOT NULL),
       count(*) FILTER (WHERE panel_at IS NOT NULL AND missed),
       count(DISTINCT contact_id)
  FROM c GROUP BY GROUPING SETS ((site_id), ())";

/// Per bot and local day: the traffic figures (milliseconds for the averages).
const TRAFFIC: &str = "SELECT site_id, (started_at AT TIME ZONE $5)::date AS day, count(*) AS sessions,
       count(DISTINCT contact_id) AS contacts, coalesce(sum(msgs_in), 0)::int8 AS msgs_in,
       coalesce(sum(msgs_out), 0)::int8 AS msgs_out,
       coalesce(avg(extract(epoch FROM last_msg_at - started_at) * 1000) FILTER (WHERE last_msg_at IS NOT NULL), 0)::float8 AS length_ms,
       coalesce(avg(extract(epoch FROM accepted_at - panel_at) * 1000) FILTER (WHERE accepted_at IS NOT NULL AND panel_at IS NOT NULL), 0)::float8 AS wait_ms,
       count(*) FILTER (WHERE panel_at IS NOT NULL AND missed) AS abandoned
  FROM c GROUP BY 1, 2";

/// A chat's local hour of day (`$5` the timezone): the report's and the rollups' one
/// definition.
macro_rules! hour {
    () => {
        "extract(hour FROM started_at AT TIME ZONE $5)::int4"
    };
}
use hour;

/// Per bot and local hour of day.
const PER_HOUR: &str = concat!(
    "SELECT site_id, ",
    hour!(),
    ", count(*)
  FROM c GROUP BY 1, 2"
);

type ByBot = (Option<i64>, bool, i64, i64, i64, i64);

/// One bot's traffic on one local day.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Traffic {
    pub site_id: i64,
    pub day: NaiveDate,
    pub sessions: i64,
    pub contacts: i64,
    pub msgs_in: i64,
    pub msgs_out: i64,
    pub length_ms: f64,
    pub wait_ms: f64,
    pub abandoned: i64,
}

/// What the four sheets read.
pub struct Data {
    pub by_bot: Vec<ByBot>,
    pub traffic: Vec<Traffic>,
    pub per_hour: Vec<(i64, i32, i64)>,
    pub bots: Vec<Bot>,
}

impl Report for Sessions {
    fn rollups(&self) -> Option<&'static crate::rollup::Rollups> {
        Some(&rollup::ROLLUPS)
    }

    fn kind(&self) -> ReportKind {
        ReportKind::Sessions
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
            let sites = meta.options.sites.as_deref();
            let (figures, _) =
                rollup::read(&db, rollups, meta.account.id, &meta.range, sites).await?;
            let rollup::Figures {
                by_bot,
                traffic,
                per_hour,
            } = figures;
            let seen = by_bot.iter().filter_map(|r| r.0);
            let bots = bots(&pool, meta.account.id, seen, sites).await?;
            progress(0.5);
            let data = Data {
                by_bot,
                traffic,
                per_hour,
                bots,
            };
            let days: Vec<NaiveDate> = (0..meta.range.days())
                .map(|d| meta.range.from + Duration::days(d))
                .collect();
            // Today, when the range reaches it, is still under way: its charts stop the day
            // before, so their lines do not drop on a partial day.
            let today = meta.generated_at.with_timezone(&meta.range.tz).date_naive();
            let complete = days.iter().filter(|d| **d < today).count();
            let sections = sections(&data, &days, complete, meta.account.locale);
            super::write_built(&pool, meta, sink, progress, self, sections).await
        })
    }
}

/// The four sheets with their charts. The per-day charts draw the first `complete` days
/// (the days already over), or every day when none is.
pub fn sections(
    data: &Data,
    days: &[NaiveDate],
    complete: usize,
    locale: Locale,
) -> Vec<(Section, Vec<ChartSpec>)> {
    let charted = if complete == 0 {
        days.len()
    } else {
        complete.min(days.len())
    };
    let l = labels(locale);
    let names: HashMap<i64, &str> = data.bots.iter().map(|b| (b.id, b.name.as_str())).collect();
    let name = |id: i64| names.get(&id).copied().unwrap_or("");
    // Per bot, then the Total row (unique contacts over all bots, not a sum).
    let get = |site: Option<i64>| data.by_bot.iter().find(|r| r.0 == site && !r.1);
    let mut rows: Vec<Row> = data
        .bots
        .iter()
        .map(|b| {
            let (n, panel, abandoned, contacts) =
                get(Some(b.id)).map_or((0, 0, 0, 0), |r| (r.2, r.3, r.4, r.5));
            Row::data(vec![
                Cell::text(&b.name),
                Cell::Int(n),
                Cell::Int(panel),
                Cell::Int(abandoned),
                Cell::Int(contacts),
            ])
        })
        .collect();
    let all = data
        .by_bot
        .iter()
        .find(|r| r.1)
        .map_or((0, 0, 0, 0), |r| (r.2, r.3, r.4, r.5));
    rows.push(Row::total(vec![
        Cell::text(common(locale).total),
        Cell::Int(all.0),
        Cell::Int(all.1),
        Cell::Int(all.2),
        Cell::Int(all.3),
    ]));
    let by_bot = Section::new("by_bot", l.sheets[0], &l.by_bot, rows);

    // A column per bot; one row per day of the range, and per hour of the day.
    let bot_headers = |first: &str| -> Vec<String> {
        std::iter::once(first.to_owned())
            .chain(data.bots.iter().map(|b| b.name.clone()))
            .collect()
    };
    let column: HashMap<i64, usize> = data
        .bots
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id, i))
        .collect();
    let mut per_day = vec![vec![0i64; data.bots.len()]; days.len()];
    for t in &data.traffic {
        if let (Some(&c), Ok(d)) = (column.get(&t.site_id), days.binary_search(&t.day)) {
            per_day[d][c] = t.sessions;
        }
    }
    let mut per_hour = vec![vec![0i64; data.bots.len()]; 24];
    for &(site, hour, n) in &data.per_hour {
        if let (Some(&c), Some(row)) = (column.get(&site), per_hour.get_mut(hour as usize)) {
            row[c] = n;
        }
    }
    let grid = |first: Cell, counts: &[i64]| {
        Row::data(
            std::iter::once(first)
                .chain(counts.iter().map(|&n| Cell::Int(n)))
                .collect(),
        )
    };
    let series: Vec<u16> = (1..=data.bots.len() as u16).collect();
    let day_rows = days
        .iter()
        .zip(&per_day)
        .map(|(d, c)| grid(Cell::Date(*d), c))
        .collect();
    let per_day = Section::new("per_day", l.sheets[1], &bot_headers(l.date), day_rows);
    let hour_rows = per_hour
        .iter()
        .enumerate()
        .map(|(h, c)| grid(Cell::Int(h as i64), c))
        .collect();
    let per_hour = Section::new("per_hour", l.sheets[2], &bot_headers(l.hour), hour_rows);

    // Traffic: one row per bot and day with sessions, by date, then bot.
    let order: HashMap<i64, usize> = column;
    let mut traffic: Vec<&Traffic> = data.traffic.iter().collect();
    traffic.sort_by_key(|t| (t.day, order.get(&t.site_id).copied().unwrap_or(usize::MAX)));
    let rows = traffic
        .into_iter()
        .map(|t| {
            use chrono::Datelike;
            Row::data(vec![
                Cell::text(name(t.site_id)),
                Cell::Int(t.day.day() as i64),
                Cell::Int(t.sessions),
                Cell::Int(t.contacts),
                Cell::Int(t.msgs_in),
                Cell::Int(t.msgs_out),
                Cell::Int(t.length_ms.round() as i64),
                Cell::Int(t.wait_ms.round() as i64),
                Cell::Int(t.abandoned),
            ])
        })
        .collect();
    let traffic = Section::new("traffic", l.sheets[3], &l.traffic, rows);
    let per_day_chart = ChartSpec {
        dates: true,
        rows: Some(charted as u32),
        ..ChartSpec::new(ChartKind::Line, l.sheets[1], (0, 0), series.clone())
    };
    let (messages, sessions) = traffic_figures(data, &days[..charted], l);
    vec![
        (by_bot, vec![]),
        (per_day, vec![per_day_chart]),
        (
            per_hour,
            vec![ChartSpec::new(
                ChartKind::Column,
                l.sheets[2],
                (0, 0),
                series,
            )],
        ),
        (
            traffic,
            vec![
                ChartSpec::of_figures(ChartKind::Line, l.traffic_charts[0], messages),
                ChartSpec::of_figures(ChartKind::Line, l.traffic_charts[1], sessions),
            ],
        ),
    ]
}

/// The traffic sheet's figures summed over its bots per day, for its two charts (a row per
/// bot and day would be 270 categories over 90 days of three bots): messages in and out;
/// sessions, unique contacts (each bot's, added) and abandoned sessions.
fn traffic_figures(data: &Data, days: &[NaiveDate], l: &Labels) -> (Figures, Figures) {
    let mut sums = vec![[0.0; 5]; days.len()];
    for t in &data.traffic {
        if let Ok(d) = days.binary_search(&t.day) {
            let figures = [t.msgs_in, t.msgs_out, t.sessions, t.contacts, t.abandoned];
            for (sum, n) in sums[d].iter_mut().zip(figures) {
                *sum += n as f64;
            }
        }
    }
    let figures = |columns: &[(&str, usize)]| Figures {
        categories: Categories::Dates(days.to_vec()),
        series: columns
            .iter()
            .map(|&(name, i)| (name.to_owned(), sums.iter().map(|s| s[i]).collect()))
            .collect(),
    };
    let t = &l.traffic;
    (
        figures(&[(t[4], 0), (t[5], 1)]),
        figures(&[(t[2], 2), (l.contacts_summed, 3), (t[8], 4)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_day_charts_stop_before_a_day_still_under_way_and_the_sheets_keep_it() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 9, d).unwrap();
        let traffic = |site_id, d, sessions| Traffic {
            site_id,
            day: day(d),
            sessions,
            contacts: 1,
            msgs_in: 2,
            msgs_out: 3,
            length_ms: 0.0,
            wait_ms: 0.0,
            abandoned: 0,
        };
        let data = Data {
            by_bot: vec![],
            traffic: vec![traffic(1, 5, 1), traffic(2, 5, 2), traffic(1, 7, 4)],
            per_hour: vec![],
            bots: vec![
                Bot {
                    id: 1,
                    name: "WA".into(),
                },
                Bot {
                    id: 2,
                    name: "Web".into(),
                },
            ],
        };
        let days = [day(5), day(6), day(7)];
        // The 7th is today: the sheets keep it, the per-day charts stop on the 6th.
        let s = sections(&data, &days, 2, Locale::Es);
        assert_eq!(s[1].0.rows.len(), 3, "the sheet keeps every day");
        assert_eq!(s[1].1[0].rows, Some(2));
        assert_eq!(s[3].0.rows.len(), 3, "a row per bot and day, as the seed's");
        // The traffic charts sum the bots per day, and stop on the 6th too.
        let sessions = s[3].1[1].figures.as_ref().expect("figures of its own");
        assert_eq!(sessions.categories, Categories::Dates(vec![day(5), day(6)]));
        assert_eq!(sessions.series[0], ("sesiones".to_owned(), vec![3.0, 0.0]));
        assert_eq!(
            sessions.series[1].1,
            vec![2.0, 0.0],
            "each bot's contacts, added"
        );
        let messages = s[3].1[0].figures.as_ref().expect("figures of its own");
        assert_eq!(
            messages.series[1].1,
            vec![6.0, 0.0],
            "3 out on each of two bots"
        );
        // A range of today alone still draws its one day.
        let s = sections(&data, &days[2..], 0, Locale::Es);
        assert_eq!(s[1].1[0].rows, Some(1));
    }
}
