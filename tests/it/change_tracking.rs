//! Late writes reach reports through rollups, whatever they are (a late message, a chat
//! reassigned, a contact given another owner, a row deleted, a TRUNCATE, a message in a
//! conversation still open days later), and what exportd keeps about them is bounded: one
//! row per account and day, however many writes. Inserts and updates run no exportd
//! trigger: the next report reads them from the WAL (a logical replication slot) before it
//! plans; a slot gone with writes unread rebuilds every day. Every
//! kind that declares rollups is checked file against file: read through its rollups, and
//! from the source tables alone.

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use exportd_bench::seed::{self, SeedParams};
use exportd_core::{
    domain::{DateRange, Format},
    kinds::ReportKind,
};
use exportd_worker::{
    jobs::generate::write_report,
    reports::{Meta, Reads},
    rollup,
};

use crate::{
    harness::TestApp,
    rollups::{one, settle},
    sheets::csv_zip,
};

const DIRTY: &str = "SELECT count(*) FROM (SELECT day FROM rollup_dirty WHERE account_id = $1
                      UNION SELECT day FROM rollup_pending WHERE account_id = $1) d";

/// A kind's report of `range` as csv parts, through rollups or from the source alone.
async fn parts(
    app: &TestApp,
    kind: ReportKind,
    account: i64,
    range: DateRange,
    rollups: bool,
) -> Vec<(String, Vec<Vec<String>>)> {
    let meta = Meta {
        account: exportd_core::accounts::get(&app.pool, account)
            .await
            .unwrap()
            .unwrap(),
        range,
        generated_at: "2026-12-01T00:00:00Z".parse().unwrap(),
        options: Default::default(),
        feed: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.zip");
    let out = Box::new(std::fs::File::create(&path).unwrap());
    write_report(
        Reads::one(&app.pool),
        rollups,
        kind,
        meta,
        Format::Csv,
        out,
        |_| {},
    )
    .await
    .unwrap();
    csv_zip(&std::fs::read(&path).unwrap(), b',')
}

/// Two cells are the same figure: equal, or numbers equal to rounding.
fn same_cell(a: &str, b: &str) -> bool {
    a == b
        || matches!((a.parse::<f64>(), b.parse::<f64>()),
            (Ok(x), Ok(y)) if (x - y).abs() <= 1e-6 * x.abs().max(1.0))
}

/// Every kind with rollups gives the same report through them as from the source alone;
/// with `all_rolled`, without reading a day from the source.
async fn every_kind_agrees(
    app: &TestApp,
    account: i64,
    range: DateRange,
    what: &str,
    all_rolled: bool,
) {
    let (_, cover) = rollup::plan_range(&app.pool, true, account, &range)
        .await
        .unwrap();
    if all_rolled {
        assert_eq!(cover.raw_days(), 0, "{what}: every day from rollups");
    }
    for (kind, _) in rollup::spec::registered() {
        let rolled = parts(app, kind, account, range, true).await;
        let source = parts(app, kind, account, range, false).await;
        assert_eq!(rolled.len(), source.len(), "{what}: {kind}");
        for ((name, r), (_, s)) in rolled.iter().zip(&source) {
            assert_eq!(r.len(), s.len(), "{what}: {kind} {name}: rows");
            for (i, (rr, sr)) in r.iter().zip(s).enumerate() {
                let same = rr.len() == sr.len() && rr.iter().zip(sr).all(|(a, b)| same_cell(a, b));
                assert!(
                    same,
                    "{what}: {kind} {name} row {i}:\n rollups {rr:?}\n source  {sr:?}"
                );
            }
        }
    }
}

async fn exec(app: &TestApp, sql: &str, account: i64) -> u64 {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap()
        .rows_affected()
}

/// Five agents' messages written late, a minute into the account's first chats.
const LATE_MESSAGES: &str =
    "INSERT INTO messages (account_id, chat_id, sender, agent_id, sent_at, body)
     SELECT account_id, id, 'agent', accepted_by, started_at + interval '1 minute', 'tarde'
       FROM chats WHERE account_id = $1 AND accepted_by IS NOT NULL ORDER BY started_at LIMIT 5";

/// A small account (2 sites, 3 agents) with four closed days, its rollups built and equal
/// to the source; returns it and the four days.
async fn built_small_account(app: &TestApp, name: &str, seed: u64) -> (i64, DateRange) {
    let tz: Tz = chrono_tz::UTC;
    let last: NaiveDate = (Utc::now() - chrono::Duration::days(3)).date_naive();
    let seeded = seed::seed(
        &app.pool,
        &SeedParams {
            account_name: name.into(),
            plan: "pro".into(),
            timezone: tz,
            locale: "es".into(),
            admin_email: format!("admin@{seed}.example"),
            sites: 2,
            agents: 3,
            days: 4,
            last_day: last,
            chats_per_day: 20,
            seed,
            events_per_accepted: 0.2,
            bans_per_accepted: 0.0,
            messages: true,
        },
    )
    .await
    .unwrap();
    let acct = seeded.account_id;
    let range = DateRange {
        from: last - chrono::Duration::days(3),
        to: last,
        tz,
    };
    settle(app, acct, &range).await;
    every_kind_agrees(app, acct, range, "built", true).await;
    (acct, range)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn late_writes_of_every_sort_reach_every_kind_and_leave_one_row_a_day() {
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false"), ("WORKER", "none")]).await;
    let tz: Tz = chrono_tz::UTC;
    let last: NaiveDate = (Utc::now() - chrono::Duration::days(5)).date_naive();
    let seeded = seed::seed(
        &app.pool,
        &SeedParams {
            account_name: "Late writes".into(),
            plan: "pro".into(),
            timezone: tz,
            locale: "es".into(),
            admin_email: "admin@late.example".into(),
            sites: 3,
            agents: 6,
            days: 10,
            last_day: last,
            chats_per_day: 60,
            seed: 5,
            events_per_accepted: 0.3,
            bans_per_accepted: 0.05,
            messages: true,
        },
    )
    .await
    .unwrap();
    let acct = seeded.account_id;
    let range = DateRange {
        from: last - chrono::Duration::days(9),
        to: last,
        tz,
    };
    // Owners for the conversations report.
    exec(
        &app,
        "UPDATE contacts c SET owner_id = (SELECT min(id) FROM users u WHERE u.account_id = $1)
          WHERE c.account_id = $1 AND c.id % 3 = 0",
        acct,
    )
    .await;
    // A conversation of the range's third day still open (WhatsApp's are, for days).
    exec(
        &app,
        "UPDATE chats SET closed_at = NULL WHERE id = (
             SELECT id FROM chats WHERE account_id = $1 AND accepted_by IS NOT NULL
                AND started_at >= (SELECT min(started_at) FROM chats WHERE account_id = $1) + interval '2 days'
              ORDER BY started_at LIMIT 1)",
        acct,
    )
    .await;
    settle(&app, acct, &range).await;
    every_kind_agrees(&app, acct, range, "built", true).await;

    // The platform's write to it runs no trigger and keeps nothing.
    exec(
        &app,
        "UPDATE chats SET msgs_in = msgs_in + 1, msgs_out = msgs_out + 1, last_msg_at = now()
          WHERE account_id = $1 AND closed_at IS NULL",
        acct,
    )
    .await;
    assert_eq!(
        one(&app.pool, DIRTY, acct).await,
        0,
        "a write to an open conversation marks nothing"
    );
    // The next report reads it from the WAL, reads its day from the source, and leaves the
    // day marked for the builder.
    every_kind_agrees(&app, acct, range, "an open conversation written to", false).await;
    assert!(
        one(&app.pool, DIRTY, acct).await > 0,
        "the report marked the day it read from the source"
    );
    settle(&app, acct, &range).await;
    every_kind_agrees(&app, acct, range, "an open conversation, rebuilt", true).await;

    let late: [(&str, &str); 6] = [
        (
            "a late agent message",
            "INSERT INTO messages (account_id, chat_id, sender, agent_id, sent_at, body)
             SELECT account_id, id, 'agent', accepted_by, started_at + interval '1 minute', 'tarde'
               FROM chats WHERE account_id = $1 AND accepted_by IS NOT NULL ORDER BY started_at LIMIT 3",
        ),
        (
            "a chat reassigned",
            "UPDATE chats SET accepted_by = (SELECT max(id) FROM users WHERE account_id = $1 AND role = 'agent')
              WHERE id = (SELECT id FROM chats WHERE account_id = $1 AND accepted_by IS NOT NULL
                           ORDER BY started_at DESC LIMIT 1 OFFSET 40)",
        ),
        (
            "a contact given another owner",
            "UPDATE contacts SET owner_id = (SELECT max(id) FROM users WHERE account_id = $1)
              WHERE id = (SELECT contact_id FROM chats WHERE account_id = $1 ORDER BY started_at LIMIT 1 OFFSET 100)",
        ),
        (
            "rows deleted",
            "WITH c AS (DELETE FROM calls WHERE id IN (SELECT id FROM calls WHERE account_id = $1 LIMIT 5) RETURNING 1),
                  s AS (DELETE FROM steps WHERE id IN (SELECT id FROM steps WHERE account_id = $1 LIMIT 5) RETURNING 1)
             SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM s)",
        ),
        (
            "a chat moved to another site",
            "UPDATE chats SET site_id = (SELECT max(id) FROM sites WHERE account_id = $1)
              WHERE id = (SELECT id FROM chats WHERE account_id = $1 AND site_id <> (SELECT max(id) FROM sites WHERE account_id = $1)
                           ORDER BY started_at LIMIT 1 OFFSET 200)",
        ),
        ("a TRUNCATE", "TRUNCATE bans"),
    ];
    for (what, sql) in late {
        let before = one(&app.pool, DIRTY, acct).await;
        assert_eq!(before, 0, "{what}: nothing dirty before");
        if what == "a TRUNCATE" {
            sqlx::query(sql).execute(&app.pool).await.unwrap();
        } else {
            exec(&app, sql, acct).await;
        }
        // The next report sees it, before any rebuild.
        every_kind_agrees(&app, acct, range, what, false).await;
        assert!(
            one(&app.pool, DIRTY, acct).await > 0,
            "{what}: its days are dirty"
        );
        settle(&app, acct, &range).await;
        every_kind_agrees(&app, acct, range, what, true).await;
    }

    // Many late writes to one day keep one row for it.
    let n = exec(
        &app,
        "UPDATE chats SET msgs_in = msgs_in + 1 WHERE id IN (
             SELECT id FROM chats WHERE account_id = $1
                AND started_at >= (SELECT min(started_at) FROM chats WHERE account_id = $1) + interval '2 days'
              ORDER BY started_at LIMIT 40)",
        acct,
    )
    .await;
    assert_eq!(n, 40);
    for _ in 0..200 {
        exec(
            &app,
            "UPDATE chats SET msgs_in = msgs_in + 1, last_msg_at = now()
              WHERE id = (SELECT id FROM chats WHERE account_id = $1 ORDER BY started_at LIMIT 1 OFFSET 150)",
            acct,
        )
        .await;
    }
    let rows = one(&app.pool, DIRTY, acct).await;
    assert!(rows <= 3, "240 late writes to two days keep {rows} rows");
    every_kind_agrees(&app, acct, range, "many writes", false).await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platforms_inserts_and_updates_run_no_exportd_trigger() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    // Every trigger exportd keeps on a source table fires on a delete, a truncate, or an
    // update of named columns the platform's normal writes do not set.
    let triggers: Vec<(String, String, i16, i16)> = sqlx::query_as(
        "SELECT c.relname::text, t.tgname::text, t.tgtype, cardinality(t.tgattr::int2[])::int2
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          WHERE NOT t.tgisinternal AND c.relname IN ('chats', 'messages', 'steps', 'calls',
                'chat_events', 'offline_messages', 'bans', 'agent_presence', 'contacts')",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(triggers.len() >= 9, "{triggers:?}");
    // tgtype bits: 4 insert, 16 update.
    let (insert, update) = (4, 16);
    let hot: Vec<_> = triggers
        .iter()
        .filter(|(table, name, ty, cols)| {
            // chat_events fills its site before insert (migration 0005), not a rollup's.
            let fill = table == "chat_events" && name == "chat_events_fill_site";
            !fill && (ty & insert != 0 || (ty & update != 0 && *cols == 0))
        })
        .collect();
    assert!(hot.is_empty(), "triggers on inserts or any update: {hot:?}");
    for (table, cols) in [
        ("chats", "last_msg_at"),
        ("chats", "closed_at"),
        ("chats", "msgs_in"),
    ] {
        let watched: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (t.tgattr::int2[])
                            WHERE c.relname = $1 AND a.attname = $2 AND NOT t.tgisinternal)",
        )
        .bind(table)
        .bind(cols)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert!(!watched, "a trigger on {table}.{cols}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_about_now_keep_nothing() {
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false"), ("WORKER", "none")]).await;
    let acct = app.account("Now", "UTC", "pro", "es").await.id;
    // The slot exists from the first drain on (as from a worker's start).
    assert!(rollup::changes::drain(&app.pool).await.unwrap().tracking);
    for _ in 0..50 {
        exec(
            &app,
            "WITH c AS (INSERT INTO chats (account_id, started_at) VALUES ($1, now()) RETURNING id)
             INSERT INTO messages (account_id, chat_id, sender, sent_at) SELECT $1, id, 'client', now() FROM c",
            acct,
        )
        .await;
        exec(
            &app,
            "UPDATE chats SET msgs_in = msgs_in + 1, closed_at = now() WHERE account_id = $1",
            acct,
        )
        .await;
    }
    // Read from the WAL: writes about now mark nothing.
    let drained = rollup::changes::drain(&app.pool).await.unwrap();
    assert!(drained.tracking, "change tracking is on");
    assert!(drained.rows >= 100, "{drained:?}");
    assert_eq!(one(&app.pool, DIRTY, acct).await, 0);

    // A conversation started two days ago and still going on: its 50 messages mark its day
    // once.
    let chat: i64 = one(
        &app.pool,
        "INSERT INTO chats (account_id, started_at, last_msg_at)
         VALUES ($1, now() - interval '2 days', now() - interval '2 days') RETURNING id",
        acct,
    )
    .await;
    exec(&app, "DELETE FROM rollup_dirty WHERE account_id = $1", acct).await;
    for _ in 0..50 {
        sqlx::query(
            "WITH m AS (INSERT INTO messages (account_id, chat_id, sender, sent_at, body)
                        VALUES ($1, $2, 'client', now(), 'sigo aquí') RETURNING 1)
             UPDATE chats SET last_msg_at = now(), msgs_in = msgs_in + 1 WHERE id = $2",
        )
        .bind(acct)
        .bind(chat)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE chats SET closed_at = now() WHERE id = $1")
        .bind(chat)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(one(&app.pool, DIRTY, acct).await, 0, "no trigger marks it");
    let drained = rollup::changes::drain(&app.pool).await.unwrap();
    assert!(drained.rows >= 51, "{drained:?}");
    assert_eq!(one(&app.pool, DIRTY, acct).await, 1, "its day, once");
    // What was read is not read again.
    let again = rollup::changes::drain(&app.pool).await.unwrap();
    assert_eq!((again.rows, again.marked), (0, 0), "{again:?}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_publication_reports_read_the_source_and_stay_right() {
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false"), ("WORKER", "none")]).await;
    let (acct, range) = built_small_account(&app, "No WAL", 9).await;
    // The publication goes (an operator's mistake): nothing says which days change now.
    sqlx::query("DROP PUBLICATION exportd_rollups")
        .execute(&app.pool)
        .await
        .unwrap();
    exec(&app, LATE_MESSAGES, acct).await;
    let (_, cover) = rollup::plan_range(&app.pool, true, acct, &range)
        .await
        .unwrap();
    assert_eq!(cover.raw_days(), 4, "every day from the source: {cover:?}");
    every_kind_agrees(&app, acct, range, "no publication", false).await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_gone_with_writes_unread_rebuilds_every_day_and_loses_none() {
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false"), ("WORKER", "none")]).await;
    let (acct, range) = built_small_account(&app, "Slot gone", 11).await;
    const SLOTS: &str = "SELECT count(*) FROM pg_replication_slots
                          WHERE database = current_database() AND $1::int8 IS NOT NULL";
    assert_eq!(
        one(&app.pool, SLOTS, acct).await,
        1,
        "the builder made its slot"
    );
    let before = parts(&app, ReportKind::AgentsActivity, acct, range, true).await;

    // A late write the slot has not been read for, then the slot goes: dropped by an
    // operator, or not on the standby promoted in a failover. Its WAL is no one's now.
    exec(&app, LATE_MESSAGES, acct).await;
    exec(
        &app,
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
          WHERE database = current_database() AND $1::int8 IS NOT NULL",
        acct,
    )
    .await;
    assert_eq!(one(&app.pool, SLOTS, acct).await, 0);

    // The next report makes the slot again and, not knowing what changed without it,
    // reads every day from the source and marks each for the builder.
    let (_, cover) = rollup::plan_range(&app.pool, true, acct, &range)
        .await
        .unwrap();
    assert_eq!(cover.raw_days(), 4, "every day from the source: {cover:?}");
    assert_eq!(
        one(&app.pool, SLOTS, acct).await,
        1,
        "the slot is made again"
    );
    every_kind_agrees(&app, acct, range, "the slot gone", false).await;
    // The builder rebuilds them all, with the late messages.
    settle(&app, acct, &range).await;
    every_kind_agrees(&app, acct, range, "rebuilt after the slot", true).await;
    assert_ne!(
        parts(&app, ReportKind::AgentsActivity, acct, range, true).await,
        before,
        "the agents' messages count the late ones"
    );
    app.shutdown().await;
}
