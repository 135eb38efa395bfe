//! `exportd bench write-path`: what exportd's schema costs the platform's writes. Two fresh
//! databases side by side: the contract tables alone (migration 0001's tables and indexes)
//! and exportd installed (every migration). Each of the platform's writes runs on both,
//! interleaved, for a few seconds at a time by concurrent clients; the medians of the
//! rounds, the ratio of the two, and what exportd kept per write are printed, then a JSON
//! line. Target: every ratio ≤ 1.05, and at most one row per account and day kept.

use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{RngExt, SeedableRng, rngs::SmallRng};
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection, PgPool};

use crate::stats;

/// The platform's writes, as its hottest paths make them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// A message, and its chat's `last_msg_at` and `msgs_in`, for a chat started now.
    MessageNewChat,
    /// The same for a chat started a day ago (a long WhatsApp conversation).
    MessageDayOldChat,
    /// A chat begins.
    NewChat,
    /// A chat started in the last hour is closed.
    ChatClosed,
    /// A chat enters a bot step.
    StepEntered,
    /// An outbound message's status changes (sent → delivered).
    StatusChanged,
    /// A `COPY` of a day of chats (yesterday's: a backfill).
    CopyDay,
}

const WRITES: [Write; 7] = [
    Write::MessageNewChat,
    Write::MessageDayOldChat,
    Write::NewChat,
    Write::ChatClosed,
    Write::StepEntered,
    Write::StatusChanged,
    Write::CopyDay,
];

impl Write {
    fn name(self) -> &'static str {
        match self {
            Write::MessageNewChat => "message, chat started now",
            Write::MessageDayOldChat => "message, chat started a day ago",
            Write::NewChat => "new chat",
            Write::ChatClosed => "chat closed",
            Write::StepEntered => "step entered",
            Write::StatusChanged => "outbound status changed",
            Write::CopyDay => "COPY of a day of chats (rows/s)",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Write::MessageNewChat => "message_new_chat",
            Write::MessageDayOldChat => "message_day_old_chat",
            Write::NewChat => "new_chat",
            Write::ChatClosed => "chat_closed",
            Write::StepEntered => "step_entered",
            Write::StatusChanged => "status_changed",
            Write::CopyDay => "copy_day",
        }
    }
}

const ACCOUNT: i64 = 1;
/// Chats of each age the updates pick from.
const CHATS: i64 = 5_000;
const OUTBOUND: i64 = 20_000;
/// Rows of one `COPY`.
const COPY_ROWS: usize = 5_000;

/// The two databases, named after `DATABASE_URL`'s.
struct Side {
    name: &'static str,
    url: String,
}

pub async fn run(
    database_url: &str,
    clients: usize,
    secs: f64,
    rounds: usize,
    variant: Option<&str>,
) -> anyhow::Result<()> {
    let (base, _) = database_url
        .rsplit_once('/')
        .context("DATABASE_URL has no database name")?;
    let admin = PgPool::connect(&format!("{base}/postgres")).await?;
    let sides = [
        Side {
            name: "contract tables alone",
            url: format!("{base}/exportd_bench_contract"),
        },
        Side {
            name: "exportd installed",
            url: format!("{base}/exportd_bench_installed"),
        },
    ];
    for (i, side) in sides.iter().enumerate() {
        let db = side.url.rsplit_once('/').expect("has a name").1;
        drop_slots(&admin, db).await?;
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .await?;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .await?;
        let pool = PgPool::connect(&side.url).await?;
        if i == 0 {
            pool.execute(include_str!("../../migrations/0001_source_data.sql"))
                .await?;
        } else {
            exportd_core::db::migrate(&pool).await?;
            if let Some(sql) = variant {
                pool.execute(sqlx::AssertSqlSafe(sql))
                    .await
                    .context("the variant's SQL")?;
            }
        }
        seed(&pool).await?;
        if i == 1 {
            // exportd's slot, as a worker makes it at start: the writes below are in it.
            let drained = exportd_worker::rollup::changes::drain(&pool).await?;
            anyhow::ensure!(
                drained.tracking,
                "change tracking is off: Postgres needs wal_level = logical"
            );
        }
        pool.close().await;
    }
    println!(
        "write-path: {clients} clients, {secs} s a run, {rounds} rounds, the two databases interleaved{}",
        variant.map_or(String::new(), |v| format!("; installed, then: {v}"))
    );
    let mut figures: Vec<[Vec<f64>; 2]> = WRITES.iter().map(|_| [vec![], vec![]]).collect();
    for round in 0..rounds {
        for (w, write) in WRITES.iter().enumerate() {
            // Alternate which side goes first, so neither always runs on a warmer machine.
            let order = if (round + w) % 2 == 0 { [0, 1] } else { [1, 0] };
            for s in order {
                let rate = measure(&sides[s].url, *write, clients, secs).await?;
                figures[w][s].push(rate);
            }
        }
    }
    // What the writes cost the builder instead: reading them from the WAL.
    let pool = PgPool::connect(&sides[1].url).await?;
    let started = std::time::Instant::now();
    let drained = exportd_worker::rollup::changes::drain(&pool).await?;
    let drain_secs = started.elapsed().as_secs_f64();
    pool.close().await;
    let kept = kept_rows(&sides[1].url).await?;
    drop_slots(&admin, sides[1].url.rsplit_once('/').expect("has a name").1).await?;
    let mut rows = Vec::new();
    let mut out = Vec::new();
    for (w, write) in WRITES.iter().enumerate() {
        let [a, b] = &figures[w];
        let (ma, mb) = (stats::summary(a).median, stats::summary(b).median);
        let ratio = ma / mb;
        rows.push(vec![
            write.name().to_owned(),
            format!("{ma:.0}"),
            format!("{mb:.0}"),
            format!("{ratio:.3}×"),
        ]);
        out.push(
            json!({"write": write.key(), "contract_per_s": ma, "installed_per_s": mb,
                        "ratio": ratio, "contract_runs": a, "installed_runs": b}),
        );
    }
    stats::table(
        &[
            "write (per second, medians)",
            sides[0].name,
            sides[1].name,
            "slower by",
        ],
        &rows,
    );
    println!(
        "read from the WAL after the writes: {} inserts and updates in {drain_secs:.2} s ({:.0}/s)",
        drained.rows,
        drained.rows as f64 / drain_secs
    );
    println!("rows exportd keeps for rollups after all writes: {kept}");
    println!(
        "{}",
        json!({"bench": "write-path", "clients": clients, "secs": secs, "rounds": rounds, "variant": variant,
               "writes": out, "kept_rows": kept, "wal_rows": drained.rows, "wal_drain_s": drain_secs})
    );
    Ok(())
}

/// One account with sites, agents, contacts, chats started now and a day ago, and
/// outbound messages.
async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    pool.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO accounts (id, name, plan, timezone, locale) VALUES ({ACCOUNT}, 'bench', 'pro', 'UTC', 'es');
         INSERT INTO sites (account_id, name, channel) SELECT {ACCOUNT}, 'site ' || i, 'whatsapp' FROM generate_series(1, 5) i;
         INSERT INTO users (account_id, email, name, role) SELECT {ACCOUNT}, 'a' || i || '@b.example', 'agent ' || i, 'agent' FROM generate_series(1, 20) i;
         INSERT INTO contacts (account_id, name, phone) SELECT {ACCOUNT}, 'c ' || i, '+56' || i FROM generate_series(1, 1000) i;
         INSERT INTO chats (account_id, site_id, contact_id, started_at, accepted_at, accepted_by, last_msg_at)
         SELECT {ACCOUNT}, 1 + i % 5, 1 + i % 1000, now() - (i % 1800) * interval '1 second', now(), 1 + i % 20, now()
           FROM generate_series(1, {CHATS}) i;
         INSERT INTO chats (account_id, site_id, contact_id, started_at, accepted_at, accepted_by, last_msg_at)
         SELECT {ACCOUNT}, 1 + i % 5, 1 + i % 1000, now() - interval '25 hours' - (i % 1800) * interval '1 second',
                now() - interval '25 hours', 1 + i % 20, now()
           FROM generate_series(1, {CHATS}) i;
         INSERT INTO outbound_messages (account_id, site_id, contact_id, template, body, status, created_at, status_at)
         SELECT {ACCOUNT}, 1 + i % 5, 1 + i % 1000, 'promo', 'hola', 'sent', now(), now()
           FROM generate_series(1, {OUTBOUND}) i;"
    )))
    .await?;
    pool.execute("VACUUM ANALYZE").await?;
    Ok(())
}

/// Runs `write` with `clients` connections for `secs`; writes (or rows) per second.
async fn measure(url: &str, write: Write, clients: usize, secs: f64) -> anyhow::Result<f64> {
    let clients = if write == Write::CopyDay { 1 } else { clients };
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let runs = (0..clients).map(|c| {
        let url = url.to_owned();
        tokio::spawn(async move {
            let mut conn = PgConnection::connect(&url).await?;
            let mut rng = SmallRng::seed_from_u64(c as u64);
            let mut done = 0u64;
            while Instant::now() < deadline {
                done += once(&mut conn, write, &mut rng).await?;
            }
            anyhow::Ok(done)
        })
    });
    let mut total = 0;
    for r in futures::future::join_all(runs).await {
        total += r??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// One write; how many rows it made (1 but for the COPY).
async fn once(conn: &mut PgConnection, write: Write, rng: &mut SmallRng) -> anyhow::Result<u64> {
    let chat_now = rng.random_range(1..=CHATS);
    let chat_old = CHATS + rng.random_range(1..=CHATS);
    match write {
        Write::MessageNewChat | Write::MessageDayOldChat => {
            let chat = if write == Write::MessageNewChat {
                chat_now
            } else {
                chat_old
            };
            let mut tx = conn.begin().await?;
            sqlx::query(
                "INSERT INTO messages (account_id, chat_id, sender, sent_at, body) VALUES ($1, $2, 'client', now(), $3)",
            )
            .bind(ACCOUNT)
            .bind(chat)
            .bind("hola, quisiera saber el estado de mi pedido")
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE chats SET last_msg_at = now(), msgs_in = msgs_in + 1 WHERE id = $1",
            )
            .bind(chat)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Write::NewChat => {
            sqlx::query(
                "INSERT INTO chats (account_id, site_id, contact_id, started_at, fields) VALUES ($1, $2, $3, now(), '{\"MenuPrincipal\": \"Bancos\"}')",
            )
            .bind(ACCOUNT)
            .bind(rng.random_range(1..=5i64))
            .bind(rng.random_range(1..=1000i64))
            .execute(&mut *conn)
            .await?;
        }
        Write::ChatClosed => {
            sqlx::query("UPDATE chats SET closed_at = now() WHERE id = $1")
                .bind(chat_now)
                .execute(&mut *conn)
                .await?;
        }
        Write::StepEntered => {
            sqlx::query(
                "INSERT INTO steps (account_id, chat_id, step, entered_at) VALUES ($1, $2, 'MenuPrincipal', now())",
            )
            .bind(ACCOUNT)
            .bind(chat_now)
            .execute(&mut *conn)
            .await?;
        }
        Write::StatusChanged => {
            sqlx::query("UPDATE outbound_messages SET status = 'delivered', status_at = now() WHERE id = $1")
                .bind(rng.random_range(1..=OUTBOUND))
                .execute(&mut *conn)
                .await?;
        }
        Write::CopyDay => return copy_day(conn, rng).await,
    }
    Ok(1)
}

/// A `COPY` of [`COPY_ROWS`] chats spread over yesterday (UTC).
async fn copy_day(conn: &mut PgConnection, rng: &mut SmallRng) -> anyhow::Result<u64> {
    let day = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let mut data = String::with_capacity(COPY_ROWS * 80);
    for _ in 0..COPY_ROWS {
        let at = start + chrono::Duration::seconds(rng.random_range(0..86_400));
        let end = at + chrono::Duration::seconds(rng.random_range(60..3_600));
        data.push_str(&format!(
            "{ACCOUNT}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            rng.random_range(1..=5),
            rng.random_range(1..=1000),
            at.to_rfc3339(),
            rng.random_range(1..=20),
            end.to_rfc3339(),
            end.to_rfc3339(),
            rng.random_range(1..=30),
        ));
    }
    let mut copy = conn
        .copy_in_raw(
            "COPY chats (account_id, site_id, contact_id, started_at, accepted_by, last_msg_at, closed_at, msgs_in) FROM STDIN",
        )
        .await?;
    copy.send(data.as_bytes()).await?;
    Ok(copy.finish().await?)
}

/// Drops the replication slots of a database, which would keep it from being dropped.
async fn drop_slots(admin: &PgPool, db: &str) -> anyhow::Result<()> {
    sqlx::query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1",
    )
    .bind(db)
    .execute(admin)
    .await?;
    Ok(())
}

/// Rows exportd keeps about changes for its rollups.
async fn kept_rows(url: &str) -> anyhow::Result<i64> {
    let pool = PgPool::connect(url).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()
            AND tablename IN ('rollup_marks', 'rollup_dirty', 'rollup_pending')",
    )
    .fetch_all(&pool)
    .await?;
    let mut n = 0;
    for t in tables {
        let c: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {t}")))
            .fetch_one(&pool)
            .await?;
        n += c;
    }
    pool.close().await;
    Ok(n)
}
