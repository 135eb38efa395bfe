//! The cell formats of every workbook: header, labels, numbers, durations, dates, and
//! their bold bordered variants for total rows.

use rust_xlsxwriter::{Color, Format, FormatBorder};

pub(super) struct Formats {
    pub(super) header: Format,
    pub(super) label: Format,
    pub(super) duration: Format,
    pub(super) number: Format,
    pub(super) percent: Format,
    pub(super) datetime: Format,
    pub(super) date: Format,
    pub(super) total_text: Format,
    pub(super) total_int: Format,
    pub(super) total_duration: Format,
    pub(super) total_number: Format,
    pub(super) total_percent: Format,
}

impl Formats {
    pub(super) fn new() -> Self {
        let bold = || Format::new().set_bold();
        let top = |f: Format| f.set_border_top(FormatBorder::Thin);
        Formats {
            header: bold()
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_border_bottom(FormatBorder::Thin)
                .set_text_wrap(),
            label: bold(),
            duration: Format::new().set_num_format("[h]:mm:ss"),
            number: Format::new().set_num_format("0.00"),
            percent: Format::new().set_num_format("0.00%"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            total_text: top(bold()),
            total_int: top(bold()),
            total_duration: top(bold().set_num_format("[h]:mm:ss")),
            total_number: top(bold().set_num_format("0.00")),
            total_percent: top(bold().set_num_format("0.00%")),
        }
    }
}
