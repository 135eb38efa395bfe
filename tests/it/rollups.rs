//! Rollups of closed days: a report read from them must equal the one read from the source
//! tables, before and after late writes, across a DST change; and the hand-computed fixture
//! must come out the same when its week is read from rollups.

use chrono::NaiveDate;
use chrono_tz::Tz;
use exportd_bench::seed::{self, SeedParams};
use exportd_core::domain::DateRange;
use exportd_worker::{
    reports::{
        Reads,
        global::{self, GlobalReport},
    },
    rollup::{self, Cover},
};
use serde_json::json;
use sqlx::PgPool;

use crate::{
    fixture,
    harness::{TestApp, poll},
    sheets,
};

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Ranges of days in `tz`, each from and to a `YYYY-MM-DD` day.
pub fn ranges_in(tz: Tz) -> impl Fn(&str, &str) -> DateRange {
    move |from, to| DateRange {
        from: day(from),
        to: day(to),
        tz,
    }
}

async fn read(
    app: &TestApp,
    account: i64,
    range: &DateRange,
    rollups: bool,
) -> (GlobalReport, Cover) {
    global::build_with_cover(
        &Reads::one(&app.pool),
        account,
        range,
        chrono::Utc::now(),
        rollups,
    )
    .await
    .unwrap()
}

/// Runs the rollup builder until `range` is read from rollups alone.
pub async fn settle(app: &TestApp, account: i64, range: &DateRange) {
    poll(180, "the range to be read from rollups alone", || async {
        rollup::refresh(&app.pool, None, &app.ctx.cfg, &|| false)
            .await
            .unwrap();
        let (_, cover) = rollup::plan_range(&app.pool, true, account, range)
            .await
            .unwrap();
        (cover.raw_days() == 0).then_some(())
    })
    .await;
}

async fn same(app: &TestApp, account: i64, range: &DateRange) -> Cover {
    let (rolled, cover) = read(app, account, range, true).await;
    let (source, _) = read(app, account, range, false).await;
    let diff = global::differences(&rolled, &source);
    assert!(
        diff.is_empty(),
        "{} – {}: rollups and source differ:\n{}",
        range.from,
        range.to,
        diff.join("\n")
    );
    assert!(!source.by_agent.is_empty());
    cover
}

/// The days late writes left dirty on an account that the rollup builder has not rebuilt.
async fn marks(pool: &PgPool, account: i64) -> i64 {
    one(
        pool,
        "SELECT count(*) FROM (SELECT day FROM rollup_dirty WHERE account_id = $1 UNION SELECT day FROM rollup_pending WHERE account_id = $1) d",
        account,
    )
    .await
}

/// One `int8` a query of account `$1` gives.
pub async fn one(pool: &PgPool, sql: &str, account: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollups_equal_the_source_through_late_writes_and_a_dst_change() {
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false")]).await;
    let tz: Tz = "America/Santiago".parse().unwrap();
    // 2026-08-12 … 2026-09-25; Santiago's clocks jump from 00:00 to 01:00 on 2026-09-06.
    let seeded = seed::seed(
        &app.pool,
        &SeedParams {
            account_name: "Rollups".into(),
            plan: "base".into(),
            timezone: tz,
            locale: "es".into(),
            admin_email: "admin@rollups.example".into(),
            sites: 5,
            agents: 20,
            days: 45,
            last_day: day("2026-09-25"),
            chats_per_day: 300,
            seed: 11,
            events_per_accepted: 0.2,
            bans_per_accepted: 0.02,
            messages: false,
        },
    )
    .await
    .unwrap();
    let acct = seeded.account_id;
    let range = ranges_in(tz);
    let whole = range("2026-08-12", "2026-09-25");

    // Before any rollup exists, everything is read from the source.
    let (_, cover) = read(&app, acct, &whole, true).await;
    assert_eq!(cover.raw_days(), 45);
    settle(&app, acct, &whole).await;
    let ranges = [
        whole,
        range("2026-08-15", "2026-09-20"),
        range("2026-09-06", "2026-09-06"),
        range("2026-09-05", "2026-09-07"),
        range("2026-08-12", "2026-08-12"),
    ];
    for r in &ranges {
        let cover = same(&app, acct, r).await;
        assert_eq!(cover.raw_days(), 0, "{r:?}");
        assert!(!cover.blocks.is_empty());
    }
    let (_, cover) = read(&app, acct, &whole, true).await;
    assert!(
        cover.blocks.len() < 12,
        "45 days are read from a few blocks, not day by day: {:?}",
        cover.blocks
    );
    // Another timezone has no rollups: its local days are other instants.
    let (_, cover) = read(
        &app,
        acct,
        &DateRange {
            tz: Tz::UTC,
            ..whole
        },
        true,
    )
    .await;
    assert_eq!(cover.raw_days(), 45);

    // Late writes about rolled-up days, of every kind the report reads.
    let (before, _) = read(&app, acct, &whole, false).await;
    let site = one(
        &app.pool,
        "SELECT min(id) FROM sites WHERE account_id = $1",
        acct,
    )
    .await;
    let agent = one(
        &app.pool,
        "SELECT min(id) FROM users WHERE account_id = $1 AND role = 'agent'",
        acct,
    )
    .await;
    for sql in [
        // A new accepted, rated chat.
        "INSERT INTO chats (account_id, site_id, started_at, accepted_at, accepted_by, first_client_msg_at,
                            first_agent_msg_at, last_msg_at, rating)
         VALUES ($1, $2, '2026-08-20T12:00:00-04:00', '2026-08-20T12:01:00-04:00', $3, '2026-08-20T12:00:30-04:00',
                 '2026-08-20T12:02:00-04:00', '2026-08-20T12:30:00-04:00', 1)",
        // A rating and a reply taken back.
        "UPDATE chats SET rating = -1, first_agent_msg_at = NULL
          WHERE id = (SELECT min(id) FROM chats WHERE account_id = $1 AND accepted_at IS NOT NULL
                         AND started_at >= '2026-09-10T00:00:00-03:00' AND $2::int8 > 0 AND $3::int8 > 0)",
        // A chat moved to another day.
        "UPDATE chats SET started_at = started_at - interval '3 days'
          WHERE id = (SELECT max(id) FROM chats WHERE account_id = $1 AND started_at < '2026-09-15T00:00:00-03:00'
                         AND $2::int8 > 0 AND $3::int8 > 0)",
        "DELETE FROM calls WHERE id = (SELECT min(id) FROM calls WHERE account_id = $1
                                         AND started_at >= '2026-09-01T00:00:00-04:00' AND $2::int8 > 0 AND $3::int8 > 0)",
        // An event whose chat is unknown, so its site is too; and one on the same day whose site is known.
        "INSERT INTO chat_events (account_id, chat_id, agent_id, kind, at)
         VALUES ($1, 999999999, $3, 'transferred', '2026-09-06T12:00:00-03:00'),
                ($1, (SELECT min(id) FROM chats WHERE account_id = $1 AND site_id = $2), $3, 'rejected', '2026-09-06T13:00:00-03:00')",
        // Presence still open, from two days before the end of the range.
        "INSERT INTO agent_presence (account_id, agent_id, status, started_at)
         VALUES ($1, $3, 'away', '2026-09-24T22:00:00-03:00') RETURNING $2::int8",
        "INSERT INTO offline_messages (account_id, site_id, agent_id, created_at) VALUES ($1, $2, $3, '2026-08-25T10:00:00-04:00')",
        "INSERT INTO bans (account_id, site_id, agent_id, created_at) VALUES ($1, $2, $3, '2026-09-01T10:00:00-04:00')",
    ] {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(acct)
            .bind(site)
            .bind(agent)
            .execute(&app.pool)
            .await
            .unwrap();
        assert!(r.rows_affected() >= 1, "{sql}");
    }
    let left = marks(&app.pool, acct).await;
    assert!(left >= 1, "late writes leave their days dirty: {left}");
    let (after, _) = read(&app, acct, &whole, false).await;
    assert!(
        !global::differences(&before, &after).is_empty(),
        "the late writes change the report"
    );
    // Marked days are read from the source until rebuilt; the rest still from rollups.
    for r in &ranges {
        let cover = same(&app, acct, r).await;
        if r.days() > 3 {
            assert!(
                cover.raw_days() > 0 && !cover.blocks.is_empty(),
                "{r:?}: {cover:?}"
            );
        }
    }
    settle(&app, acct, &whole).await;
    for r in &ranges {
        assert_eq!(same(&app, acct, r).await.raw_days(), 0, "{r:?}");
    }
    assert_eq!(marks(&app.pool, acct).await, 0);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hand_computed_report_comes_out_the_same_from_rollups() {
    let app = TestApp::spawn().await;
    let acct = app
        .account("Cuenta Fixture", fixture::TZ, "pro", "es")
        .await;
    fixture::insert(&app.pool, acct.id).await;
    let other = app.account("Vecina", fixture::TZ, "pro", "es").await;
    fixture::insert(&app.pool, other.id).await;
    let range = DateRange {
        from: day(fixture::FROM),
        to: day(fixture::TO),
        tz: fixture::TZ.parse().unwrap(),
    };
    settle(&app, acct.id, &range).await;
    let (_, cover) = read(&app, acct.id, &range, true).await;
    assert_eq!(cover.raw_days(), 0);

    for format in ["xlsx", "csv"] {
        let bytes = app
            .export_file(
                &acct.token,
                &json!({"kind": "global", "format": format, "from": fixture::FROM, "to": fixture::TO}),
            )
            .await;
        let (book, by_agent, per_site) = if format == "xlsx" {
            (
                sheets::xlsx(&bytes),
                sheets::whole_numbers(fixture::by_agent()),
                sheets::whole_numbers(fixture::per_site()),
            )
        } else {
            (
                sheets::csv_zip(&bytes, b','),
                fixture::by_agent(),
                fixture::per_site(),
            )
        };
        let part = |xlsx: &str, csv: &str| {
            sheets::part(&book, if format == "xlsx" { xlsx } else { csv }).to_vec()
        };
        assert_eq!(part("Por sitio", "by_site.csv"), fixture::by_site());
        assert_eq!(part("Por agente", "by_agent.csv"), by_agent);
        assert_eq!(part("Por sitio y agente", "per_site.csv"), per_site);
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollups_follow_a_timezone_change_and_go_with_their_account() {
    let app = TestApp::spawn_with(&[
        ("EXPORTD_ROLLUPS", "false"),
        ("EXPORTD_ROLLUP_RETIRE_SECS", "0"),
    ])
    .await;
    let seeded = seed::seed(
        &app.pool,
        &SeedParams {
            account_name: "Cambia".into(),
            plan: "base".into(),
            timezone: "America/Santiago".parse().unwrap(),
            locale: "es".into(),
            admin_email: "admin@cambia.example".into(),
            sites: 2,
            agents: 4,
            days: 10,
            last_day: day("2026-10-10"),
            chats_per_day: 50,
            seed: 3,
            events_per_accepted: 0.1,
            bans_per_accepted: 0.01,
            messages: false,
        },
    )
    .await
    .unwrap();
    let acct = seeded.account_id;
    let range = |tz: &str| DateRange {
        from: day("2026-10-01"),
        to: day("2026-10-10"),
        tz: tz.parse().unwrap(),
    };
    settle(&app, acct, &range("America/Santiago")).await;
    let series = |tz: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i32>(
                "SELECT id FROM rollup_series WHERE account_id = $1 AND tz = $2",
            )
            .bind(acct)
            .bind(tz)
            .fetch_optional(&pool)
            .await
            .unwrap()
        }
    };
    let cells = |id: i32| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM rollup_cells WHERE series_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let santiago = series("America/Santiago").await.expect("built");
    assert!(cells(santiago).await > 0);

    sqlx::query("UPDATE accounts SET timezone = 'Europe/Madrid' WHERE id = $1")
        .bind(acct)
        .execute(&app.pool)
        .await
        .unwrap();
    settle(&app, acct, &range("Europe/Madrid")).await;
    // Left behind: no report plans with the old timezone's rollups any more, and the next
    // pass deletes them (here at once; by default after an hour).
    let (_, cover) = read(&app, acct, &range("America/Santiago"), true).await;
    assert_eq!(cover.raw_days(), 10);
    rollup::refresh(&app.pool, None, &app.ctx.cfg, &|| false)
        .await
        .unwrap();
    assert_eq!(series("America/Santiago").await, None);
    assert_eq!(
        cells(santiago).await,
        0,
        "the old timezone's cells are gone"
    );
    let madrid = series("Europe/Madrid").await.expect("built");
    same(&app, acct, &range("Europe/Madrid")).await;

    // A late write, then the account goes: its rollups and marks go with it.
    sqlx::query("INSERT INTO bans (account_id, created_at) VALUES ($1, '2026-10-05T10:00:00Z')")
        .bind(acct)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(acct)
        .execute(&app.pool)
        .await
        .unwrap();
    rollup::refresh(&app.pool, None, &app.ctx.cfg, &|| false)
        .await
        .unwrap();
    assert_eq!(series("Europe/Madrid").await, None);
    assert_eq!(cells(madrid).await, 0);
    assert_eq!(marks(&app.pool, acct).await, 0);
    app.shutdown().await;
}
