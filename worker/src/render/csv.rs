//! CSV output: a zip with one CSV per section (and `summary.csv`), UTF-8 with a BOM so
//! Excel reads the accents, `,` or `;` as delimiter, and text cells that start with
//! `= + - @`, tab or CR neutralised with a leading `'` so no spreadsheet runs them.

use std::{fs::File, io::Write, path::Path};

use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use super::{Cell, Document, RenderError, RenderOptions, hms};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A text cell made safe to open in a spreadsheet.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

fn field(cell: &Cell, decimal_comma: bool) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Int(v) => v.to_string(),
        Cell::Num(v) => {
            let s = format!("{v:.2}");
            if decimal_comma {
                s.replace('.', ",")
            } else {
                s
            }
        }
        Cell::Duration(s) => hms(*s),
        Cell::Text(s) => neutralise(s).into_owned(),
    }
}

/// Writes the document as a zip of CSV files at `out`.
pub fn write(doc: &Document, options: &RenderOptions, out: &Path) -> Result<(), RenderError> {
    let mut zip = ZipWriter::new(File::create(out)?);
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1));
    let decimal_comma = options.delimiter == b';';

    let mut sections: Vec<(&str, Vec<String>, Vec<Vec<String>>)> = vec![(
        "summary",
        vec![],
        doc.summary
            .iter()
            .map(|(k, v)| vec![neutralise(k).into_owned(), neutralise(v).into_owned()])
            .collect(),
    )];
    for s in &doc.sections {
        let headers = s
            .headers
            .iter()
            .map(|h| neutralise(h).into_owned())
            .collect();
        let rows = s
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| field(c, decimal_comma)).collect())
            .collect();
        sections.push((s.key, headers, rows));
    }
    for (key, headers, rows) in sections {
        zip.start_file(format!("{key}.csv"), opts)?;
        zip.write_all(BOM)?;
        let mut w = ::csv::WriterBuilder::new()
            .delimiter(options.delimiter)
            .from_writer(&mut zip);
        if !headers.is_empty() {
            w.write_record(&headers)?;
        }
        for r in rows {
            w.write_record(&r)?;
        }
        w.flush()?;
    }
    zip.finish()?.sync_all()?;
    Ok(())
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
}
