//! Texts cut to fit an Excel cell, which holds at most 32,767 UTF-16 units.

/// Excel holds at most this many characters in a cell; a longer text fails the workbook.
pub const MAX_CELL_CHARS: usize = 32_767;

/// What marks a text that was cut to fit a cell.
pub const CUT_MARKER: &str = " […]";

/// A text as it fits in a cell: whole when it fits, otherwise cut at Excel's limit (on a
/// character boundary) with [`CUT_MARKER`] at the end. Excel counts UTF-16 units.
pub fn fit_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= MAX_CELL_CHARS || s.encode_utf16().count() <= MAX_CELL_CHARS {
        return std::borrow::Cow::Borrowed(s);
    }
    let room = MAX_CELL_CHARS - CUT_MARKER.encode_utf16().count();
    let mut units = 0;
    let end = s
        .char_indices()
        .find(|(_, ch)| {
            units += ch.len_utf16();
            units > room
        })
        .map_or(s.len(), |(i, _)| i);
    std::borrow::Cow::Owned(format!("{}{CUT_MARKER}", &s[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_over_excels_limit_is_cut_with_a_marker_and_the_workbook_saves() {
        assert_eq!(fit_cell("short"), "short");
        let long = "ñ".repeat(40_000);
        let cut = fit_cell(&long);
        assert_eq!(cut.encode_utf16().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with(CUT_MARKER));
        let emoji = "😀".repeat(20_000); // two UTF-16 units each
        assert!(fit_cell(&emoji).encode_utf16().count() <= MAX_CELL_CHARS);
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().write_string(0, 0, cut.as_ref()).unwrap();
        wb.save_to_buffer().expect("a cut text saves");
    }
}
