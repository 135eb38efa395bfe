//! Sample workbooks of 90 days, three bots, written to `target/reports/` so their charts
//! can be rendered (LibreOffice, then `pdftoppm`) and looked at as a person sees them.

use chrono::{Duration, NaiveDate, NaiveTime};
use exportd_core::domain::Locale;

use super::{Bot, conversations, sessions};
use crate::render::{Sink, write_section, xlsx::XlsxSink};

fn save(name: &str, sections: &[(crate::render::Section, Vec<crate::render::ChartSpec>)]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(dir.join(name)).unwrap();
    let mut sink: Box<dyn Sink> = Box::new(XlsxSink::new(Box::new(file)));
    for (section, charts) in sections {
        write_section(&mut *sink, section, charts).unwrap();
    }
    sink.finish().unwrap();
}

#[test]
fn a_90_day_sessions_and_conversations_workbook_for_the_eye() {
    let from = NaiveDate::from_ymd_opt(2026, 9, 8).unwrap();
    let days: Vec<NaiveDate> = (0..90).map(|d| from + Duration::days(d)).collect();
    let bots: Vec<Bot> = ["WhatsApp ventas", "Web soporte", "Instagram"]
        .iter()
        .enumerate()
        .map(|(i, n)| Bot {
            id: i as i64 + 1,
            name: (*n).into(),
        })
        .collect();
    let mut traffic = Vec::new();
    let mut per_hour = Vec::new();
    for (d, day) in days.iter().enumerate() {
        for b in &bots {
            let n = 20 + (d as i64 * 7 + b.id * 13) % 30;
            // The last day is today, partial.
            let n = if d == 89 { n / 6 } else { n };
            traffic.push(sessions::Traffic {
                site_id: b.id,
                day: *day,
                sessions: n,
                contacts: n * 4 / 5,
                msgs_in: n * 6,
                msgs_out: n * 8,
                length_ms: 300_000.0,
                wait_ms: 20_000.0,
                abandoned: n / 10,
            });
        }
    }
    for b in &bots {
        for h in 0..24 {
            per_hour.push((b.id, h, 10 + (h as i64 * b.id) % 40));
        }
    }
    let data = sessions::Data {
        by_bot: vec![],
        traffic,
        per_hour,
        bots,
    };
    save(
        "sample-sessions.xlsx",
        &sessions::sections(&data, &days, 89, Locale::Es),
    );

    let mut hours = Vec::new();
    for day in &days {
        for h in 7..23u32 {
            let at = day.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap());
            hours.push((at, 1 + (h as i64 * 3) % 11));
        }
    }
    let data = conversations::query::Data {
        open_closed: (100, 40, 60),
        by_site: vec![],
        recurrence: vec![],
        per_hour: hours,
        by_user: vec![],
        response: vec![],
        users: Default::default(),
    };
    save(
        "sample-conversations.xlsx",
        &conversations::sections(&data, Locale::Es),
    );
}
