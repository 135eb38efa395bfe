//! A CSV cell's text: date-times written without chrono's format parser (this runs for
//! every cell), and text a spreadsheet would run as a formula neutralised.

use std::fmt::Write as _;

/// `YYYY-MM-DD HH:MM:SS`, without chrono's format parser (this runs for every cell).
pub(super) fn datetime_into(out: &mut String, t: &chrono::NaiveDateTime) {
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
pub(super) fn instant_into(out: &mut String, t: &chrono::DateTime<chrono::FixedOffset>) {
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
pub(super) fn runnable(s: &str) -> bool {
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
