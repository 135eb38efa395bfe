//! CSV output: a zip with one CSV per section (and `summary.csv`), UTF-8 with a BOM so
//! Excel reads the accents, `,` or `;` as delimiter, and text cells that start with
//! `= + - @`, tab or CR neutralised with a leading `'` so no spreadsheet runs them. Rows
//! stream into the zip as they come, or into a temporary file while the files due before
//! theirs are still to be written.

use std::{fmt::Write as _, io::Write};

use zip::{
    CompressionMethod, ZipWriter,
    write::{SimpleFileOptions, StreamWriter},
};

use super::{Cell, Out, RenderError, RenderOptions, Row, SectionSpec, Sink, hms_into};
pub use fields::neutralise;
use fields::{datetime_into, instant_into, runnable};

mod fields;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The zip streams into its [`Out`]: it never seeks back, each entry's sizes follow it.
type Zip = ZipWriter<StreamWriter<Box<dyn Out>>>;

/// Where a section's CSV goes: into the zip, or into a file of its own while a section
/// that comes before it in the zip is still to be written.
enum Target {
    Zip(Box<Zip>),
    Spool(std::fs::File),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Target::Zip(z) => z.write(buf),
            Target::Spool(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Target::Zip(z) => z.flush(),
            Target::Spool(f) => f.flush(),
        }
    }
}

/// Streams sections into a zip of CSV files, in the order given to [`Sink::order`]: a
/// section that comes before the sections due ahead of it is spooled to a temporary file,
/// and copied into the zip once they are in (the global report's per-site rows, written
/// while its sites are summed, go after the by-site and by-agent files).
pub struct CsvZipSink {
    /// The zip, while no section writes into it.
    zip: Option<Box<Zip>>,
    /// The section being written, by key.
    current: Option<(String, Box<csv::Writer<Target>>)>,
    /// Sections written to a file of their own, not in the zip yet.
    spooled: Vec<(String, std::fs::File)>,
    /// Sections in the zip.
    done: Vec<String>,
    order: Vec<&'static str>,
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
            zip: Some(Box::new(ZipWriter::new_stream(out))),
            current: None,
            spooled: Vec::new(),
            done: Vec::new(),
            order: Vec::new(),
            opts: SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(1)),
            delimiter: options.delimiter,
            decimal_comma: options.delimiter == b';',
            buf: String::with_capacity(64),
        }
    }

    /// Whether every section due before `key` is in the zip.
    fn due(&self, key: &str) -> bool {
        self.order
            .iter()
            .take_while(|k| **k != key)
            .all(|k| self.done.iter().any(|d| d == k))
    }

    /// Ends the section being written: into the zip, or kept spooled.
    fn close(&mut self) -> Result<(), RenderError> {
        if let Some((key, w)) = self.current.take() {
            match w
                .into_inner()
                .map_err(|e| RenderError::Io(e.into_error()))?
            {
                Target::Zip(z) => {
                    self.zip = Some(z);
                    self.done.push(key);
                }
                Target::Spool(f) => self.spooled.push((key, f)),
            }
        }
        Ok(())
    }

    /// Copies into the zip the spooled sections now due (all of them with `all`), in the
    /// order given.
    fn unspool(&mut self, all: bool) -> Result<(), RenderError> {
        use std::io::Seek;
        let position = |key: &str| self.order.iter().position(|k| *k == key);
        self.spooled.sort_by_key(|(key, _)| position(key));
        while let Some(i) = (0..self.spooled.len()).find(|&i| all || self.due(&self.spooled[i].0)) {
            let (key, mut file) = self.spooled.remove(i);
            let zip = self.zip.as_mut().expect("no section is open");
            zip.start_file(format!("{key}.csv"), self.opts)?;
            file.rewind()?;
            std::io::copy(&mut file, zip)?;
            self.done.push(key);
        }
        Ok(())
    }

    fn start(&mut self, key: &str, headers: &[String]) -> Result<(), RenderError> {
        self.close()?;
        self.unspool(false)?;
        let mut target = if self.due(key) {
            let mut zip = self.zip.take().expect("no section is open");
            zip.start_file(format!("{key}.csv"), self.opts)?;
            Target::Zip(zip)
        } else {
            Target::Spool(tempfile::tempfile()?)
        };
        target.write_all(BOM)?;
        let mut w = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .from_writer(target);
        if !headers.is_empty() {
            w.write_record(headers.iter().map(|h| neutralise(h).into_owned()))?;
        }
        self.current = Some((key.to_owned(), Box::new(w)));
        Ok(())
    }

    fn writer(&mut self) -> &mut csv::Writer<Target> {
        &mut self.current.as_mut().expect("a section is open").1
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
        self.close()?;
        self.unspool(true)?;
        let zip = self.zip.take().expect("no section is open");
        zip.finish()?.into_inner().close()?;
        exportd_core::telemetry::rows_written("csv", self.written);
        Ok(())
    }

    fn order(&mut self, keys: &[&'static str]) {
        self.order = keys.to_vec();
    }
}

#[cfg(test)]
mod tests {
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
    fn a_section_written_early_is_held_back_until_those_due_before_it_are_in() {
        use super::{Cell, CsvZipSink, RenderOptions, Row, SectionSpec, Sink};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.zip");
        let out = Box::new(std::fs::File::create(&path).unwrap());
        let mut sink: Box<dyn Sink> = Box::new(CsvZipSink::create(out, &RenderOptions::default()));
        sink.order(&["summary", "first", "second", "late"]);
        sink.summary("S", &[("k".into(), "v".into())]).unwrap();
        let section = |key| SectionSpec {
            key,
            title: key.into(),
            headers: vec![format!("{key} header")],
            widths: vec![],
        };
        // Written in this order: late (10,000 rows), first, second (two rows each).
        for key in ["late", "first", "second"] {
            sink.begin(section(key)).unwrap();
            let n = if key == "late" { 10_000 } else { 2 };
            for i in 0..n {
                sink.row(&Row::data(vec![Cell::Int(i)])).unwrap();
            }
        }
        sink.finish().unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let in_order: Vec<String> = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert_eq!(
            in_order,
            ["summary.csv", "first.csv", "second.csv", "late.csv"]
        );
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("late.csv").unwrap(), &mut text).unwrap();
        let text = text.strip_prefix('\u{feff}').expect("a BOM");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 10_001);
        assert_eq!(
            (lines[0], lines[1], lines[10_000]),
            ("late header", "0", "9999")
        );
    }
}
