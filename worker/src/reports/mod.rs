//! Report kinds, one module each, all behind one trait ([`Report`]) and listed in one
//! registry ([`report`]). A kind reads its data and writes its sheets into a
//! [`crate::render::Sink`]; the pipeline around it (claim, progress, upload, notify) is the
//! same for every kind. Its name and options are described in `exportd_core::kinds`, which
//! the API validates against.
//!
//! Adding a kind: its module here, its variant in `exportd_core::kinds::ReportKind`, and
//! its line in [`report`].

pub mod conversations;
pub mod global;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use exportd_core::{
    Config,
    accounts::Account,
    domain::{DateRange, Locale},
    kinds::{IdTable, OptionName, ReportKind, ReportOptions},
};
use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::render::{self, Sink};

/// When and for what range a report was made, and with which options: what the summary
/// sheet says.
#[derive(Debug, Clone)]
pub struct Meta {
    pub account: Account,
    pub range: DateRange,
    pub generated_at: DateTime<Utc>,
    pub options: ReportOptions,
}

/// One run of a report: where it reads, where it writes, whom it tells how far it got.
pub struct Job {
    pub pool: PgPool,
    /// Whether closed days may be read from rollups, where the kind has them.
    pub rollups: bool,
    pub meta: Meta,
    /// The open file; the kind writes its sections into it and finishes it at `out`.
    pub sink: Box<dyn Sink>,
    pub out: PathBuf,
    /// Told the share of rows written so far, 0 to 1.
    pub progress: Box<dyn Fn(f64) + Send + Sync>,
}

/// What a report kind does.
pub trait Report: Send + Sync {
    fn kind(&self) -> ReportKind;

    /// The report's name in `locale`, as the summary sheet and the email say it.
    fn title(&self, locale: Locale) -> &'static str;

    /// The stem of its file name in `locale`, e.g. `informe-global`.
    fn file_stem(&self, locale: Locale) -> &'static str;

    /// The word for a filter in the summary and the email (seed 003 says "Cuentas" for
    /// sites, seed 000 "Bots").
    fn option_label(&self, option: OptionName, locale: Locale) -> &'static str {
        let l = render::labels::common(locale);
        match option {
            OptionName::Sites => l.sites,
            OptionName::Owners => l.owners,
            OptionName::Delimiter => "",
        }
    }

    /// Reads the report's data and writes it into `job.sink`, then finishes the file.
    fn write(&self, job: Job) -> BoxFuture<'_, anyhow::Result<()>>;

    /// Brings the kind's rollups up to date, where it has any; returns what it built (days,
    /// blocks, marks), zeros when it has none.
    fn refresh_rollups<'a>(
        &'a self,
        _pool: &'a PgPool,
        _cfg: &'a Config,
        _stop: &'a (dyn Fn() -> bool + Sync),
    ) -> BoxFuture<'a, anyhow::Result<[usize; 3]>> {
        Box::pin(async { Ok([0; 3]) })
    }
}

/// The registry: every kind's implementation.
pub fn report(kind: ReportKind) -> &'static dyn Report {
    match kind {
        ReportKind::Global => &global::Global,
        ReportKind::Conversations => &conversations::Conversations,
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
    Ok(out)
}
