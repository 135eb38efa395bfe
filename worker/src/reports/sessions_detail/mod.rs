//! Análisis de sesiones detallado (seed 000), row-level: one row per session (chat) of the
//! range, by `started_at` then id, with the menu choices (`fields`, one `_<key>` column per
//! key found in the exported rows), the agents' typification, the panel, who took it
//! (accepted, then by transfer), the wait and whether it was abandoned. Rows stream.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use exportd_core::{
    domain::Locale,
    kinds::{OptionName, ReportKind},
};
use futures::{TryStreamExt, future::BoxFuture};
use serde_json::Value;

use super::{
    Job, Report,
    rows::{Step, Writer},
    user_names,
};
use crate::render::{Cell, Row, SectionSpec};

mod query;

pub use query::rows_sql;
use query::{Chat, Survey, filtered, match_text, rows_sql_matched, survey};

pub struct SessionsDetail;

struct Labels {
    sheet: &'static str,
    /// Before the `fields` columns: channel, start, contact.
    head: [&'static str; 3],
    /// After them.
    tail: [&'static str; 8],
}

const ES: Labels = Labels {
    sheet: "Sesiones",
    head: ["Canal", "Inicio", "Contacto"],
    tail: [
        "_Motivo de consulta",
        "_Comentario",
        "Panel",
        "Agentes",
        "Inicio del panel",
        "Primer contacto",
        "Tiempo de espera",
        "Sesión abandonada",
    ],
};
const EN: Labels = Labels {
    sheet: "Sessions",
    head: ["Channel", "Start", "Contact"],
    tail: [
        "_Reason for contact",
        "_Comment",
        "Panel",
        "Agents",
        "Panel start",
        "First contact",
        "Wait time",
        "Abandoned session",
    ],
};
const PT: Labels = Labels {
    sheet: "Sessões",
    head: ["Canal", "Início", "Contato"],
    tail: [
        "_Motivo da consulta",
        "_Comentário",
        "Painel",
        "Agentes",
        "Início do painel",
        "Primeiro contato",
        "Tempo de espera",
        "Sessão abandonada",
    ],
};

fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Es => &ES,
        Locale::En => &EN,
        Locale::Pt => &PT,
    }
}

/// "phone name", as the seed shows a contact.
pub fn contact_cell(phone: Option<&str>, name: Option<&str>) -> Cell {
    let mut text = String::with_capacity(phone.map_or(0, str::len) + name.map_or(0, str::len) + 1);
    for part in [phone, name]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
    {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(part);
    }
    Cell::Text(text)
}

pub fn instant(t: DateTime<Utc>, tz: Tz) -> Cell {
    Cell::Instant(t.with_timezone(&tz).fixed_offset())
}

fn field_cell(v: Option<Value>) -> Cell {
    match v {
        None | Some(Value::Null) => Cell::Empty,
        Some(Value::String(s)) => Cell::Text(s),
        Some(Value::Bool(b)) => Cell::Bool(b),
        Some(other) => Cell::Text(other.to_string()),
    }
}

/// One exported row; a feed's ends with the close instant.
fn row(c: Chat, keys: &[String], names: &HashMap<i64, String>, tz: Tz, feed: bool) -> Row {
    let (
        _,
        site,
        started,
        phone,
        name,
        fields,
        reason,
        comment,
        panel,
        accepted,
        by,
        missed,
        transfers,
        closed,
    ) = c;
    let mut cells = vec![
        Cell::Text(site.unwrap_or_default()),
        instant(started, tz),
        contact_cell(phone.as_deref(), name.as_deref()),
    ];
    // Each value is moved out of its row's object, not copied.
    let mut fields = match fields {
        Some(Value::Object(f)) => f,
        _ => serde_json::Map::new(),
    };
    cells.extend(keys.iter().map(|k| field_cell(fields.remove(k))));
    let mut agents: Vec<&str> = Vec::new();
    for id in by.into_iter().chain(transfers) {
        let n = names.get(&id).map_or("", String::as_str);
        if !n.is_empty() && !agents.contains(&n) {
            agents.push(n);
        }
    }
    let wait = match (panel, accepted) {
        (Some(p), Some(a)) => Cell::Int((a - p).num_milliseconds()),
        _ => Cell::Empty,
    };
    cells.extend([
        reason.map_or(Cell::Empty, Cell::Text),
        comment.map_or(Cell::Empty, Cell::Text),
        Cell::Bool(panel.is_some()),
        Cell::Text(agents.join(", ")),
        panel.map_or(Cell::Empty, |t| instant(t, tz)),
        accepted.map_or(Cell::Empty, |t| instant(t, tz)),
        wait,
        Cell::Bool(panel.is_some() && missed),
    ]);
    if feed {
        cells.push(closed.map_or(Cell::Empty, |t| instant(t, tz)));
    }
    Row::data(cells)
}

impl Report for SessionsDetail {
    fn kind(&self) -> ReportKind {
        ReportKind::SessionsDetail
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
            // One transaction for the survey and the rows: room to hash the contacts and
            // sort in memory, and the `text` filter's chats read once for both.
            let mut tx = super::roomy_transaction(&pool).await?;
            let matched = match (&o.text, feed) {
                (Some(text), None) => Some(match_text(&mut tx, account_id, range.0, text).await?),
                _ => None,
            };
            let (Survey { count, ids, keys }, names) = tokio::try_join!(
                survey(&mut tx, account_id, range, &o, feed, matched.as_deref()),
                user_names(&pool, account_id),
            )?;
            let l = labels(locale);
            let headers: Vec<String> = l
                .head
                .iter()
                .map(|h| (*h).to_owned())
                .chain(keys.iter().map(|k| format!("_{k}")))
                .chain(l.tail.iter().map(|h| (*h).to_owned()))
                .chain(feed.map(|_| crate::render::labels::common(locale).feed[2].to_owned()))
                .collect();
            let mut widths = vec![18.0, 19.0, 28.0];
            widths.extend(keys.iter().map(|_| 18.0));
            widths.extend([20.0, 24.0, 8.0, 28.0, 19.0, 19.0, 12.0, 10.0]);
            if feed.is_some() {
                widths.push(19.0);
            }
            let mut writer =
                Writer::start(&pool, meta, sink, progress, self, count.max(0) as u64).await?;
            let read = async {
                writer
                    .send(Step::Begin(SectionSpec {
                        key: "sessions",
                        title: l.sheet.to_owned(),
                        headers,
                        widths,
                    }))
                    .await?;
                let sql = rows_sql_matched(feed.is_some(), matched.is_some());
                let mut rows =
                    filtered::<Chat>(&sql, account_id, range, &o, feed, matched.as_deref())
                        .bind(ids.0)
                        .bind(ids.1)
                        .fetch(&mut *tx);
                while let Some(c) = rows.try_next().await? {
                    let r = row(c, &keys, &names, tz, feed.is_some());
                    writer.send(Step::Row(r)).await?;
                }
                drop(rows);
                tx.commit().await?;
                Ok(())
            }
            .await;
            writer.finish(read).await
        })
    }
}
