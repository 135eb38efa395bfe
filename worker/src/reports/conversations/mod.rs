//! The inbox's conversation templates (seed 003), one sheet each: open vs closed, by
//! account and channel, recurrence by owner, new per hour (with a native column chart),
//! by user and status, first-response times. A conversation is a chat; its owner is its
//! contact's `owner_id`, its user its `accepted_by`. Totals are computed over all
//! conversations (an overall average is never an average of averages).

pub mod labels;
pub mod query;
pub mod rollup;

use chrono::Timelike;
use exportd_core::{
    domain::Locale,
    kinds::{OptionName, ReportKind},
};
use futures::future::BoxFuture;

use self::{
    labels::{Labels, labels},
    query::Data,
};
use super::{Job, Report};
use crate::render::{Categories, Cell, ChartKind, ChartSpec, Figures, Row, Section};

pub struct Conversations;

const KEYS: [&str; 6] = [
    "open_closed",
    "by_account_channel",
    "recurrence_by_owner",
    "new_per_hour",
    "by_user_status",
    "response_times",
];

impl Report for Conversations {
    fn rollups(&self) -> Option<&'static crate::rollup::Rollups> {
        Some(&rollup::ROLLUPS)
    }

    fn kind(&self) -> ReportKind {
        ReportKind::Conversations
    }

    fn option_label(&self, option: OptionName, locale: Locale) -> &'static str {
        match option {
            OptionName::Sites => labels(locale).filter_sites,
            OptionName::Owners => labels(locale).filter_owners,
            other => super::option_label(other, locale),
        }
    }

    fn write(&self, job: Job) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let Job {
                db,
                rollups,
                meta,
                sink,
                progress,
            } = job;
            let pool = db.source.clone();
            let account = meta.account.id;
            let (figures, sites, users) = tokio::try_join!(
                rollup::read(
                    &db,
                    rollups,
                    account,
                    &meta.range,
                    meta.options.sites.as_deref(),
                    meta.options.owners.as_deref(),
                ),
                site_names(&pool, account),
                super::user_names(&pool, account),
            )?;
            let data = figures.0.data(&sites, users);
            progress(0.5);
            let sections = sections(&data, meta.account.locale);
            super::write_built(&pool, meta, sink, progress, self, sections).await
        })
    }
}

/// The channel and name of each of the account's sites, by id.
async fn site_names(
    pool: &sqlx::PgPool,
    account_id: i64,
) -> Result<std::collections::HashMap<i64, (String, String)>, sqlx::Error> {
    let rows = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, channel, name FROM sites WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, c, n)| (id, (c, n))).collect())
}

/// Rows named by a user (owner or assignee): by name, the unnamed group last.
fn by_name<T>(
    data: &Data,
    rows: impl Iterator<Item = (Option<i64>, T)>,
    none: &str,
) -> Vec<(String, T)> {
    let mut v: Vec<(bool, String, Option<i64>, T)> = rows
        .map(|(id, t)| {
            let name = match id {
                Some(id) => data
                    .users
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("#{id}")),
                None => none.to_owned(),
            };
            (id.is_none(), name, id, t)
        })
        .collect();
    v.sort_by_cached_key(|(none, name, id, _)| (*none, name.to_lowercase(), *id));
    v.into_iter().map(|(_, name, _, t)| (name, t)).collect()
}

/// The six sheets, in the templates' order, with the chart of "new per hour".
pub fn sections(data: &Data, locale: Locale) -> Vec<(Section, Vec<ChartSpec>)> {
    let (l, t) = (labels(locale), crate::render::labels::common(locale).total);
    let (received, open, closed) = data.open_closed;
    let open_closed = Section::new(
        KEYS[0],
        l.sheets[0],
        &l.open_closed,
        vec![Row::data(vec![
            Cell::Int(received),
            Cell::Int(open),
            Cell::Int(closed),
        ])],
    );
    let per_hour = Section::new(
        KEYS[3],
        l.sheets[3],
        &l.per_hour,
        data.per_hour
            .iter()
            .map(|(at, n)| {
                Row::data(vec![
                    Cell::Date(at.date()),
                    Cell::Int(at.hour() as i64),
                    Cell::Int(*n),
                ])
            })
            .collect(),
    );
    // By hour of the day over every date: a column per date and hour would be 2,160 over
    // 90 days.
    let mut by_hour = vec![0.0; 24];
    for (at, n) in &data.per_hour {
        by_hour[at.hour() as usize] += *n as f64;
    }
    let figures = Figures {
        categories: Categories::Labels((0..24).map(|h| h.to_string()).collect()),
        series: vec![(l.per_hour[2].to_owned(), by_hour)],
    };
    let chart = ChartSpec::of_figures(ChartKind::Column, l.hour_of_day, figures);
    vec![
        (open_closed, vec![]),
        (by_account(data, l, t), vec![]),
        (recurrence(data, l, t), vec![]),
        (per_hour, vec![chart]),
        (by_user(data, l), vec![]),
        (response_times(data, l, t), vec![]),
    ]
}

fn by_account(data: &Data, l: &Labels, t: &str) -> Section {
    let mut sites = data.by_site.clone();
    sites.sort_by_cached_key(|(id, channel, name, _)| (channel.clone(), name.to_lowercase(), *id));
    let mut rows = Vec::new();
    let mut grand = 0;
    for chunk in sites.chunk_by(|a, b| a.1 == b.1) {
        let channel = &chunk[0].1;
        let mut sub = 0;
        for (_, _, name, n) in chunk {
            rows.push(Row::data(vec![
                Cell::text(channel),
                Cell::text(name),
                Cell::Int(*n),
            ]));
            sub += n;
        }
        rows.push(Row::total(vec![
            Cell::text(channel),
            Cell::text(l.subtotal),
            Cell::Int(sub),
        ]));
        grand += sub;
    }
    rows.push(Row::total(vec![
        Cell::text(t),
        Cell::Empty,
        Cell::Int(grand),
    ]));
    Section::new(KEYS[1], l.sheets[1], &l.by_account, rows)
}

fn recurrence(data: &Data, l: &Labels, t: &str) -> Section {
    let avg = |contacts: i64, n: i64| {
        if contacts > 0 {
            Cell::Num(n as f64 / contacts as f64)
        } else {
            Cell::Empty
        }
    };
    let owners = data
        .recurrence
        .iter()
        .filter(|r| !r.1)
        .map(|r| (r.0, (r.2, r.3)));
    let mut rows: Vec<Row> = by_name(data, owners, l.no_owner)
        .into_iter()
        .map(|(name, (contacts, n))| {
            Row::data(vec![
                Cell::text(&name),
                Cell::Int(contacts),
                Cell::Int(n),
                avg(contacts, n),
            ])
        })
        .collect();
    if let Some(&(_, _, contacts, n)) = data.recurrence.iter().find(|r| r.1) {
        rows.push(Row::total(vec![
            Cell::text(t),
            Cell::Int(contacts),
            Cell::Int(n),
            avg(contacts, n),
        ]));
    }
    Section::new(KEYS[2], l.sheets[2], &l.recurrence, rows)
}

fn by_user(data: &Data, l: &Labels) -> Section {
    let users = data.by_user.iter().map(|r| (r.0, (r.1, r.2, r.3, r.4)));
    let rows = by_name(data, users, l.unassigned)
        .into_iter()
        .map(|(name, (open, closed, msgs_in, msgs_out))| {
            Row::data(vec![
                Cell::text(&name),
                Cell::Int(open),
                Cell::Int(closed),
                msgs_in.map_or(Cell::Empty, Cell::Num),
                msgs_out.map_or(Cell::Empty, Cell::Num),
            ])
        })
        .collect();
    Section::new(KEYS[4], l.sheets[4], &l.by_user, rows)
}

fn response_times(data: &Data, l: &Labels, t: &str) -> Section {
    let cells = |n: i64, manual, auto, overall| {
        vec![
            Cell::Int(n),
            Cell::duration(manual),
            Cell::duration(auto),
            Cell::duration(overall),
        ]
    };
    let owners = data
        .response
        .iter()
        .filter(|r| !r.1)
        .map(|r| (r.0, (r.2, r.3, r.4, r.5)));
    let mut rows: Vec<Row> = by_name(data, owners, l.no_owner)
        .into_iter()
        .map(|(name, (n, m, a, o))| {
            Row::data([vec![Cell::text(&name)], cells(n, m, a, o)].concat())
        })
        .collect();
    if let Some(&(_, _, n, m, a, o)) = data.response.iter().find(|r| r.1) {
        rows.push(Row::total(
            [vec![Cell::text(t)], cells(n, m, a, o)].concat(),
        ));
    }
    Section::new(KEYS[5], l.sheets[5], &l.response, rows)
}
