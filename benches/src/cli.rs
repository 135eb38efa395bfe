//! The development commands that the `tools` feature adds to the `exportd` binary: `seed`,
//! `demo` and `bench <scenario>`. The service binary, built without the feature, links none
//! of this crate.

use anyhow::Context;
use clap::Subcommand;
use exportd_core::{Config, Shared};
use exportd_worker::Ctx;

use crate::seed::SeedArgs;

/// The development commands.
#[derive(Subcommand)]
pub enum Tools {
    /// Seed one account with deterministic synthetic data.
    Seed(SeedArgs),
    /// Run the whole path for real: migrate, seed, request a report, wait, show the result.
    Demo(crate::demo::DemoArgs),
    /// Benchmark programs: figures side by side with their floor (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        scenario: Bench,
    },
}

/// Runs a development command.
pub async fn run(cfg: Config, tools: Tools) -> anyhow::Result<()> {
    match tools {
        Tools::Seed(args) => seed(cfg, args).await,
        Tools::Demo(args) => crate::demo::run(cfg, args).await,
        Tools::Bench { scenario } => bench(cfg, scenario).await,
    }
}

async fn seed(cfg: Config, args: SeedArgs) -> anyhow::Result<()> {
    let pool = exportd_core::db::connect(&cfg)
        .await
        .context("connecting to Postgres")?;
    exportd_core::db::migrate(&pool).await?;
    let s = crate::seed::seed(&pool, &args.params()?).await?;
    println!(
        "seeded account {} (admin user {}): {} chats, {} messages, {} calls, {} chat events, {} offline messages, {} presence intervals, {} bans, {} steps in {:.1}s",
        s.account_id,
        s.admin_user_id,
        s.chats,
        s.messages,
        s.calls,
        s.chat_events,
        s.offline_messages,
        s.presence,
        s.bans,
        s.steps,
        s.elapsed.as_secs_f64()
    );
    Ok(())
}

#[derive(Subcommand)]
pub enum Bench {
    /// The 90-day global report of the large account (seeded on first use), xlsx and csv.
    GlobalReport {
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// One aggregate kind over 90 days of the large account, xlsx and csv, beside its floor.
    Report {
        /// The kind: global, conversations, …
        #[arg(long)]
        kind: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// sessions_detail of N sessions of the large account, xlsx and csv into storage, beside
    /// a bare read plus rust_xlsxwriter alone (xlsx) and COPY … CSV (csv).
    Detail {
        #[arg(long, value_delimiter = ',', default_value = "1000000,3000000")]
        rows: Vec<u64>,
        #[arg(long, default_value_t = 1)]
        runs: usize,
        /// The `text` filter (a word or phrase in any message of the session): the range
        /// still holds N sessions; the file has those whose messages match.
        #[arg(long)]
        text: Option<String>,
    },
    /// N synthetic rows × 15 columns through exportd's writers and bare rust_xlsxwriter.
    Render {
        #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
        rows: Vec<u64>,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Many small exports requested at once over HTTP.
    Queue {
        #[arg(long, default_value_t = 1000)]
        exports: usize,
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Start the worker only after every POST was answered (the API's own latency).
        #[arg(long)]
        hold_worker: bool,
    },
    /// What exportd's schema costs the platform's writes: each write on the contract
    /// tables alone and with exportd installed, interleaved, in two fresh databases.
    WritePath {
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Seconds a run.
        #[arg(long, default_value_t = 3.0)]
        secs: f64,
        /// Runs of each write on each side; the medians are over them. On a shared 2-core
        /// machine runs of one side vary by up to a fifth, and three rounds put writes
        /// exportd does not touch at 1.08×: seven tell 5 % apart.
        #[arg(long, default_value_t = 7)]
        rounds: usize,
        /// SQL run on the installed database after its migrations: a variant to compare
        /// (e.g. `DROP INDEX messages_body_fold_trgm_idx`).
        #[arg(long)]
        variant: Option<String>,
    },
    /// The rollup builder on the large account: the first build of every account's
    /// rollups, and the rebuild of one closed day, each beside one grouped pass per source
    /// table over the same days.
    Rollups {
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// The 1st at 06:00 in small: N accounts' monthly schedules due at once, turned into
    /// exports by the scheduler and handed to Redis by the dispatcher.
    Scheduler {
        #[arg(long, default_value_t = 10_000)]
        schedules: usize,
        /// Scheduler loops at once (as many workers run them).
        #[arg(long, default_value_t = 1)]
        schedulers: usize,
    },
    /// Seed the large account only (what global-report seeds on first use).
    Seed,
    /// The fault suite (run it through scripts/faults): real outages, one line each.
    Faults {
        /// Scenario numbers to run (1-9); all when absent.
        #[arg(long, value_delimiter = ',')]
        only: Vec<u32>,
        /// Outages and the retry schedule are divided by this (1: real durations).
        #[arg(long, default_value_t = 10.0)]
        scale: f64,
        /// Exports of the fairness scenario (7).
        #[arg(long, default_value_t = 10_000)]
        fair_exports: usize,
        /// Where each scenario's logs go.
        #[arg(long, default_value = "target/faults")]
        dir: std::path::PathBuf,
    },
}

/// `exportd bench <scenario>`: the benchmark programs, with no active-export limit.
async fn bench(cfg: Config, scenario: Bench) -> anyhow::Result<()> {
    let mut cfg = cfg;
    cfg.max_active_exports = i64::MAX;
    match scenario {
        Bench::Render { rows, runs } => crate::render::run(&rows, runs.max(1)).await?,
        Bench::Detail { rows, runs, text } => {
            let ctx = Ctx::new(&*Shared::connect(cfg).await?)?;
            exportd_core::db::migrate(&ctx.pool).await?;
            crate::detail::run(ctx, &rows, runs.max(1), text.as_deref()).await?;
        }
        Bench::GlobalReport { runs } => {
            let ctx = Ctx::new(&*Shared::connect(cfg).await?)?;
            exportd_core::db::migrate(&ctx.pool).await?;
            crate::global_report::run(ctx, runs.max(1)).await?;
        }
        Bench::Queue {
            exports,
            clients,
            hold_worker,
        } => {
            let shared = Shared::connect(cfg).await?;
            exportd_core::db::migrate(&shared.pool).await?;
            crate::queue::run(shared, exports, clients.max(1), hold_worker).await?;
        }
        Bench::Report { kind, runs } => {
            let kind = exportd_core::kinds::ReportKind::parse(&kind).with_context(|| {
                format!(
                    "unknown kind {kind:?}; known: {}",
                    exportd_core::kinds::ReportKind::ALL
                        .map(|k| k.as_str())
                        .join(", ")
                )
            })?;
            let ctx = Ctx::new(&*Shared::connect(cfg).await?)?;
            exportd_core::db::migrate(&ctx.pool).await?;
            crate::report::run(ctx, kind, runs.max(1)).await?;
        }
        Bench::Faults {
            only,
            scale,
            fair_exports,
            dir,
        } => {
            anyhow::ensure!(scale >= 1.0, "--scale is at least 1");
            crate::faults::run(crate::faults::Options {
                only,
                scale,
                fair_exports: fair_exports.max(100),
                dir,
            })
            .await?
        }
        Bench::WritePath {
            clients,
            secs,
            rounds,
            variant,
        } => {
            crate::write_path::run(
                &cfg.database_url,
                clients.max(1),
                secs,
                rounds.max(1),
                variant.as_deref(),
            )
            .await?
        }
        Bench::Rollups { runs } => {
            let ctx = Ctx::new(&*Shared::connect(cfg).await?)?;
            exportd_core::db::migrate(&ctx.pool).await?;
            crate::rollups::run(ctx, runs.max(1)).await?;
        }
        Bench::Scheduler {
            schedules,
            schedulers,
        } => {
            let ctx = Ctx::new(&*Shared::connect(cfg).await?)?;
            exportd_core::db::migrate(&ctx.pool).await?;
            crate::scheduler::run(ctx, schedules.max(1), schedulers.max(1)).await?;
        }
        Bench::Seed => {
            let pool = exportd_core::db::connect(&cfg).await?;
            exportd_core::db::migrate(&pool).await?;
            crate::global_report::ensure_seeded(&pool).await?;
        }
    }
    Ok(())
}
