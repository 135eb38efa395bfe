//! Charts of figures of their own. A chart series in xlsx either refers to cells or holds
//! its values as literals (`<c:numLit>`, `<c:strLit>`: what Excel writes for a series typed
//! as `={1,2,3}`). rust_xlsxwriter writes only the first kind, so such a chart is written
//! with placeholder ranges and its series are rewritten in the saved file. No cell and no
//! sheet is added: the sheets stay exactly the report's contract.

use std::io::{Cursor, Read, Write};

use zip::{CompressionMethod, ZipArchive, ZipWriter, write::SimpleFileOptions};

use crate::render::{Categories, Figures, RenderError};

/// A chart to rewrite: its title (unique among the workbook's charts of figures) and its
/// figures.
pub(super) type FigureChart = (String, Figures);

/// The saved workbook `xlsx` with each chart of `charts` holding its figures. Every other
/// part is copied as it was, still compressed.
pub(super) fn patch(xlsx: &[u8], charts: &[FigureChart]) -> Result<Vec<u8>, RenderError> {
    let mut zip = ZipArchive::new(Cursor::new(xlsx))?;
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(xlsx.len())));
    let mut done = vec![false; charts.len()];
    for i in 0..zip.len() {
        let name = zip.by_index_raw(i)?.name()?.into_owned();
        if !(name.starts_with("xl/charts/chart") && name.ends_with(".xml")) {
            out.raw_copy_file(zip.by_index_raw(i)?)?;
            continue;
        }
        let mut xml = String::new();
        zip.by_index(i)?.read_to_string(&mut xml)?;
        let mine = charts.iter().enumerate().find(|(k, (title, f))| {
            !done[*k]
                && xml.contains(&format!("<a:t>{}</a:t>", escape(title)))
                && xml.matches("<c:ser>").count() == f.series.len()
        });
        if let Some((k, (_, figures))) = mine {
            xml = rewrite(&xml, figures);
            done[k] = true;
        }
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        out.start_file(name, options)?;
        out.write_all(xml.as_bytes())?;
    }
    if let Some(k) = done.iter().position(|d| !d) {
        return Err(RenderError::Chart(format!(
            "no chart titled {:?} to hold its figures",
            charts[k].0
        )));
    }
    Ok(out.finish()?.into_inner())
}

/// A chart's XML with the name, categories and values of its n-th series replaced by the
/// n-th series of `figures`.
fn rewrite(xml: &str, figures: &Figures) -> String {
    // Dates as their ISO text: a date axis over literal day numbers shows the numbers in
    // LibreOffice, not the dates.
    let labels: Vec<String> = match &figures.categories {
        Categories::Labels(labels) => labels.clone(),
        Categories::Dates(dates) => dates
            .iter()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect(),
    };
    let mut categories = format!("<c:strLit><c:ptCount val=\"{}\"/>", labels.len());
    for (i, l) in labels.iter().enumerate() {
        categories += &format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", escape(l));
    }
    categories += "</c:strLit>";
    let mut out = String::with_capacity(xml.len() * 2);
    let mut rest = xml;
    let mut series = figures.series.iter();
    while let Some(start) = rest.find("<c:ser>") {
        let end = rest[start..]
            .find("</c:ser>")
            .map_or(rest.len(), |e| start + e);
        out.push_str(&rest[..start]);
        let mut ser = rest[start..end].to_owned();
        if let Some((name, values)) = series.next() {
            ser = replace_element(&ser, "c:tx", &format!("<c:v>{}</c:v>", escape(name)));
            ser = replace_element(&ser, "c:cat", &categories);
            ser = replace_element(&ser, "c:val", &num_lit(values));
        }
        out.push_str(&ser);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `<c:numLit>` of `values`.
fn num_lit(values: &[f64]) -> String {
    let mut s = format!(
        "<c:numLit><c:formatCode>General</c:formatCode><c:ptCount val=\"{}\"/>",
        values.len()
    );
    for (i, v) in values.iter().enumerate() {
        s += &format!("<c:pt idx=\"{i}\"><c:v>{v}</c:v></c:pt>");
    }
    s + "</c:numLit>"
}

/// `xml` with the content of its first `<tag>…</tag>` replaced by `inner`.
fn replace_element(xml: &str, tag: &str, inner: &str) -> String {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    match (xml.find(&open), xml.find(&close)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{open}{inner}{}", &xml[..a], &xml[b..])
        }
        _ => xml.to_owned(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn each_series_gets_its_own_name_categories_and_values() {
        let xml = "<c:title><c:tx><a:t>T</a:t></c:tx></c:title>\
                   <c:ser><c:idx val=\"0\"/><c:tx><c:strRef>x</c:strRef></c:tx>\
                   <c:cat><c:numRef>y</c:numRef></c:cat><c:val><c:numRef>z</c:numRef></c:val></c:ser>\
                   <c:ser><c:idx val=\"1\"/><c:tx><c:strRef>x</c:strRef></c:tx>\
                   <c:cat><c:numRef>y</c:numRef></c:cat><c:val><c:numRef>z</c:numRef></c:val></c:ser>";
        let figures = Figures {
            categories: Categories::Labels(vec!["0".into(), "1 & 2".into()]),
            series: vec![("a<b".into(), vec![1.0, 2.5]), ("c".into(), vec![3.0, 4.0])],
        };
        let out = rewrite(xml, &figures);
        assert!(out.starts_with("<c:title><c:tx><a:t>T</a:t></c:tx></c:title>"));
        assert!(out.contains("<c:tx><c:v>a&lt;b</c:v></c:tx>"), "{out}");
        assert!(out.contains("<c:pt idx=\"1\"><c:v>1 &amp; 2</c:v></c:pt>"));
        assert!(out.contains("<c:pt idx=\"1\"><c:v>2.5</c:v></c:pt>"));
        assert!(out.contains("<c:pt idx=\"1\"><c:v>4</c:v></c:pt>"));
        assert!(!out.contains("Ref>"), "no reference is left: {out}");
        assert_eq!(out.matches("<c:ser>").count(), 2);
    }

    #[test]
    fn dates_are_written_as_their_iso_text() {
        let xml = "<c:ser><c:tx>x</c:tx><c:cat>y</c:cat><c:val>z</c:val></c:ser>";
        let d = |n| NaiveDate::from_ymd_opt(2026, 9, n).unwrap();
        let figures = Figures {
            categories: Categories::Dates(vec![d(5), d(6)]),
            series: vec![("s".into(), vec![1.0, 2.0])],
        };
        let out = rewrite(xml, &figures);
        assert!(
            out.contains("<c:pt idx=\"1\"><c:v>2026-09-06</c:v></c:pt>"),
            "{out}"
        );
    }
}
