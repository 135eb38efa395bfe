//! The bot platform's reports read from rollups of closed days, `steps`, `agents_activity`
//! and `sessions`, must equal what the source tables alone give: over several ranges (two
//! across Santiago's DST change), narrowed or not, before and after late writes to steps,
//! messages and their chats; and the hand-worked bot fixture must come out the same when its
//! days are read from rollups.

use chrono_tz::Tz;
use exportd_bench::seed::{self, SeedParams};
use exportd_core::domain::DateRange;
use exportd_worker::reports::{
    Reads, agents_activity::rollup as agents, sessions::rollup as sessions, steps::rollup as steps,
};

use crate::{
    bot_fixture::two_accounts,
    bot_reports::{check_agents_activity, check_sessions, check_steps},
    harness::TestApp,
    rollups::{day, one, ranges_in, settle},
};

/// Narrowing options of a read: sites, agents.
type Narrow<'a> = (Option<&'a [i64]>, Option<&'a [i64]>);

/// Reads both kinds from rollups and from the source alone, asserts they are equal and not
/// empty, and returns the days read from the source by the first.
async fn same(app: &TestApp, account: i64, range: &DateRange, (sites, who): Narrow<'_>) -> i32 {
    let (rolled, cover) = steps::read(&Reads::one(&app.pool), true, account, range, sites)
        .await
        .unwrap();
    let (source, raw) = steps::read(&Reads::one(&app.pool), false, account, range, sites)
        .await
        .unwrap();
    assert_eq!(raw.raw_days() as i64, range.days());
    assert!(!source.is_empty(), "{range:?} has steps");
    assert_eq!(rolled, source, "steps {range:?} {sites:?}: {cover:?}");
    if let Some(sites) = sites {
        assert!(
            source
                .keys()
                .all(|(s, _)| s.is_some_and(|s| sites.contains(&s)))
        );
    }
    let (rolled, cover2) = agents::read(&Reads::one(&app.pool), true, account, range, sites, who)
        .await
        .unwrap();
    let (source, _) = agents::read(&Reads::one(&app.pool), false, account, range, sites, who)
        .await
        .unwrap();
    assert_eq!(cover, cover2);
    assert!(!source.is_empty(), "{range:?} has agents");
    assert!(source.values().any(|a| a.messages > 0));
    assert_eq!(
        rolled, source,
        "agents {range:?} {sites:?} {who:?}: {cover:?}"
    );
    if let Some(who) = who {
        assert!(source.keys().all(|a| who.contains(a)));
    }
    let (rolled, cover3) = sessions::read(&Reads::one(&app.pool), true, account, range, sites)
        .await
        .unwrap();
    let (source, _) = sessions::read(&Reads::one(&app.pool), false, account, range, sites)
        .await
        .unwrap();
    assert_eq!(cover, cover3);
    assert!(
        source.by_bot.iter().any(|r| r.1 && r.2 > 0 && r.5 > 0),
        "{source:?}"
    );
    assert!(!source.traffic.is_empty() && !source.per_hour.is_empty());
    assert_eq!(rolled, source, "sessions {range:?} {sites:?}: {cover:?}");
    if let Some(sites) = sites {
        assert!(source.traffic.iter().all(|t| sites.contains(&t.site_id)));
    }
    cover.raw_days()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bot_rollups_equal_the_source_through_late_writes() {
    let app = TestApp::spawn_with(&[("EXPORTD_ROLLUPS", "false")]).await;
    let tz: Tz = "America/Santiago".parse().unwrap();
    let seeded = seed::seed(
        &app.pool,
        &SeedParams {
            account_name: "Pasos".into(),
            plan: "base".into(),
            timezone: tz,
            locale: "es".into(),
            admin_email: "admin@pasos.example".into(),
            sites: 4,
            agents: 6,
            days: 45,
            last_day: day("2026-09-25"),
            chats_per_day: 120,
            seed: 17,
            events_per_accepted: 0.0,
            bans_per_accepted: 0.0,
            messages: true,
        },
    )
    .await
    .unwrap();
    let acct = seeded.account_id;
    let range = ranges_in(tz);
    let whole = range("2026-08-12", "2026-09-25");
    let site = one(
        &app.pool,
        "SELECT min(id) FROM sites WHERE account_id = $1",
        acct,
    )
    .await;
    let agent = one(
        &app.pool,
        "SELECT min(accepted_by) FROM chats WHERE account_id = $1",
        acct,
    )
    .await;
    let (sites, who) = ([site], [agent]);
    let narrows: [Narrow; 3] = [(None, None), (Some(&sites), None), (None, Some(&who))];

    let (_, cover) = steps::read(&Reads::one(&app.pool), true, acct, &whole, None)
        .await
        .unwrap();
    assert_eq!(cover.raw_days(), 45, "nothing is rolled up yet");
    settle(&app, acct, &whole).await;
    let ranges = [
        whole,
        range("2026-08-15", "2026-09-20"),
        range("2026-09-05", "2026-09-07"),
        range("2026-09-06", "2026-09-06"),
    ];
    for r in &ranges {
        for n in narrows {
            assert_eq!(same(&app, acct, r, n).await, 0, "{r:?}");
        }
    }

    // Late writes about rolled-up days: a step entered, a step's end, a step deleted; an
    // agent's message; a chat moved to another site (its steps and messages go with it); a
    // chat taken by another agent, one that lasted longer, and one whose contact is gone.
    let (steps_before, _) = steps::read(&Reads::one(&app.pool), false, acct, &whole, None)
        .await
        .unwrap();
    let (agents_before, _) = agents::read(&Reads::one(&app.pool), false, acct, &whole, None, None)
        .await
        .unwrap();
    let (sessions_before, _) = sessions::read(&Reads::one(&app.pool), false, acct, &whole, None)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO steps (account_id, chat_id, step, entered_at, left_at)
         SELECT $1, min(id), 'Paso tardío', '2026-08-20T12:00:00-04:00', '2026-08-20T12:00:07-04:00'
           FROM chats WHERE account_id = $1 AND $2::int8 > 0",
        "UPDATE steps SET left_at = entered_at + interval '17 minutes'
          WHERE id = (SELECT min(id) FROM steps WHERE account_id = $1 AND $2::int8 > 0
                         AND entered_at >= '2026-09-06T01:00:00-03:00' AND entered_at < '2026-09-07T00:00:00-03:00')",
        "DELETE FROM steps WHERE id = (SELECT max(id) FROM steps WHERE account_id = $1 AND $2::int8 > 0
                                          AND entered_at < '2026-09-12T00:00:00-03:00')",
        "INSERT INTO messages (account_id, chat_id, sender, agent_id, sent_at, body)
         SELECT $1, min(id), 'agent', $3, '2026-08-22T10:00:00-04:00', 'tarde'
           FROM chats WHERE account_id = $1 AND $2::int8 > 0",
        "UPDATE chats SET site_id = $2
          WHERE id = (SELECT min(c.id) FROM chats c JOIN steps s ON s.chat_id = c.id
                       WHERE c.account_id = $1 AND c.site_id <> $2 AND c.accepted_by IS NOT NULL
                         AND c.started_at >= '2026-09-15T00:00:00-03:00' AND $3::int8 > 0)",
        "UPDATE chats SET accepted_by = $3
          WHERE id = (SELECT min(id) FROM chats WHERE account_id = $1 AND accepted_by <> $3
                         AND started_at >= '2026-09-06T00:00:00-03:00' AND $2::int8 > 0)",
        "UPDATE chats SET closed_at = closed_at + interval '3 hours'
          WHERE id = (SELECT max(id) FROM chats WHERE account_id = $1 AND accepted_by = $3
                         AND closed_at IS NOT NULL AND started_at < '2026-09-01T00:00:00-04:00' AND $2::int8 > 0)",
        "UPDATE chats SET contact_id = NULL
          WHERE id = (SELECT min(id) FROM chats WHERE account_id = $1 AND contact_id IS NOT NULL
                         AND started_at >= '2026-08-28T00:00:00-04:00' AND $2::int8 > 0 AND $3::int8 > 0)",
    ] {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(acct)
            .bind(site)
            .bind(agent)
            .execute(&app.pool)
            .await
            .unwrap();
        assert_eq!(r.rows_affected(), 1, "{sql}");
    }
    let marks = one(
        &app.pool,
        "SELECT count(*) FROM (SELECT day FROM rollup_dirty WHERE account_id = $1 UNION SELECT day FROM rollup_pending WHERE account_id = $1) d",
        acct,
    )
    .await;
    assert!(marks >= 1, "late writes leave their days dirty: {marks}");
    let (steps_after, _) = steps::read(&Reads::one(&app.pool), false, acct, &whole, None)
        .await
        .unwrap();
    let (agents_after, _) = agents::read(&Reads::one(&app.pool), false, acct, &whole, None, None)
        .await
        .unwrap();
    let (sessions_after, _) = sessions::read(&Reads::one(&app.pool), false, acct, &whole, None)
        .await
        .unwrap();
    assert_ne!(sessions_before, sessions_after, "and the sessions");
    assert_ne!(
        steps_before, steps_after,
        "the late writes change the steps"
    );
    assert_ne!(agents_before, agents_after, "and the agents' activity");
    // Marked days are read from the source until rebuilt, the rest still from rollups.
    for n in narrows {
        let raw = same(&app, acct, &whole, n).await;
        assert!(raw > 0 && raw < 45, "{raw} days from the source");
    }
    settle(&app, acct, &whole).await;
    for r in &ranges {
        for n in narrows {
            assert_eq!(same(&app, acct, r, n).await, 0, "{r:?}");
        }
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hand_worked_bot_reports_come_out_the_same_from_rollups() {
    let app = TestApp::spawn().await;
    let (acct, ids) = two_accounts(&app, "es").await;
    let range = DateRange {
        from: day("2026-09-05"),
        to: day("2026-09-07"),
        tz: "America/Santiago".parse().unwrap(),
    };
    settle(&app, acct.id, &range).await;
    let (_, cover) = steps::read(&Reads::one(&app.pool), true, acct.id, &range, None)
        .await
        .unwrap();
    assert_eq!(cover.raw_days(), 0);
    assert!(!cover.blocks.is_empty());
    check_steps(&app, &acct, &ids).await;
    check_agents_activity(&app, &acct, &ids).await;
    check_sessions(&app, &acct, &ids).await;
    app.shutdown().await;
}
