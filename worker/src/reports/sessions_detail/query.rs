//! Which sessions an export of `sessions_detail` selects and how they are read: the
//! shared `FROM` and `WHERE` of every query, the `text` filter's chats read once, the rows
//! query, and the survey that counts the rows and finds the `fields` keys first.

use chrono::{DateTime, Utc};
use exportd_core::kinds::{Mode, ReportOptions};
use serde_json::Value;

use crate::reports::rows::contains_pattern;

/// The sessions a request selects are those of [`JOINS`] that meet [`WHERE`] (`$1`
/// account, `[$2, $3)`, `$4` sites, `$5` `panel` or `bot`, `$6` agents, `$7` abandoned, `$8`
/// step, `$9` text pattern, `$10` contact pattern); every filter is optional and they
/// combine with AND. A feed run selects instead the sessions it took (`$11`, its export),
/// by [`TAKEN`]. `$12` holds the `text` filter's chats once read ([`match_text`]).
const JOINS: &str = "FROM chats ch
  LEFT JOIN sites s ON s.id = ch.site_id AND s.account_id = $1
  LEFT JOIN contacts ct ON ct.id = ch.contact_id AND ct.account_id = $1";
const RANGE: &str = "ch.started_at >= $2 AND ch.started_at < $3";
const TAKEN: &str = "ch.id IN (SELECT f.row_id FROM feed_rows f WHERE f.export_id = $11)";
const WHERE: &str = "WHERE ch.account_id = $1 AND {SELECTED}
   AND ($4::int8[] IS NULL OR ch.site_id = ANY($4))
   AND ($5::text IS NULL OR (ch.panel_at IS NOT NULL) = ($5 = 'panel'))
   AND ($6::int8[] IS NULL OR ch.accepted_by = ANY($6) OR EXISTS (
        SELECT 1 FROM chat_events e WHERE e.account_id = $1 AND e.chat_id = ch.id
           AND e.kind = 'transferred' AND e.agent_id = ANY($6)))
   AND ($7::bool IS NULL OR (ch.panel_at IS NOT NULL AND ch.missed) = $7)
   AND ($8::text IS NULL OR EXISTS (
        SELECT 1 FROM steps st WHERE st.account_id = $1 AND st.chat_id = ch.id AND st.step = $8
           {STEPS_SINCE}))
   AND ($9::text IS NULL OR {TEXT})
   AND ($10::text IS NULL OR ct.name ILIKE $10 OR ct.phone ILIKE $10)";

/// The `text` filter's chats, read once by [`match_text`] for the survey and the rows.
const MATCHED: &str = "ch.id = ANY($12)";

/// [`WHERE`] for a request (by its range) or a feed run (by the rows it took); with
/// `matched`, the `text` filter's chats are those [`match_text`] read.
///
/// No index serves the `step` and `text` filters (an index on every message body or on
/// every chat's steps would cost the platform's writes, migration 0024): a request reads
/// the steps and messages of its range, from a day before it (a chat's own come after its
/// start), through their time indexes and a hash; a feed run looks up those of the few
/// chats it took through the contract's `(account_id, chat_id)` index.
fn where_sql(feed: bool, matched: bool) -> String {
    let since = |at: &str| {
        if feed {
            String::new()
        } else {
            format!("AND {at} >= $2 - interval '1 day'")
        }
    };
    let text = if matched {
        MATCHED.to_owned()
    } else {
        format!(
            "EXISTS (SELECT 1 FROM messages m WHERE m.account_id = $1 AND m.chat_id = ch.id
               {} AND exportd_fold(m.body) LIKE exportd_fold($9))",
            since("m.sent_at")
        )
    };
    WHERE
        .replace("{SELECTED}", if feed { TAKEN } else { RANGE })
        .replace("{STEPS_SINCE}", &since("st.entered_at"))
        .replace("{TEXT}", &text)
}

/// Reads once the chats with a message of the request's range (from a day before it)
/// that holds the `text` filter's words, for the survey and the rows to bind as `$12`.
/// They are held by the process, not in a temporary table: a hot standby writes none.
pub(super) async fn match_text(
    conn: &mut sqlx::PgConnection,
    account_id: i64,
    from: DateTime<Utc>,
    text: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT m.chat_id FROM messages m
          WHERE m.account_id = $1 AND m.sent_at >= $2 - interval '1 day'
            AND exportd_fold(m.body) LIKE exportd_fold($3)",
    )
    .bind(account_id)
    .bind(from)
    .bind(contains_pattern(text))
    .fetch_all(&mut *conn)
    .await
}

/// The rows of the selected sessions, in file order (a feed's by close instant); `$13`–
/// `$14` bound the ids of those chats (from the [`Survey`]), so the transfers are gathered
/// in one pass over their index and hash-joined, not looked up once a row.
///
/// This is the query that reads the `text` filter's messages itself (the benchmark's floor);
/// an export reads them once first ([`match_text`]).
pub fn rows_sql(feed: bool) -> String {
    rows_sql_matched(feed, false)
}

pub(super) fn rows_sql_matched(feed: bool, matched: bool) -> String {
    let (wh, order) = (
        where_sql(feed, matched),
        if feed {
            "ch.closed_at, ch.id"
        } else {
            "ch.started_at, ch.id"
        },
    );
    format!(
        "SELECT ch.id, s.name, ch.started_at, ct.phone, ct.name, ch.fields, ch.reason,
       ch.comment, ch.panel_at, ch.accepted_at, ch.accepted_by, ch.missed,
       coalesce(tr.agents, '{{}}') AS transfers, ch.closed_at
  {JOINS}
  LEFT JOIN (SELECT e.chat_id, array_agg(e.agent_id ORDER BY e.at, e.id) AS agents
               FROM chat_events e
              WHERE e.account_id = $1 AND e.kind = 'transferred' AND e.agent_id IS NOT NULL
                AND e.chat_id BETWEEN $13 AND $14
              GROUP BY e.chat_id) tr ON tr.chat_id = ch.id
 {wh}
 ORDER BY {order}"
    )
}

/// Most `fields` columns one export gets; keys past it (by name) are left out.
const MAX_FIELD_COLUMNS: i64 = 200;

pub(super) type Chat = (
    i64,
    Option<String>,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<Value>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
    bool,
    Vec<i64>,
    Option<DateTime<Utc>>,
);

/// A query over [`JOINS`] and [`WHERE`] with the request's filters bound, the feed
/// run's export (or none), and the `text` filter's chats once read (or none).
pub(super) fn filtered<'q, O>(
    sql: &'q str,
    account_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    o: &'q ReportOptions,
    feed: Option<i64>,
    matched: Option<&'q [i64]>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let mode = match o.mode {
        Some(Mode::Panel) => Some("panel"),
        Some(Mode::Bot) => Some("bot"),
        Some(Mode::All) | None => None,
    };
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(from)
        .bind(to)
        .bind(o.sites.clone())
        .bind(mode)
        .bind(o.agents.clone())
        .bind(o.abandoned)
        .bind(o.step.clone())
        .bind(o.text.as_deref().map(contains_pattern))
        .bind(o.contact.as_deref().map(contains_pattern))
        .bind(feed)
        .bind(matched)
}

/// What one pass over the selected sessions tells before their rows are read: how many
/// there are (for progress), the first and last chat id (for [`rows_sql`]) and the
/// `fields` keys found in them, by name.
pub(super) struct Survey {
    pub(super) count: i64,
    pub(super) ids: (i64, i64),
    pub(super) keys: Vec<String>,
}

/// One scan for [`Survey`]: each session's keys, grouped by key; a session is counted on
/// its first key (or its only row, when it has none).
pub(super) async fn survey(
    conn: &mut sqlx::PgConnection,
    account_id: i64,
    range: (DateTime<Utc>, DateTime<Utc>),
    o: &ReportOptions,
    feed: Option<i64>,
    matched: Option<&[i64]>,
) -> Result<Survey, sqlx::Error> {
    let wh = where_sql(feed.is_some(), matched.is_some());
    let sql = format!(
        "WITH g AS (
           SELECT k.key, count(*) FILTER (WHERE k.ord IS NULL OR k.ord = 1) AS n,
                  min(ch.id) AS lo, max(ch.id) AS hi
             {JOINS}
             LEFT JOIN LATERAL jsonb_object_keys(
                 CASE WHEN jsonb_typeof(ch.fields) = 'object' THEN ch.fields ELSE '{{}}'::jsonb END)
                 WITH ORDINALITY AS k(key, ord) ON true
            {wh}
            GROUP BY k.key)
         SELECT coalesce(sum(n), 0)::int8, min(lo), max(hi),
                ARRAY(SELECT key FROM g WHERE key IS NOT NULL ORDER BY key LIMIT {MAX_FIELD_COLUMNS})
           FROM g"
    );
    let (count, lo, hi, keys): (i64, Option<i64>, Option<i64>, Vec<String>) =
        filtered(&sql, account_id, range, o, feed, matched)
            .fetch_one(&mut *conn)
            .await?;
    Ok(Survey {
        count,
        ids: (lo.unwrap_or(0), hi.unwrap_or(-1)),
        keys,
    })
}
