//! CSV output: a zip with one CSV per section (and `summary.csv`), UTF-8 with a BOM so
//! Excel reads the accents, `,` or `;` as delimiter, and text cells that start with
//! `= + - @`, tab or CR neutralised with a leading `'` so no spreadsheet runs them. Rows
//! stream into the zip as they come.

use std::{fmt::Write as _, io::Write};

use zip::{
    CompressionMethod, ZipWriter,
    write::{SimpleFileOptions, StreamWriter},
};

use super::{Cell, Out, RenderError, RenderOptions, Row, SectionSpec, Sink, hms_into};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `YYYY-MM-DD HH:MM:SS`, without chrono's format parser (this runs for every cell).
fn datetime_into(out: &mut String, t: &chrono::NaiveDateTime) {
    date_time_into(out, t, ' ');
}

/// The date, `sep`, then the time to the second.
fn date_time_into(out: &mut String, t: &chrono::NaiveDateTime, sep: char) {
    use chrono::{Datelike, Timelike};
    fn two(out: &mut String, v: u32) {
        out.push((b'0' + (v / 10) as u8) as char);
        out.push((b'0' + (v % 10) as u8) as char);
    }
    let y = t.year();
    if (0..10_000).contains(&y) {
        two(out, y as u32 / 100);
        two(out, y as u32 % 100);
    } else {
        write!(out, "{y}").expect("to a String");
    }
    out.push('-');
    two(out, t.month());
    out.push('-');
    two(out, t.day());
    out.push(sep);
    two(out, t.hour());
    out.push(':');
    two(out, t.minute());
    out.push(':');
    two(out, t.second());
}

/// `YYYY-MM-DDTHH:MM:SS.mmm±HH:MM`, as chrono's `%Y-%m-%dT%H:%M:%S%.3f%:z` writes it, without
/// its format parser.
fn instant_into(out: &mut String, t: &chrono::DateTime<chrono::FixedOffset>) {
    use chrono::Timelike;
    let local = t.naive_local();
    date_time_into(out, &local, 'T');
    let digit = |v: u32| (b'0' + v as u8) as char;
    let ms = (local.nanosecond() % 1_000_000_000) / 1_000_000;
    out.extend(['.', digit(ms / 100), digit(ms / 10 % 10), digit(ms % 10)]);
    let secs = t.offset().local_minus_utc();
    out.push(if secs < 0 { '-' } else { '+' });
    let mins = secs.unsigned_abs() / 60;
    out.extend([
        digit(mins / 600),
        digit(mins / 60 % 10),
        ':',
        digit(mins % 60 / 10),
        digit(mins % 10),
    ]);
}

/// Whether a spreadsheet would read a text starting so as a formula (or strip it).
fn runnable(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// A text cell made safe to open in a spreadsheet.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    if runnable(s) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The zip streams into its [`Out`]: it never seeks back, each entry's sizes follow it.
type Zip = ZipWriter<StreamWriter<Box<dyn Out>>>;

enum State {
    Idle(Box<Zip>),
    Writing(Box<csv::Writer<Zip>>),
    Done,
}

/// Streams sections into a zip of CSV files.
pub struct CsvZipSink {
    state: State,
    opts: SimpleFileOptions,
    delimiter: u8,
    decimal_comma: bool,
    buf: String,
    /// Data rows written, for the process's metrics.
    written: u64,
}

impl CsvZipSink {
    pub fn create(out: Box<dyn Out>, options: &RenderOptions) -> Self {
        CsvZipSink {
            written: 0,
            state: State::Idle(Box::new(ZipWriter::new_stream(out))),
            opts: SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(1)),
            delimiter: options.delimiter,
            decimal_comma: options.delimiter == b';',
            buf: String::with_capacity(64),
        }
    }

    fn zip(&mut self) -> Result<Zip, RenderError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Idle(z) => Ok(*z),
            State::Writing(w) => w.into_inner().map_err(|e| RenderError::Io(e.into_error())),
            State::Done => unreachable!("the zip is finished"),
        }
    }

    fn start(&mut self, key: &str, headers: &[String]) -> Result<(), RenderError> {
        let mut zip = self.zip()?;
        zip.start_file(format!("{key}.csv"), self.opts)?;
        zip.write_all(BOM)?;
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .from_writer(zip);
        if !headers.is_empty() {
            w.write_record(headers.iter().map(|h| neutralise(h).into_owned()))?;
        }
        self.state = State::Writing(Box::new(w));
        Ok(())
    }

    fn writer(&mut self) -> &mut csv::Writer<Zip> {
        match &mut self.state {
            State::Writing(w) => w,
            _ => unreachable!("a section is open"),
        }
    }
}

impl Sink for CsvZipSink {
    fn summary(&mut self, _title: &str, pairs: &[(String, String)]) -> Result<(), RenderError> {
        self.start("summary", &[])?;
        let w = self.writer();
        for (k, v) in pairs {
            w.write_record([neutralise(k).as_ref(), neutralise(v).as_ref()])?;
        }
        Ok(())
    }

    fn begin(&mut self, spec: SectionSpec) -> Result<(), RenderError> {
        self.start(spec.key, &spec.headers)
    }

    fn row(&mut self, row: &Row) -> Result<(), RenderError> {
        let decimal_comma = self.decimal_comma;
        let mut buf = std::mem::take(&mut self.buf);
        let mut ints = itoa::Buffer::new();
        let w = self.writer();
        for cell in &row.cells {
            // Hot path: most cells skip the shared buffer and std::fmt.
            match cell {
                Cell::Empty => w.write_field(b"")?,
                Cell::Int(v) => w.write_field(ints.format(*v).as_bytes())?,
                // Phone numbers start with `+`: the quote goes in the shared buffer,
                // not in a new string each row.
                Cell::Text(s) if runnable(s) => {
                    buf.clear();
                    buf.push('\'');
                    buf.push_str(s);
                    w.write_field(buf.as_bytes())?;
                }
                Cell::Text(s) => w.write_field(s.as_bytes())?,
                Cell::Bool(b) => w.write_field(if *b { &b"true"[..] } else { &b"false"[..] })?,
                Cell::DateTime(t) => {
                    buf.clear();
                    datetime_into(&mut buf, t);
                    w.write_field(buf.as_bytes())?;
                }
                Cell::Instant(t) => {
                    buf.clear();
                    instant_into(&mut buf, t);
                    w.write_field(buf.as_bytes())?;
                }
                Cell::Date(d) => {
                    buf.clear();
                    write!(buf, "{d}").expect("to a String");
                    w.write_field(buf.as_bytes())?;
                }
                Cell::Num(v) => {
                    buf.clear();
                    write!(buf, "{v:.2}").expect("to a String");
                    if decimal_comma {
                        buf = buf.replace('.', ",");
                    }
                    w.write_field(buf.as_bytes())?;
                }
                Cell::Percent(v) => {
                    buf.clear();
                    write!(buf, "{:.2}%", v * 100.0).expect("to a String");
                    if decimal_comma {
                        buf = buf.replace('.', ",");
                    }
                    w.write_field(buf.as_bytes())?;
                }
                Cell::Duration(s) => {
                    buf.clear();
                    hms_into(&mut buf, *s);
                    w.write_field(buf.as_bytes())?;
                }
            }
        }
        w.write_record(None::<&[u8]>)?;
        self.buf = buf;
        self.written += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), RenderError> {
        let zip = self.zip()?;
        zip.finish()?.into_inner().close()?;
        exportd_core::telemetry::rows_written("csv", self.written);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_not() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        assert_eq!(neutralise("Ana"), "Ana");
        assert_eq!(neutralise(""), "");
    }

    /// Through the sink and read back: the zip's CSV has each runnable text quoted once,
    /// and the rest as given.
    #[test]
    fn the_sink_writes_runnable_texts_quoted() {
        use super::{Cell, CsvZipSink, RenderOptions, Row, SectionSpec, Sink};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.zip");
        let out = Box::new(std::fs::File::create(&path).unwrap());
        let mut sink: Box<dyn Sink> = Box::new(CsvZipSink::create(out, &RenderOptions::default()));
        sink.begin(SectionSpec {
            key: "rows",
            title: "Rows".into(),
            headers: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            widths: vec![],
        })
        .unwrap();
        let texts = ["=1+1", "+56 9 1234", "Ana, \"la\" jefa", "-"];
        sink.row(&Row::data(texts.iter().map(|t| Cell::text(t)).collect()))
            .unwrap();
        sink.finish().unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("rows.csv").unwrap(), &mut text).unwrap();
        let mut rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let got: Vec<String> = rows
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(got, ["'=1+1", "'+56 9 1234", "Ana, \"la\" jefa", "'-"]);
    }

    #[test]
    fn datetimes_are_written_like_chrono_would() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 9)
            .unwrap()
            .and_hms_opt(7, 5, 3)
            .unwrap();
        let mut s = String::new();
        super::datetime_into(&mut s, &t);
        assert_eq!(s, t.format("%Y-%m-%d %H:%M:%S").to_string());
    }

    #[test]
    fn instants_are_written_like_chrono_would() {
        use chrono::{FixedOffset, TimeZone};
        for (offset, nanos) in [
            (-3 * 3600, 5_000_000),
            (0, 999_999_999),
            (5 * 3600 + 45 * 60, 0),
            (-(9 * 3600 + 30 * 60), 123_456_789),
        ] {
            let t = FixedOffset::east_opt(offset)
                .unwrap()
                .with_ymd_and_hms(2026, 11, 2, 23, 59, 7)
                .unwrap()
                + chrono::Duration::nanoseconds(nanos);
            let mut s = String::new();
            super::instant_into(&mut s, &t);
            assert_eq!(s, t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string());
        }
    }
}
