//! The conversation templates read from rollups of closed days must equal what the source
//! tables alone give: over several ranges (two across Santiago's DST change), before and
//! after late writes to chats and to their contacts' owners; narrowed reports read the
//! source; and the hand-worked fixture comes out the same when its days are rolled up.

use chrono_tz::Tz;
use exportd_bench::seed::{self, SeedParams};
use exportd_core::domain::DateRange;
use exportd_worker::{
    reports::{
        Reads,
        conversations::{query::Figures, rollup},
    },
    rollup::Cover,
};

use crate::{
    conversations::{check_templates, fixture},
    harness::TestApp,
    rollups::{day, one, ranges_in, settle},
};

async fn read(
    app: &TestApp,
    rollups: bool,
    account: i64,
    range: &DateRange,
    narrow: (Option<&[i64]>, Option<&[i64]>),
) -> (Figures, Cover) {
    rollup::read(
        &Reads::one(&app.pool),
        rollups,
        account,
        range,
        narrow.0,
        narrow.1,
    )
    .await
    .unwrap()
}

/// Reads the figures from rollups and from the source alone, asserts they are equal and
/// not empty, and returns the days the first read from the source.
async fn same(app: &TestApp, account: i64, range: &DateRange) -> i32 {
    let (rolled, cover) = read(app, true, account, range, (None, None)).await;
    let (source, raw) = read(app, false, account, range, (None, None)).await;
    assert_eq!(raw.raw_days() as i64, range.days());
    assert!(
        source
            .owners
            .values()
            .any(|o| o.contacts.len() > 1 && o.response[2].n > 0),
        "{range:?} has owners with contacts and replies"
    );
    assert!(
        source.users.values().any(|u| u.open > 0) && source.users.values().any(|u| u.closed > 0)
    );
    assert!(!source.hours.is_empty() && !source.sites.is_empty());
    assert_eq!(rolled, source, "{range:?}: {cover:?}");
    cover.raw_days()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conversation_rollups_equal_the_source_through_late_writes() {
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false")]).await;
    let tz: Tz = "America/Santiago".parse().unwrap();
    let seeded = seed::seed(
        &app.pool,
        &SeedParams {
            account_name: "Bandeja".into(),
            plan: "base".into(),
            timezone: tz,
            locale: "es".into(),
            admin_email: "admin@bandeja.example".into(),
            sites: 3,
            agents: 5,
            days: 45,
            last_day: day("2026-09-25"),
            chats_per_day: 90,
            seed: 23,
            events_per_accepted: 0.0,
            bans_per_accepted: 0.0,
            messages: false,
        },
    )
    .await
    .unwrap();
    let acct = seeded.account_id;
    let range = ranges_in(tz);
    let whole = range("2026-08-12", "2026-09-25");
    let ranges = [
        whole,
        range("2026-08-15", "2026-09-20"),
        range("2026-09-05", "2026-09-07"),
        range("2026-09-06", "2026-09-06"),
    ];
    let site = one(
        &app.pool,
        "SELECT min(id) FROM sites WHERE account_id = $1",
        acct,
    )
    .await;
    let owner = one(
        &app.pool,
        "SELECT min(owner_id) FROM contacts WHERE account_id = $1",
        acct,
    )
    .await;

    let (_, cover) = read(&app, true, acct, &whole, (None, None)).await;
    assert_eq!(cover.raw_days(), 45, "nothing is rolled up yet");
    settle(&app, acct, &whole).await;
    for r in &ranges {
        assert_eq!(same(&app, acct, r).await, 0, "{r:?}");
    }
    // Narrowed reports read the source, and only what they are narrowed to.
    let (sites, owners) = ([site], [owner]);
    let (f, cover) = read(&app, true, acct, &whole, (Some(&sites), None)).await;
    assert_eq!(cover.raw_days(), 45);
    assert!(!f.sites.is_empty() && f.sites.keys().all(|s| *s == Some(site)));
    let (f, cover) = read(&app, true, acct, &whole, (None, Some(&owners))).await;
    assert_eq!(cover.raw_days(), 45);
    assert!(!f.owners.is_empty() && f.owners.keys().all(|o| *o == Some(owner)));

    // Late writes about rolled-up days: a conversation closed and one reopened, one taken
    // by another user, one moved to another site, one with an earlier agent reply, a late
    // one; a contact given another owner, one left without, one deleted.
    let (before, _) = read(&app, false, acct, &whole, (None, None)).await;
    for sql in [
        "UPDATE chats SET closed_at = started_at + interval '1 hour'
          WHERE id = (SELECT min(id) FROM chats WHERE account_id = $1 AND closed_at IS NULL
                         AND started_at < '2026-09-10T00:00:00-03:00' AND $2::int8 > 0 AND $3::int8 > 0)",
        "UPDATE chats SET closed_at = NULL
          WHERE id = (SELECT max(id) FROM chats WHERE account_id = $1 AND closed_at IS NOT NULL
                         AND started_at < '2026-09-01T00:00:00-04:00' AND $2::int8 > 0 AND $3::int8 > 0)",
        "UPDATE chats SET accepted_by = $3
          WHERE id = (SELECT min(id) FROM chats WHERE account_id = $1 AND accepted_by IS DISTINCT FROM $3
                         AND started_at >= '2026-09-06T00:00:00-03:00' AND $2::int8 > 0)",
        "UPDATE chats SET site_id = $2
          WHERE id = (SELECT min(id) FROM chats WHERE account_id = $1 AND site_id <> $2
                         AND started_at >= '2026-09-15T00:00:00-03:00' AND $3::int8 > 0)",
        "UPDATE chats SET first_agent_msg_at = first_client_msg_at + interval '3 seconds'
          WHERE id = (SELECT min(id) FROM chats WHERE account_id = $1 AND first_agent_msg_at IS NOT NULL
                         AND started_at >= '2026-08-20T00:00:00-04:00' AND $2::int8 > 0 AND $3::int8 > 0)",
        "INSERT INTO chats (account_id, site_id, contact_id, started_at, accepted_by, first_client_msg_at,
                            first_bot_msg_at, msgs_in, msgs_out)
         SELECT $1, $2, min(id), '2026-08-25T09:30:00-04:00', $3, '2026-08-25T09:30:05-04:00',
                '2026-08-25T09:30:06-04:00', 4, 2
           FROM contacts WHERE account_id = $1",
        "UPDATE contacts SET owner_id = $3
          WHERE id = (SELECT max(contact_id) FROM chats WHERE account_id = $1
                         AND started_at < '2026-08-30T00:00:00-04:00' AND $2::int8 > 0)
            AND owner_id IS DISTINCT FROM $3",
        "UPDATE contacts SET owner_id = NULL
          WHERE id = (SELECT min(ct.id) FROM contacts ct JOIN chats ch ON ch.contact_id = ct.id
                       WHERE ct.account_id = $1 AND ct.owner_id IS NOT NULL AND ct.owner_id <> $3
                         AND ch.started_at >= '2026-09-02T00:00:00-03:00' AND $2::int8 > 0)",
        "DELETE FROM contacts
          WHERE id = (SELECT max(ct.id) FROM contacts ct JOIN chats ch ON ch.contact_id = ct.id
                       WHERE ct.account_id = $1 AND ct.owner_id IS NOT NULL AND ct.owner_id <> $3
                         AND ch.started_at < '2026-09-20T00:00:00-03:00' AND $2::int8 > 0)",
    ] {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(acct)
            .bind(site)
            .bind(owner)
            .execute(&app.pool)
            .await
            .unwrap();
        assert_eq!(r.rows_affected(), 1, "{sql}");
    }
    // A contact's name is not its owner: it leaves no mark.
    let marks = "SELECT count(*) FROM (SELECT day FROM rollup_dirty WHERE account_id = $1 UNION SELECT day FROM rollup_pending WHERE account_id = $1) d";
    let n = one(&app.pool, marks, acct).await;
    assert!(n >= 1, "late writes leave their days dirty: {n}");
    sqlx::query("UPDATE contacts SET name = 'Otro nombre' WHERE account_id = $1")
        .bind(acct)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(one(&app.pool, marks, acct).await, n);

    let (after, _) = read(&app, false, acct, &whole, (None, None)).await;
    for (what, changed) in [
        ("users", before.users != after.users),
        ("sites", before.sites != after.sites),
        ("owners", before.owners != after.owners),
        ("hours", before.hours != after.hours),
    ] {
        assert!(changed, "the late writes change the {what}");
    }
    // Marked days are read from the source until rebuilt, the rest still from rollups.
    let raw = same(&app, acct, &whole).await;
    assert!(raw > 0 && raw < 45, "{raw} days from the source");
    settle(&app, acct, &whole).await;
    for r in &ranges {
        assert_eq!(same(&app, acct, r).await, 0, "{r:?}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hand_worked_templates_come_out_the_same_from_rollups() {
    let app = TestApp::spawn().await;
    let acct = app.account("Inbox", "America/Santiago", "vip", "es").await;
    fixture(&app.pool, acct.id).await;
    let other = app.account("Otra", "America/Santiago", "vip", "es").await;
    fixture(&app.pool, other.id).await;
    let range = DateRange {
        from: day("2026-09-05"),
        to: day("2026-09-07"),
        tz: "America/Santiago".parse().unwrap(),
    };
    settle(&app, acct.id, &range).await;
    let (_, cover) = read(&app, true, acct.id, &range, (None, None)).await;
    assert_eq!(cover.raw_days(), 0);
    assert!(!cover.blocks.is_empty());
    check_templates(&app, &acct.token).await;
    app.shutdown().await;
}
