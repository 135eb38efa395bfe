//! Excel output through rust_xlsxwriter in constant-memory mode: rows stream to a temp
//! file, so memory stays flat whatever the row count. In that mode a write to an earlier
//! row is dropped and autofit sees only the current row, so widths are given up front and
//! every sheet is laid out before its rows are written. A section longer than Excel's
//! 1,048,576 rows continues on a new sheet with the same header.

mod charts;
mod figures;
mod fit;
mod formats;

use std::io::Write as _;

use rust_xlsxwriter::{Workbook, Worksheet};

pub use fit::{CUT_MARKER, MAX_CELL_CHARS, fit_cell};
use formats::Formats;

use super::{Cell, ChartSpec, Out, RenderError, Row, SectionSpec, Sink};

/// Zip level 1 halves the time of the default level 6 for a file about 1.6× larger.
const ZIP_LEVEL: u8 = 1;
const SECONDS_PER_DAY: f64 = 86_400.0;
/// Data rows per sheet: Excel's limit less the header row.
const MAX_DATA_ROWS: u32 = 1_048_575;

/// Streams sections into an xlsx workbook.
pub struct XlsxSink {
    out: Option<Box<dyn Out>>,
    wb: Workbook,
    f: Formats,
    sheet: Option<usize>,
    spec: Option<SectionSpec>,
    part: u32,
    rows: u32,
    /// Data rows (not totals) of the sheet being written, and its charts so far.
    data_rows: u32,
    charts: u32,
    /// The section key of each worksheet, in creation order.
    keys: Vec<&'static str>,
    order: Vec<&'static str>,
    /// The name of the sheet being written, for the ranges of its charts.
    sheet_name: String,
    /// Data rows per sheet before a section continues on the next.
    max_rows: u32,
    /// Data rows written, for the process's metrics.
    written: u64,
    /// Where the sheet's next chart goes, and the page breaks before its charts.
    chart_row: u32,
    breaks: Vec<u32>,
    /// Charts of figures of their own, written into the file once it is saved.
    figures: Vec<figures::FigureChart>,
}

impl XlsxSink {
    /// A workbook saved into `out` when finished. Its sheets are kept in temp files while
    /// rows come (rust_xlsxwriter's constant memory mode); saving zips them into `out`.
    pub fn new(out: Box<dyn Out>) -> Self {
        let mut wb = Workbook::new();
        wb.set_zip_compression_level(ZIP_LEVEL);
        XlsxSink {
            out: Some(out),
            wb,
            f: Formats::new(),
            sheet: None,
            spec: None,
            part: 0,
            rows: 0,
            data_rows: 0,
            charts: 0,
            keys: Vec::new(),
            order: Vec::new(),
            sheet_name: String::new(),
            max_rows: MAX_DATA_ROWS,
            written: 0,
            chart_row: 0,
            breaks: Vec::new(),
            figures: Vec::new(),
        }
    }

    /// A sink whose sheets continue after `rows` data rows instead of Excel's limit, to
    /// test the continuation without writing a million rows.
    pub fn with_max_rows(rows: u32, out: Box<dyn Out>) -> Self {
        XlsxSink {
            max_rows: rows.clamp(1, MAX_DATA_ROWS),
            ..Self::new(out)
        }
    }

    fn open_sheet(&mut self) -> Result<(), RenderError> {
        let spec = self.spec.as_ref().expect("a section is open");
        let name = if self.part == 0 {
            spec.title.clone()
        } else {
            format!("{} ({})", spec.title, self.part + 1)
        };
        let key = spec.key;
        let ws = self.wb.add_worksheet_with_constant_memory()?;
        self.keys.push(key);
        self.sheet_name = truncate_sheet_name(&name);
        ws.set_name(&self.sheet_name)?;
        for (i, w) in spec.widths.iter().enumerate() {
            ws.set_column_width(i as u16, *w)?;
        }
        ws.set_freeze_panes(1, 0)?;
        print_setup(ws)?;
        for (c, h) in spec.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &self.f.header)?;
        }
        self.sheet = Some(self.wb.worksheets().len() - 1);
        self.rows = 0;
        self.data_rows = 0;
        self.charts = 0;
        self.breaks.clear();
        Ok(())
    }

    fn close_sheet(&mut self) -> Result<(), RenderError> {
        if let (Some(i), Some(spec)) = (self.sheet.take(), &self.spec) {
            let last_col = spec.headers.len().saturating_sub(1) as u16;
            self.wb
                .worksheet_from_index(i)?
                .autofilter(0, 0, self.rows, last_col)?;
        }
        Ok(())
    }
}

/// Writes one typed cell; total rows are bold with a rule above.
fn write_cell(
    ws: &mut Worksheet,
    f: &Formats,
    r: u32,
    c: u16,
    cell: &Cell,
    total: bool,
) -> Result<(), RenderError> {
    match (cell, total) {
        (Cell::Empty, _) => {}
        (Cell::Int(v), false) => {
            ws.write_number(r, c, *v as f64)?;
        }
        (Cell::Int(v), true) => {
            ws.write_number_with_format(r, c, *v as f64, &f.total_int)?;
        }
        (Cell::Num(v), false) => {
            ws.write_number_with_format(r, c, *v, &f.number)?;
        }
        (Cell::Num(v), true) => {
            ws.write_number_with_format(r, c, *v, &f.total_number)?;
        }
        (Cell::Percent(v), false) => {
            ws.write_number_with_format(r, c, *v, &f.percent)?;
        }
        (Cell::Percent(v), true) => {
            ws.write_number_with_format(r, c, *v, &f.total_percent)?;
        }
        (Cell::Duration(s), false) => {
            ws.write_number_with_format(r, c, s / SECONDS_PER_DAY, &f.duration)?;
        }
        (Cell::Duration(s), true) => {
            ws.write_number_with_format(r, c, s / SECONDS_PER_DAY, &f.total_duration)?;
        }
        (Cell::Text(s), false) => {
            ws.write_string(r, c, fit_cell(s).as_ref())?;
        }
        (Cell::Text(s), true) => {
            ws.write_string_with_format(r, c, fit_cell(s).as_ref(), &f.total_text)?;
        }
        (Cell::DateTime(t), _) => {
            ws.write_datetime_with_format(r, c, t, &f.datetime)?;
        }
        (Cell::Instant(t), _) => {
            ws.write_datetime_with_format(r, c, t.naive_local(), &f.datetime)?;
        }
        (Cell::Date(d), _) => {
            ws.write_datetime_with_format(r, c, d, &f.date)?;
        }
        (Cell::Bool(b), _) => {
            ws.write_boolean(r, c, *b)?;
        }
    }
    Ok(())
}

/// Print-ready: landscape, one page wide, the header row on every page, the sheet's name
/// and the page number in the footer.
fn print_setup(ws: &mut Worksheet) -> Result<(), RenderError> {
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    ws.set_footer("&L&A&R&P / &N");
    Ok(())
}

fn truncate_sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    clean.chars().take(31).collect()
}

impl Sink for XlsxSink {
    fn summary(&mut self, title: &str, pairs: &[(String, String)]) -> Result<(), RenderError> {
        let ws = self.wb.add_worksheet_with_constant_memory()?;
        self.keys.push("summary");
        ws.set_name(truncate_sheet_name(title))?;
        let label_w = pairs
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(8);
        let value_w = pairs
            .iter()
            .map(|(_, v)| v.chars().count())
            .max()
            .unwrap_or(8);
        ws.set_column_width(0, (label_w + 2) as f64)?;
        ws.set_column_width(1, (value_w + 2) as f64)?;
        for (i, (k, v)) in pairs.iter().enumerate() {
            ws.write_string_with_format(i as u32, 0, k, &self.f.label)?;
            ws.write_string(i as u32, 1, fit_cell(v).as_ref())?;
        }
        Ok(())
    }

    fn begin(&mut self, spec: SectionSpec) -> Result<(), RenderError> {
        self.close_sheet()?;
        self.spec = Some(spec);
        self.part = 0;
        self.open_sheet()
    }

    fn row(&mut self, row: &Row) -> Result<(), RenderError> {
        if self.rows == self.max_rows {
            self.close_sheet()?;
            self.part += 1;
            self.open_sheet()?;
        }
        self.rows += 1;
        self.written += 1;
        if !row.total {
            self.data_rows = self.rows;
        }
        let r = self.rows;
        let f = &self.f;
        let ws = self
            .wb
            .worksheet_from_index(self.sheet.expect("a section is open"))?;
        for (c, cell) in row.cells.iter().enumerate() {
            write_cell(ws, f, r, c as u16, cell, row.total)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), RenderError> {
        self.close_sheet()?;
        if !self.order.is_empty() {
            // Sheets are numbered when the workbook is saved, so they can be moved until then;
            // a section's continuation sheets keep their relative order.
            let place = |key: &str| {
                self.order
                    .iter()
                    .position(|k| *k == key)
                    .unwrap_or(usize::MAX)
            };
            let sheets = std::mem::take(self.wb.worksheets_mut());
            let mut keyed: Vec<(usize, rust_xlsxwriter::Worksheet)> =
                self.keys.iter().map(|k| place(k)).zip(sheets).collect();
            keyed.sort_by_key(|(p, _)| *p);
            self.wb
                .worksheets_mut()
                .extend(keyed.into_iter().map(|(_, ws)| ws));
        }
        let mut out = self.out.take().expect("finished once");
        if self.figures.is_empty() {
            self.wb.save_to_writer(&mut out)?;
        } else {
            // Only aggregate reports have such charts, so the file is small enough to hold.
            let saved = self.wb.save_to_buffer()?;
            out.write_all(&figures::patch(&saved, &self.figures)?)?;
        }
        out.close()?;
        exportd_core::telemetry::rows_written("xlsx", self.written);
        Ok(())
    }

    /// A native chart over the data rows of the sheet being written, or over its own
    /// table (the `charts` module).
    fn chart(&mut self, spec: &ChartSpec) -> Result<(), RenderError> {
        self.draw_chart(spec)
    }

    fn order(&mut self, keys: &[&'static str]) {
        self.order = keys.to_vec();
    }
}

#[cfg(test)]
mod cell_tests {
    use super::*;

    #[test]
    fn a_section_past_the_row_limit_continues_on_numbered_sheets_with_the_header() {
        use super::super::{Cell, Row, SectionSpec, Sink};
        use calamine::{Reader, Xlsx, open_workbook};
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("c.xlsx");
        let file = std::fs::File::create(&out).unwrap();
        let mut sink: Box<dyn Sink> = Box::new(XlsxSink::with_max_rows(2, Box::new(file)));
        sink.begin(SectionSpec {
            key: "sessions",
            title: "Sesiones".into(),
            headers: vec!["Canal".into(), "N".into()],
            widths: vec![10.0, 10.0],
        })
        .unwrap();
        for i in 0..5 {
            sink.row(&Row::data(vec![Cell::text("Web"), Cell::Int(i)]))
                .unwrap();
        }
        sink.finish().unwrap();
        let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
        assert_eq!(
            wb.sheet_names(),
            ["Sesiones", "Sesiones (2)", "Sesiones (3)"]
        );
        let mut seen = Vec::new();
        for name in wb.sheet_names().to_vec() {
            let range = wb.worksheet_range(&name).unwrap();
            let rows: Vec<_> = range.rows().collect();
            assert_eq!(rows[0][0].to_string(), "Canal", "{name} repeats the header");
            seen.extend(rows[1..].iter().map(|r| r[1].to_string()));
        }
        assert_eq!(seen, ["0", "1", "2", "3", "4"], "every row once, in order");
    }
}
