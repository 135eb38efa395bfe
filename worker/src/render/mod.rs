//! Renderers. A report becomes a [`Document`]: a summary block and sections of typed cells.
//! The xlsx renderer gives each section a sheet; the csv renderer gives each a file in a zip.

pub mod csv;
pub mod global;
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
    Text(String),
}

/// One row; total rows are shown in bold.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub total: bool,
}

/// One section of a report: a sheet in xlsx, a file in the csv zip.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Stable file name stem for csv, e.g. `by_site`.
    pub key: &'static str,
    /// Sheet title, in the account's locale.
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// A whole report, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub summary_title: String,
    pub summary: Vec<(String, String)>,
    pub sections: Vec<Section>,
}

/// Formats seconds as `h:mm:ss` (hours may exceed 24), rounded to the second.
pub fn hms(secs: f64) -> String {
    let total = secs.round().max(0.0) as i64;
    format!(
        "{}:{:02}:{:02}",
        total / 3600,
        total % 3600 / 60,
        total % 60
    )
}

/// Renders a document in the requested format into `out`.
pub fn render(
    doc: &Document,
    format: exportd_core::domain::Format,
    options: &RenderOptions,
    out: &std::path::Path,
) -> Result<(), RenderError> {
    match format {
        exportd_core::domain::Format::Xlsx => xlsx::write(doc, out),
        exportd_core::domain::Format::Csv => csv::write(doc, options, out),
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
