use super::*;

fn tz(s: &str) -> Tz {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn timing(cadence: Cadence, hour: u32, zone: &str) -> Timing {
    Timing {
        cadence,
        hour,
        tz: tz(zone),
        covers: Covers::Closed,
        week_start: Weekday::Mon,
    }
}

fn monthly(day: u32, hour: u32, zone: &str) -> Timing {
    timing(Cadence::Monthly(MonthDay::Day(day)), hour, zone)
}

fn iso(runs: &[DateTime<Utc>]) -> Vec<String> {
    runs.iter().map(|t| t.to_rfc3339()).collect()
}

#[test]
fn a_skipped_hour_runs_at_the_next_valid_instant() {
    // Santiago: 2026-09-06 00:00 does not exist (clocks go to 01:00, UTC-3).
    let t = monthly(6, 0, "America/Santiago");
    assert_eq!(
        t.due_at(date("2026-09-06")).to_rfc3339(),
        "2026-09-06T04:00:00+00:00"
    );
    // Madrid: 2027-03-28 02:00 does not exist (clocks go to 03:00 CEST).
    let t = monthly(28, 2, "Europe/Madrid");
    assert_eq!(
        t.due_at(date("2027-03-28")).to_rfc3339(),
        "2027-03-28T01:00:00+00:00"
    );
}

#[test]
fn a_repeated_hour_runs_at_its_first_occurrence() {
    // Madrid: 2026-10-25 02:00 happens twice; the first is 00:00Z.
    let t = monthly(25, 2, "Europe/Madrid");
    assert_eq!(
        t.due_at(date("2026-10-25")).to_rfc3339(),
        "2026-10-25T00:00:00+00:00"
    );
    // Santiago: 2026-04-04 23:00 happens twice (-03 then -04); the first is 02:00Z.
    let t = monthly(4, 23, "America/Santiago");
    assert_eq!(
        t.due_at(date("2026-04-04")).to_rfc3339(),
        "2026-04-05T02:00:00+00:00"
    );
}

#[test]
fn a_monthly_run_covers_the_previous_calendar_month() {
    let t = monthly(1, 6, "UTC");
    assert_eq!(
        t.covered(date("2026-10-01")),
        (date("2026-09-01"), date("2026-09-30"))
    );
    assert_eq!(
        t.covered(date("2026-01-01")),
        (date("2025-12-01"), date("2025-12-31"))
    );
    let last = timing(Cadence::Monthly(MonthDay::Last), 6, "UTC");
    assert_eq!(
        last.covered(date("2024-03-31")),
        (date("2024-02-01"), date("2024-02-29"))
    );
}

#[test]
fn created_mid_month_the_first_run_is_the_next_due_time() {
    let now = at("2026-11-21T12:00:00Z");
    let (d, due) = monthly(1, 6, "America/Santiago").next_after(now);
    assert_eq!(d, date("2026-12-01"));
    assert_eq!(due.to_rfc3339(), "2026-12-01T09:00:00+00:00");
    let (d, _) = monthly(28, 6, "America/Santiago").next_after(now);
    assert_eq!(d, date("2026-11-28"));
}

#[test]
fn the_next_runs_keep_the_local_hour_across_a_dst_change() {
    // Madrid leaves summer time on 2026-10-25: 06:00 local is 04:00Z, then 05:00Z.
    let runs = monthly(1, 6, "Europe/Madrid").next_runs(at("2026-09-20T12:00:00Z"), 3);
    assert_eq!(
        iso(&runs),
        [
            "2026-10-01T04:00:00+00:00",
            "2026-11-01T05:00:00+00:00",
            "2026-12-01T05:00:00+00:00"
        ]
    );
}

#[test]
fn the_last_day_of_the_month_follows_february() {
    let t = timing(Cadence::Monthly(MonthDay::Last), 23, "UTC");
    let runs = t.next_runs(at("2027-01-31T23:30:00Z"), 3);
    assert_eq!(
        iso(&runs),
        [
            "2027-02-28T23:00:00+00:00",
            "2027-03-31T23:00:00+00:00",
            "2027-04-30T23:00:00+00:00"
        ]
    );
    assert_eq!(t.run_date_from(date("2028-02-10")), date("2028-02-29"));
    assert_eq!(t.key(date("2027-02-28")), "2027-02");
    assert_eq!(t.parse_key("2027-02"), Some(date("2027-02-28")));
}

#[test]
fn daily_runs_cover_yesterday_at_the_same_local_hour_across_dst() {
    // Santiago moves to summer time on 2026-09-06: 07:00 local is 11:00Z, then 10:00Z.
    let t = timing(Cadence::Daily, 7, "America/Santiago");
    let runs = t.next_runs(at("2026-09-04T12:00:00Z"), 3);
    assert_eq!(
        iso(&runs),
        [
            "2026-09-05T11:00:00+00:00",
            "2026-09-06T10:00:00+00:00",
            "2026-09-07T10:00:00+00:00"
        ]
    );
    assert_eq!(
        t.covered(date("2026-09-06")),
        (date("2026-09-05"), date("2026-09-05"))
    );
    assert_eq!(t.key(date("2026-09-06")), "2026-09-06");
    assert_eq!(t.latest_closed(date("2026-09-06")), date("2026-09-06"));
}

#[test]
fn weekly_runs_cover_the_last_full_week_from_the_week_start() {
    // 2026-12-10 is a Thursday.
    let mut t = timing(Cadence::Weekly(Weekday::Thu), 6, "Europe/Madrid");
    assert_eq!(t.run_date_from(date("2026-12-07")), date("2026-12-10"));
    assert_eq!(t.run_date_from(date("2026-12-10")), date("2026-12-10"));
    assert_eq!(
        t.covered(date("2026-12-10")),
        (date("2026-11-30"), date("2026-12-06"))
    );
    t.week_start = Weekday::Sun;
    assert_eq!(
        t.covered(date("2026-12-10")),
        (date("2026-11-29"), date("2026-12-05"))
    );
    // Run on the week start itself: the week that ended yesterday.
    t.cadence = Cadence::Weekly(Weekday::Sun);
    assert_eq!(
        t.covered(date("2026-12-06")),
        (date("2026-11-29"), date("2026-12-05"))
    );
    assert_eq!(t.key(date("2026-12-06")), "2026-W49-7");
    assert_eq!(t.parse_key("2026-W49-7"), Some(date("2026-12-06")));
    assert_eq!(
        t.parse_key("2026-W49-4"),
        None,
        "not this schedule's weekday"
    );
}

#[test]
fn a_rolling_window_covers_the_days_before_the_run() {
    let mut t = timing(Cadence::Weekly(Weekday::Mon), 6, "UTC");
    t.covers = Covers::LastDays(30);
    assert_eq!(
        t.covered(date("2026-12-07")),
        (date("2026-11-07"), date("2026-12-06"))
    );
}

#[test]
fn keys_are_read_back_only_for_run_dates_of_the_schedule() {
    let t = monthly(5, 6, "UTC");
    assert_eq!(t.parse_key("2026-11"), Some(date("2026-11-05")));
    assert_eq!(t.parse_key("2026-13"), None);
    assert_eq!(t.parse_key("2026-11-05"), None);
    let d = timing(Cadence::Daily, 6, "UTC");
    assert_eq!(d.parse_key("2026-02-30"), None);
    assert_eq!(d.parse_key("2026-2-3"), None);
    assert_eq!(d.parse_key("2026-02-03"), Some(date("2026-02-03")));
}

#[test]
fn the_run_of_an_instant_is_the_latest_run_date_on_or_before_it() {
    let m = monthly(28, 6, "UTC");
    assert_eq!(m.run_date_of(date("2026-12-06")), date("2026-11-28"));
    assert_eq!(m.run_date_of(date("2026-12-28")), date("2026-12-28"));
    let w = timing(Cadence::Weekly(Weekday::Wed), 6, "UTC");
    assert_eq!(w.run_date_of(date("2026-12-06")), date("2026-12-02"));
    let last = timing(Cadence::Monthly(MonthDay::Last), 6, "UTC");
    assert_eq!(last.run_date_of(date("2027-03-15")), date("2027-02-28"));
}

#[test]
fn run_now_makes_the_latest_period_whose_days_are_all_over() {
    // Sunday 2026-12-06: the week of Monday 11-30 to Sunday 12-06 is not over; a Thursday
    // schedule's run covering 11-23 … 11-29 is due 12-03.
    let w = timing(Cadence::Weekly(Weekday::Thu), 6, "UTC");
    assert_eq!(w.latest_closed(date("2026-12-06")), date("2026-12-03"));
    assert_eq!(
        w.covered(date("2026-12-03")),
        (date("2026-11-23"), date("2026-11-29"))
    );
    // Monday 12-07: the week 11-30 … 12-06 is over; its run is due Thursday 12-10.
    assert_eq!(w.latest_closed(date("2026-12-07")), date("2026-12-10"));
    // Monthly on the 28th, seen on 12-06: November is over; its run is due 12-28.
    let m = monthly(28, 6, "UTC");
    assert_eq!(m.latest_closed(date("2026-12-06")), date("2026-12-28"));
    assert_eq!(m.latest_closed(date("2026-11-30")), date("2026-11-28"));
    // A rolling 30 days on the last day: the window must have ended before today.
    let mut last = timing(Cadence::Monthly(MonthDay::Last), 6, "UTC");
    last.covers = Covers::LastDays(30);
    assert_eq!(last.latest_closed(date("2026-12-06")), date("2026-11-30"));
    assert_eq!(last.latest_closed(date("2026-11-30")), date("2026-11-30"));
    assert_eq!(last.latest_closed(date("2026-11-29")), date("2026-10-31"));
    let d = timing(Cadence::Daily, 6, "UTC");
    assert_eq!(d.latest_closed(date("2026-12-06")), date("2026-12-06"));
}
