//! Renderers. A report is written through a [`Sink`]: a summary block, then sections of
//! typed rows that stream in one at a time, so memory stays flat however many rows there
//! are. The xlsx sink gives each section a sheet; the csv sink gives each a file in a zip.
//! Small sections are built whole first (see [`Section`]), so their widths fit their cells.

pub mod counted;
pub mod csv;
pub mod labels;
pub mod xlsx;

/// A typed cell: renderers choose how each type looks (durations are real Excel durations
/// in xlsx and `h:mm:ss` text in csv).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Int(i64),
    /// A decimal number shown with two decimals.
    Num(f64),
    /// A duration in seconds.
    Duration(f64),
    /// A share, 0 to 1, shown as a percentage with two decimals.
    Percent(f64),
    Text(String),
    DateTime(chrono::NaiveDateTime),
    /// An instant with its local offset: a date-time in xlsx, ISO 8601 with the offset in
    /// csv.
    Instant(chrono::DateTime<chrono::FixedOffset>),
    /// A local calendar day.
    Date(chrono::NaiveDate),
    Bool(bool),
}

impl Cell {
    pub fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    /// A duration, or an empty cell where there is none.
    pub fn duration(secs: Option<f64>) -> Cell {
        secs.map_or(Cell::Empty, Cell::Duration)
    }
}

/// One row; total rows are shown in bold, and come after the data rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub total: bool,
}

impl Row {
    pub fn data(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            total: false,
        }
    }

    pub fn total(cells: Vec<Cell>) -> Row {
        Row { cells, total: true }
    }
}

/// A section built whole: a sheet in xlsx, a file in the csv zip.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Stable file name stem for csv, e.g. `by_site`.
    pub key: &'static str,
    /// Sheet title, in the account's locale.
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

impl Section {
    pub fn new<H: AsRef<str>>(
        key: &'static str,
        title: &str,
        headers: &[H],
        rows: Vec<Row>,
    ) -> Section {
        Section {
            key,
            title: title.to_owned(),
            headers: headers.iter().map(|h| h.as_ref().to_owned()).collect(),
            rows,
        }
    }
}

/// Formats seconds as `h:mm:ss` (hours may exceed 24), rounded to the second.
pub fn hms(secs: f64) -> String {
    let mut s = String::new();
    hms_into(&mut s, secs);
    s
}

/// Appends `h:mm:ss` to `out`.
pub fn hms_into(out: &mut String, secs: f64) {
    use std::fmt::Write;
    let total = secs.round().max(0.0) as i64;
    write!(
        out,
        "{}:{:02}:{:02}",
        total / 3600,
        total % 3600 / 60,
        total % 60
    )
    .expect("to a String");
}

/// How a section looks before its rows arrive.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionSpec {
    pub key: &'static str,
    pub title: String,
    pub headers: Vec<String>,
    /// Column widths in characters (xlsx).
    pub widths: Vec<f64>,
}

/// Where rows go: a file being written, section by section.
pub trait Sink: Send {
    fn summary(&mut self, title: &str, pairs: &[(String, String)]) -> Result<(), RenderError>;
    fn begin(&mut self, spec: SectionSpec) -> Result<(), RenderError>;
    fn row(&mut self, row: &Row) -> Result<(), RenderError>;
    /// Ends the file and closes its [`Out`]: only then is it complete.
    fn finish(self: Box<Self>) -> Result<(), RenderError>;

    /// The order of sections (by key; `"summary"` for the summary) in the finished file,
    /// given before the first section; sections may then be written in any order. A zip
    /// of CSV files holds back a section that comes early until those due before it are
    /// written.
    fn order(&mut self, _keys: &[&'static str]) {}

    /// A native chart over the data rows (not the totals) of the section being written,
    /// after them; a section's charts stack below its table. Formats without charts (csv)
    /// skip it.
    fn chart(&mut self, _spec: &ChartSpec) -> Result<(), RenderError> {
        Ok(())
    }
}

/// What a native chart shows: one series per value column (named by its header), over
/// categories read from columns `categories.0 ..= categories.1` (two columns make a
/// two-level axis), for the data rows of the section; or, where `figures` is set, figures
/// of its own that no sheet has as cells (the sheets are the report's contract).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub kind: ChartKind,
    pub title: String,
    pub categories: (u16, u16),
    pub values: Vec<u16>,
    /// Whether the categories are dates (shown as dates on the axis, not day numbers).
    pub dates: bool,
    /// How many data rows, from the first, the chart draws; `None` for all. A day still
    /// under way is left out this way, so the line does not drop on it.
    pub rows: Option<u32>,
    /// Figures drawn instead of the sheet's rows: a total per hour of the day over many
    /// dates, or per date over many bots.
    pub figures: Option<Figures>,
}

impl ChartSpec {
    /// A chart over the section's own data rows.
    pub fn new(kind: ChartKind, title: &str, categories: (u16, u16), values: Vec<u16>) -> Self {
        ChartSpec {
            kind,
            title: title.to_owned(),
            categories,
            values,
            dates: false,
            rows: None,
            figures: None,
        }
    }

    /// A chart of figures of its own, kept in the chart (as Excel keeps a series typed as
    /// `={1,2,3}`), not in cells.
    pub fn of_figures(kind: ChartKind, title: &str, figures: Figures) -> Self {
        ChartSpec {
            figures: Some(figures),
            ..ChartSpec::new(kind, title, (0, 0), vec![])
        }
    }
}

/// A chart's own figures: its categories, and one named series of values per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub categories: Categories,
    pub series: Vec<(String, Vec<f64>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Categories {
    Labels(Vec<String>),
    Dates(Vec<chrono::NaiveDate>),
}

impl Categories {
    pub fn len(&self) -> usize {
        match self {
            Categories::Labels(v) => v.len(),
            Categories::Dates(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Column,
    Line,
    Pie,
}

/// Writes a section built whole: widths fitted to its cells, then its rows, then its
/// charts.
pub fn write_section(
    sink: &mut dyn Sink,
    section: &Section,
    charts: &[ChartSpec],
) -> Result<(), RenderError> {
    sink.begin(SectionSpec {
        key: section.key,
        title: section.title.clone(),
        headers: section.headers.clone(),
        widths: fitted_widths(section),
    })?;
    for row in &section.rows {
        sink.row(row)?;
    }
    charts.iter().try_for_each(|c| sink.chart(c))
}

/// Where a file's bytes go as the sink writes them: storage itself, as parts of an upload
/// ([`exportd_core::upload::Upload`]), or a local file (tests, benchmarks).
pub trait Out: std::io::Write + Send {
    /// The file is complete.
    fn close(self: Box<Self>) -> std::io::Result<()>;
}

impl Out for std::fs::File {
    fn close(self: Box<Self>) -> std::io::Result<()> {
        self.sync_all()
    }
}

impl Out for exportd_core::upload::Upload {
    fn close(self: Box<Self>) -> std::io::Result<()> {
        exportd_core::upload::Upload::close(*self)
    }
}

/// Opens the sink of a format, writing to `out`.
pub fn sink(
    format: exportd_core::domain::Format,
    options: &RenderOptions,
    out: Box<dyn Out>,
) -> Box<dyn Sink> {
    match format {
        exportd_core::domain::Format::Xlsx => Box::new(xlsx::XlsxSink::new(out)),
        exportd_core::domain::Format::Csv => Box::new(csv::CsvZipSink::create(out, options)),
    }
}

/// Column widths that fit a section's cells: headers wrap, so they count up to 24
/// characters; other cells up to 60.
pub fn fitted_widths(section: &Section) -> Vec<f64> {
    let mut w: Vec<usize> = section
        .headers
        .iter()
        .map(|h| h.chars().count().min(24))
        .collect();
    for row in &section.rows {
        for (i, c) in row.cells.iter().enumerate() {
            if let Some(slot) = w.get_mut(i) {
                *slot = (*slot).max(display_len(c));
            }
        }
    }
    w.into_iter().map(|n| (n.clamp(6, 60) + 2) as f64).collect()
}

fn display_len(cell: &Cell) -> usize {
    match cell {
        Cell::Empty => 0,
        Cell::Int(v) => v.to_string().len(),
        Cell::Num(_) | Cell::Duration(_) | Cell::Percent(_) => 10,
        Cell::Text(s) => s.chars().count(),
        Cell::DateTime(_) | Cell::Instant(_) => 19,
        Cell::Date(_) => 10,
        Cell::Bool(_) => 5,
    }
}

/// Choices a request can make about the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// `,` (default) or `;` (what Spanish-locale Excel expects; decimals then use a comma).
    pub delimiter: u8,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { delimiter: b',' }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("the report ended before it was complete")]
    Incomplete,
    #[error("chart: {0}")]
    Chart(String),
}

#[cfg(test)]
mod tests {
    #[test]
    fn hms_rounds_and_passes_24_hours() {
        assert_eq!(super::hms(0.4), "0:00:00");
        assert_eq!(super::hms(3599.6), "1:00:00");
        assert_eq!(super::hms(90061.0), "25:01:01");
    }
}
