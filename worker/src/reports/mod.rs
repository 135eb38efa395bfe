//! Report kinds, one module each, all behind one trait ([`Report`]) and listed in one
//! registry ([`report`]). A kind reads its data and writes its sheets into a
//! [`crate::render::Sink`]; the pipeline around it (claim, progress, upload, notify) is the
//! same for every kind. Its name and options are described in `exportd_core::kinds`, which
//! the API validates against.
//!
//! Adding a kind: its module here, its variant in `exportd_core::kinds::ReportKind`, and
//! its line in [`report`].

pub mod agents_activity;
pub mod campaigns;
pub mod conversations;
pub mod global;
pub mod rows;
#[cfg(test)]
mod samples;
pub mod sessions;
pub mod sessions_detail;
pub mod sets;
pub mod steps;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use exportd_core::{
    accounts::Account,
    domain::{DateRange, Locale},
    kinds::{IdTable, OptionName, ReportKind, ReportOptions},
};
use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::render::{self, ChartSpec, Section, Sink};

/// Memory a report query may hash and sort in. At Postgres's default (4 MB) the global
/// report's (site, agent) aggregate spills to disk and takes about 20% longer, and so do
/// the contacts hash and the sort of `sessions_detail`.
const WORK_MEM: &str = "64MB";

/// `later − earlier` in whole microseconds, as SQL (`int8`): `date_part` (`float8`) rounded
/// to the nearest, exact for any duration under 70 years. `extract` gives `numeric`, whose
/// arithmetic on every row made a span's read of 7.8 M steps 17 % slower (10.4 s against
/// 12.4 s, `EXPLAIN ANALYZE` side by side) and a month's conversation owners 2.37–2.41 s
/// against 2.53–2.74 s, for the same values (every one of the benchmark's 5.5 M chats).
pub fn micros_between(later: &str, earlier: &str) -> String {
    format!("(date_part('epoch', {later} - {earlier}) * 1000000)::int8")
}

/// A transaction whose queries may use [`WORK_MEM`] and are planned for the values bound
/// each time; the settings end with it.
///
/// The report queries are prepared statements with optional filters (`$4 IS NULL OR …`)
/// and a range. After five runs on one connection Postgres may switch to a generic plan,
/// made without the values, that cannot drop the unused filters or see how wide the range
/// is: `force_custom_plan` keeps every export's plan its own.
pub async fn roomy_transaction(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    make_roomy(&mut tx).await?;
    Ok(tx)
}

/// Gives the transaction open on `conn` the settings of [`roomy_transaction`].
pub async fn make_roomy(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "SELECT set_config('work_mem', $1, true),
                set_config('plan_cache_mode', 'force_custom_plan', true)",
    )
    .bind(WORK_MEM)
    .execute(conn)
    .await?;
    Ok(())
}

/// When and for what range a report was made, and with which options: what the summary
/// sheet says.
#[derive(Debug, Clone)]
pub struct Meta {
    pub account: Account,
    pub range: DateRange,
    pub generated_at: DateTime<Utc>,
    pub options: ReportOptions,
    /// Set for a feed run: its rows are those it took, not the range's.
    pub feed: Option<FeedRun>,
}

/// A feed run: the export whose taken rows (`feed_rows`) it writes, and its interval of
/// close instants `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedRun {
    pub export_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Where a report reads. The platform's source tables are read on `source`: a streaming
/// replica that has replayed everything the primary had committed when the export was
/// claimed, else the primary (`exportd_core::replica`). exportd's own tables (the rollup
/// plan and blocks) are read on the primary, where they are written.
#[derive(Debug, Clone)]
pub struct Reads {
    pub primary: PgPool,
    pub source: PgPool,
}

impl Reads {
    /// Every read on one database.
    pub fn one(pool: &PgPool) -> Reads {
        Reads {
            primary: pool.clone(),
            source: pool.clone(),
        }
    }
}

/// One run of a report: where it reads, where it writes, whom it tells how far it got.
pub struct Job {
    pub db: Reads,
    /// Whether closed days may be read from rollups, where the kind has them.
    pub rollups: bool,
    pub meta: Meta,
    /// The open file; the kind writes its sections into it, then finishes it.
    pub sink: Box<dyn Sink>,
    /// Told the share of rows written so far, 0 to 1.
    pub progress: Box<dyn Fn(f64) + Send + Sync>,
}

/// What a report kind does.
pub trait Report: Send + Sync {
    fn kind(&self) -> ReportKind;

    /// The word for a filter in the summary and the email (seed 003 says "Cuentas" for
    /// sites, seed 000 "Bots").
    fn option_label(&self, option: OptionName, locale: Locale) -> &'static str {
        option_label(option, locale)
    }

    /// Reads the report's data and writes it into `job.sink`, then finishes the file.
    fn write(&self, job: Job) -> BoxFuture<'_, anyhow::Result<()>>;

    /// The kind's rollups of closed days, where it has any: the engine (`crate::rollup`)
    /// builds and keeps them for every kind that declares them.
    fn rollups(&self) -> Option<&'static crate::rollup::Rollups> {
        None
    }
}

/// The registry: every kind's implementation.
pub fn report(kind: ReportKind) -> &'static dyn Report {
    match kind {
        ReportKind::Global => &global::Global,
        ReportKind::Conversations => &conversations::Conversations,
        ReportKind::Steps => &steps::Steps,
        ReportKind::AgentsActivity => &agents_activity::AgentsActivity,
        ReportKind::Sessions => &sessions::Sessions,
        ReportKind::SessionsDetail => &sessions_detail::SessionsDetail,
        ReportKind::Campaigns => &campaigns::Campaigns,
    }
}

/// Every kind's implementation, in the order of [`ReportKind::ALL`].
pub fn all() -> impl Iterator<Item = &'static dyn Report> {
    ReportKind::ALL.into_iter().map(report)
}

/// The summary block every kind writes first: report, account, range, timezone, generation
/// time, then the filters applied, in words.
pub fn write_summary(
    sink: &mut dyn Sink,
    meta: &Meta,
    title: &str,
    filters: &[(String, String)],
) -> Result<(), render::RenderError> {
    let l = render::labels::common(meta.account.locale);
    let tz = meta.range.tz;
    let mut pairs = vec![
        (l.summary.to_owned(), title.to_owned()),
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
    if let Some(f) = meta.feed {
        let at = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        pairs.push((
            l.feed[0].to_owned(),
            format!("[{}, {})", at(f.from), at(f.to)),
        ));
    }
    pairs.extend(filters.iter().cloned());
    sink.summary(l.summary, &pairs)
}

/// The filters of a request in words: each id filter as the names of what it names, in
/// the kind's words ("Cuentas: WA Ventas, Web"). Names are read within the account.
pub async fn filters_in_words(
    pool: &PgPool,
    kind: ReportKind,
    account_id: i64,
    locale: Locale,
    options: &ReportOptions,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut out = Vec::new();
    for (option, table, ids) in options.named_ids() {
        let name = match table {
            IdTable::Sites => "name",
            IdTable::Users => "coalesce(nullif(name, ''), email)",
        };
        let sql = format!(
            "SELECT {name} FROM {} WHERE account_id = $1 AND id = ANY($2) ORDER BY 1",
            table.name()
        );
        let names: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .bind(ids)
            .fetch_all(pool)
            .await?;
        out.push((
            report(kind).option_label(option, locale).to_owned(),
            names.join(", "),
        ));
    }
    let l = render::labels::common(locale);
    let label = |o: OptionName| report(kind).option_label(o, locale).to_owned();
    let yes_no = |b: bool| l.yes_no[usize::from(!b)].to_owned();
    if let Some(m) = options.mode {
        use exportd_core::kinds::Mode;
        let i = match m {
            Mode::All => 0,
            Mode::Panel => 1,
            Mode::Bot => 2,
        };
        out.push((label(OptionName::Mode), l.modes[i].to_owned()));
    }
    if let Some(b) = options.abandoned {
        out.push((label(OptionName::Abandoned), yes_no(b)));
    }
    for (o, v) in [
        (OptionName::Step, &options.step),
        (OptionName::Text, &options.text),
        (OptionName::Contact, &options.contact),
    ] {
        if let Some(v) = v {
            out.push((label(o), format!("\u{201c}{v}\u{201d}")));
        }
    }
    if let Some(st) = &options.statuses {
        let words: Vec<&str> = st.iter().map(|s| state_word(*s, locale)).collect();
        out.push((label(OptionName::Statuses), words.join(", ")));
    }
    if let Some(t) = &options.templates {
        out.push((label(OptionName::Templates), t.join(", ")));
    }
    if let Some(b) = options.queued {
        out.push((label(OptionName::Queued), yes_no(b)));
    }
    Ok(out)
}

/// The tail of every kind whose sections are built whole: the same writer as the
/// row-level kinds ([`rows::Writer`]: the summary with the filters in words, then the
/// sections), handed each section with its charts.
pub async fn write_built(
    pool: &PgPool,
    meta: Meta,
    sink: Box<dyn Sink>,
    progress: Box<dyn Fn(f64) + Send + Sync>,
    report: &dyn Report,
    sections: Vec<(Section, Vec<ChartSpec>)>,
) -> anyhow::Result<()> {
    let mut writer = rows::Writer::start(pool, meta, sink, progress, report, 0).await?;
    let sent = async {
        for (section, charts) in sections {
            writer.send(rows::Step::Whole(section, charts)).await?;
        }
        Ok(())
    }
    .await;
    writer.finish(sent).await
}

/// The account's users by id, each named by its name, else its email.
pub async fn user_names(
    pool: &PgPool,
    account_id: i64,
) -> Result<HashMap<i64, String>, sqlx::Error> {
    let rows = sqlx::query_as::<_, (i64, Option<String>, Option<String>)>(
        "SELECT id, name, email FROM users WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, email)| {
            let name = name
                .filter(|n| !n.is_empty())
                .or(email)
                .unwrap_or_else(|| format!("#{id}"));
            (id, name)
        })
        .collect())
}

/// A site ("bot" in seed 000): id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    pub id: i64,
    pub name: String,
}

/// The bots a report shows: those of the account with a row in the report, plus every bot
/// the `sites` filter names (shown with zeros), ordered by name, then id.
pub async fn bots(
    pool: &PgPool,
    account_id: i64,
    seen: impl IntoIterator<Item = i64>,
    filter: Option<&[i64]>,
) -> Result<Vec<Bot>, sqlx::Error> {
    let mut ids: Vec<i64> = seen
        .into_iter()
        .chain(filter.unwrap_or(&[]).iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut bots: Vec<Bot> = sqlx::query_as::<_, (i64, String)>(
        "SELECT id, name FROM sites WHERE account_id = $1 AND id = ANY($2)",
    )
    .bind(account_id)
    .bind(&ids)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(id, name)| Bot { id, name })
    .collect();
    bots.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(bots)
}

/// The words of seed 000's reports for their filters: sites are "Bots".
pub fn bot_option_label(option: OptionName, locale: Locale) -> &'static str {
    match option {
        OptionName::Sites => render::labels::common(locale).bots,
        other => option_label(other, locale),
    }
}

/// A filter's name in the summary and the email, where a kind has no word of its own.
pub fn option_label(option: OptionName, locale: Locale) -> &'static str {
    let l = render::labels::common(locale);
    match option {
        OptionName::Sites => l.sites,
        OptionName::Owners => l.owners,
        OptionName::Agents => l.agents,
        OptionName::Mode => l.filters[0],
        OptionName::Abandoned => l.filters[1],
        OptionName::Step => l.filters[2],
        OptionName::Text => l.filters[3],
        OptionName::Contact => l.filters[4],
        OptionName::Statuses => l.filters[5],
        OptionName::Templates => l.filters[6],
        OptionName::Queued => l.filters[7],
        OptionName::Delimiter => "",
    }
}

/// The word of an outbound message state.
pub fn state_word(status: exportd_core::kinds::OutboundStatus, locale: Locale) -> &'static str {
    let i = exportd_core::kinds::OutboundStatus::ALL
        .iter()
        .position(|s| *s == status)
        .expect("every state is listed");
    render::labels::common(locale).states[i]
}
