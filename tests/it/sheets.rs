//! Reads generated files back into rows of display strings, so that the xlsx and the csv
//! of one report can be compared to the same hand-worked expectation.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

fn hms(secs: f64) -> String {
    let t = secs.round() as i64;
    format!("{}:{:02}:{:02}", t / 3600, t % 3600 / 60, t % 60)
}

fn show(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f:.2}"),
        Data::Bool(b) => b.to_string(),
        // Durations are stored as fractions of a day with a [h]:mm:ss format; dates and
        // date-times read back as ISO text, the way the csv writes them.
        Data::DateTime(dt) if dt.is_duration() => hms(dt.as_f64() * 86_400.0),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => hms(dt.as_f64() * 86_400.0),
        },
        other => format!("{other:?}"),
    }
}

/// The sheets of an xlsx file, in order, each as rows of strings.
pub fn xlsx(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a readable xlsx");
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("sheet");
            let rows = range.rows().map(|r| r.iter().map(show).collect()).collect();
            (name, rows)
        })
        .collect()
}

/// The CSV files of a csv export's zip, each as rows of strings, with the BOM checked.
pub fn csv_zip(bytes: &[u8], delimiter: u8) -> Vec<(String, Vec<Vec<String>>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a readable zip");
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().expect("utf-8 name").to_string();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        assert!(
            buf.starts_with(b"\xEF\xBB\xBF"),
            "{name} starts with a UTF-8 BOM"
        );
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .from_reader(&buf[3..]);
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect();
        out.push((name, rows));
    }
    out
}

/// The rows of one named part.
pub fn part<'a>(parts: &'a [(String, Vec<Vec<String>>)], name: &str) -> &'a [Vec<String>] {
    &parts
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!(
                "no part {name}; have {:?}",
                parts.iter().map(|p| &p.0).collect::<Vec<_>>()
            )
        })
        .1
}

/// The same rows with "30.00" written "30", as a whole number reads back from xlsx.
pub fn whole_numbers(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| {
            r.into_iter()
                .map(|c| c.strip_suffix(".00").map(str::to_owned).unwrap_or(c))
                .collect()
        })
        .collect()
}

/// The number in a cell of an xlsx sheet (row and column from 0), as stored.
pub fn xlsx_number(bytes: &[u8], sheet: &str, row: u32, col: u32) -> f64 {
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a readable xlsx");
    let range = wb.worksheet_range(sheet).expect("sheet");
    match range.get_value((row, col)) {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("{sheet} ({row}, {col}) is not a number: {other:?}"),
    }
}

/// The charts of an xlsx file: for each chart part, its XML.
pub fn charts(bytes: &[u8]) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.starts_with("xl/charts/chart"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            let mut xml = String::new();
            zip.by_name(n).unwrap().read_to_string(&mut xml).unwrap();
            xml
        })
        .collect()
}

/// A chart's category range (the first series'), and how many categories it spans.
pub fn chart_categories(xml: &str) -> (String, u32) {
    let cat = &xml[xml.find("<c:cat>").expect("a category axis")..];
    let f = &cat[cat.find("<c:f>").unwrap() + 5..cat.find("</c:f>").unwrap()];
    let rows: Vec<u32> = f
        .rsplit('!')
        .next()
        .unwrap()
        .split(':')
        .map(|cell| {
            cell.rsplit('$')
                .next()
                .unwrap()
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .unwrap()
        })
        .collect();
    (f.to_owned(), rows[rows.len() - 1] - rows[0] + 1)
}

/// A chart's series that hold their own figures (`<c:strLit>`/`<c:numLit>`, no cell
/// reference): for each, its name, its categories and its values, as written.
pub fn chart_figures(xml: &str) -> Vec<(String, Vec<String>, Vec<f64>)> {
    let inner = |s: &str, tag: &str| -> String {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let a = s.find(&open).unwrap_or_else(|| panic!("no {tag} in {s}")) + open.len();
        s[a..a + s[a..].find(&close).unwrap()].to_owned()
    };
    let points = |s: &str| -> Vec<String> {
        s.split("<c:v>")
            .skip(1)
            .map(|p| p[..p.find("</c:v>").unwrap()].to_owned())
            .collect()
    };
    xml.split("<c:ser>")
        .skip(1)
        .map(|ser| {
            assert!(!ser.contains("<c:f>"), "a series of its own figures: {ser}");
            let values = points(&inner(ser, "c:val"))
                .iter()
                .map(|v| v.parse().unwrap())
                .collect();
            (
                points(&inner(ser, "c:tx")).remove(0),
                points(&inner(ser, "c:cat")),
                values,
            )
        })
        .collect()
}

/// The worksheets' XML of an xlsx file that draw charts: each must print whole, so each
/// has a page break, and every sheet prints landscape and one page wide.
pub fn assert_charts_print_whole(bytes: &[u8]) {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.starts_with("xl/worksheets/sheet"))
        .collect();
    let mut with_charts = 0;
    for n in names {
        let mut xml = String::new();
        zip.by_name(&n).unwrap().read_to_string(&mut xml).unwrap();
        if xml.contains("<drawing ") {
            with_charts += 1;
            assert!(
                xml.contains("<rowBreaks"),
                "{n}: a page break before its chart"
            );
            assert!(
                xml.contains(r#"orientation="landscape""#) && xml.contains("fitToPage"),
                "{n}: landscape, fitted to the page width"
            );
        }
    }
    assert!(with_charts > 0, "some sheet draws a chart");
}
