//! The `exportd` binary: parses the command line and calls into the libraries.

mod client;
mod compose;
mod demo;

use anyhow::Context;
use chrono::{Duration, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use exportd_bench::seed;
use exportd_core::{Config, Shared};
use exportd_worker::{Ctx, jobs};

/// mimalloc, not glibc's malloc: a row-level export allocates each row's strings on the
/// query's thread and frees them on the renderer's, and glibc's arenas then spend a quarter
/// of the process's time on their locks (measured with `perf` on `exportd bench detail`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gives back to the system what mimalloc keeps of freed memory (benchmarks, between phases).
fn release_free() {
    // SAFETY: mi_collect only frees memory that no allocation holds.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// `mi_option_purge_delay` in mimalloc.h (v2 and v3); the sys crate names no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed pages go back to the system at once, not 10 ms later: a streaming export frees
/// as fast as it allocates, and the delay showed as 15 MiB more peak RSS at 1M rows, for
/// no measurable speed.
fn allocator_setup() {
    // SAFETY: setting an option is allowed at any time, from any thread.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
    exportd_bench::stats::set_release_free(release_free);
}

#[derive(Parser)]
#[command(
    name = "exportd",
    version,
    about = "Asynchronous report exports for a customer-chat platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API on EXPORTD_LISTEN.
    Api,
    /// Run job workers and the reconciler.
    Worker,
    /// API, workers and reconciler in one process.
    All,
    /// Apply database migrations.
    Migrate,
    /// Seed one account with deterministic synthetic data.
    Seed(SeedArgs),
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run the whole path for real: migrate, seed, request a report, wait, show the result.
    Demo(demo::DemoArgs),
    /// Ask the API for a report, follow it with a progress bar, download it
    /// (EXPORTD_URL, EXPORTD_TOKEN).
    Request(client::RequestArgs),
    /// The account's exports, through the API.
    Exports {
        #[command(subcommand)]
        command: ListCommand,
    },
    /// The account's schedules, through the API.
    Schedules {
        #[command(subcommand)]
        command: ListCommand,
    },
    /// Benchmark programs: figures side by side with their floor (see README).
    Bench {
        #[command(subcommand)]
        scenario: BenchScenario,
    },
}

#[derive(Subcommand)]
enum BenchScenario {
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
    /// Seed the large account only (what global-report seeds on first use).
    Seed,
    /// The fault suite (run it through scripts/faults): real outages, one line each.
    Faults {
        /// Scenario numbers to run (1-7); all when absent.
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

#[derive(Subcommand)]
enum ListCommand {
    /// Print them as a table.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token for a user (only its sha256 is stored).
    Create {
        #[arg(long)]
        user: i64,
    },
    /// Print a one-time sign-in link to the web page for a user: how the platform hands a
    /// signed-in user over. It is signed with EXPORTD_SECRET and works once.
    SignInLink {
        #[arg(long)]
        user: i64,
        /// How long the link works, in seconds (at most 600).
        #[arg(long, default_value_t = 300)]
        secs: i64,
    },
}

#[derive(clap::Args, Clone)]
pub struct SeedArgs {
    #[arg(long, default_value = "Demo")]
    name: String,
    #[arg(long, default_value = "pro")]
    plan: String,
    #[arg(long, default_value = "America/Santiago")]
    timezone: String,
    #[arg(long, default_value = "es")]
    locale: String,
    #[arg(long, default_value = "admin@demo.example")]
    admin_email: String,
    #[arg(long, default_value_t = 5)]
    sites: u32,
    #[arg(long, default_value_t = 20)]
    agents: u32,
    #[arg(long, default_value_t = 30)]
    days: u32,
    #[arg(long, default_value_t = 200)]
    chats_per_day: u32,
    /// Last day seeded (local), default yesterday.
    #[arg(long)]
    last_day: Option<NaiveDate>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Skip the messages table (most of the seeding time; `agents_activity` reads it).
    #[arg(long)]
    no_messages: bool,
}

impl SeedArgs {
    pub fn params(&self) -> anyhow::Result<seed::SeedParams> {
        let timezone = self
            .timezone
            .parse()
            .map_err(|_| anyhow::anyhow!("unknown timezone {}", self.timezone))?;
        Ok(seed::SeedParams {
            account_name: self.name.clone(),
            plan: self.plan.clone(),
            timezone,
            locale: self.locale.clone(),
            admin_email: self.admin_email.clone(),
            sites: self.sites,
            agents: self.agents,
            days: self.days,
            last_day: self.last_day.unwrap_or_else(|| {
                (Utc::now().with_timezone(&timezone) - Duration::days(1)).date_naive()
            }),
            chats_per_day: self.chats_per_day,
            seed: self.seed,
            events_per_accepted: seed::SeedParams::EVENTS_PER_ACCEPTED,
            bans_per_accepted: seed::SeedParams::BANS_PER_ACCEPTED,
            messages: !self.no_messages,
        })
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

async fn listen(ctx: &Shared) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(&ctx.cfg.listen)
        .await
        .with_context(|| format!("binding {}", ctx.cfg.listen))?;
    tracing::info!(listen = %ctx.cfg.listen, "API listening");
    Ok(listener)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    allocator_setup();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EXPORTD_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // The API's clients need none of the server's configuration.
    let client = matches!(
        &cli.command,
        Command::Request(_) | Command::Exports { .. } | Command::Schedules { .. }
    );
    if client {
        let done = match cli.command {
            Command::Request(args) => client::request(args).await,
            Command::Exports { .. } => client::exports_list().await,
            Command::Schedules { .. } => client::schedules_list().await,
            _ => unreachable!("a client command"),
        };
        if let Err(e) = done {
            eprintln!("exportd: {}", e.message);
            std::process::exit(e.code);
        }
        return Ok(());
    }
    let cfg = Config::from_env().context("reading configuration")?;
    if matches!(cli.command, Command::Api | Command::Worker | Command::All) {
        cfg.require_secret()
            .context("refusing to serve with links anyone could sign")?;
        if cfg.dev {
            tracing::warn!(
                "EXPORTD_DEV=true: development mode; without EXPORTD_SECRET this process signs links with a random key of its own"
            );
        }
    }
    match cli.command {
        Command::Migrate => {
            let pool = exportd_core::db::connect(&cfg)
                .await
                .context("connecting to Postgres")?;
            exportd_core::db::migrate(&pool)
                .await
                .context("migrating")?;
            println!("migrations applied");
        }
        Command::Seed(args) => {
            let pool = exportd_core::db::connect(&cfg)
                .await
                .context("connecting to Postgres")?;
            exportd_core::db::migrate(&pool).await?;
            let s = seed::seed(&pool, &args.params()?).await?;
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
        }
        Command::Token {
            command: TokenCommand::Create { user },
        } => {
            let pool = exportd_core::db::connect(&cfg)
                .await
                .context("connecting to Postgres")?;
            let token = exportd_core::auth::create_token(&pool, user)
                .await
                .with_context(|| format!("creating a token for user {user}"))?;
            println!("{token}");
        }
        Command::Token {
            command: TokenCommand::SignInLink { user, secs },
        } => {
            // A link signed with a key of this process alone would not open anywhere else.
            if std::env::var("EXPORTD_SECRET").map_or(true, |v| v.is_empty()) {
                anyhow::bail!("set EXPORTD_SECRET, the key the API checks sign-in links with");
            }
            println!(
                "{}",
                exportd_core::sessions::handover_url(&cfg.keys, &cfg.public_url, user, secs)
            );
        }
        Command::Api => {
            let shared = Shared::connect(cfg).await?;
            let listener = listen(&shared).await?;
            exportd_api::serve(shared, listener, shutdown_signal())
                .await
                .context("serving the API")?;
        }
        Command::Worker => {
            let shared = Shared::connect(cfg).await?;
            if let Some(addr) = shared.cfg.worker_metrics_listen.clone() {
                let listener = tokio::net::TcpListener::bind(&addr)
                    .await
                    .with_context(|| format!("binding EXPORTD_WORKER_METRICS_LISTEN={addr}"))?;
                tokio::spawn(exportd_api::serve_metrics(shared.clone(), listener));
                tracing::info!(%addr, "serving this worker's metrics");
            }
            let ctx = Ctx::new(&shared)?;
            jobs::run_worker(ctx, shutdown_signal()).await?
        }
        Command::All => {
            let shared = Shared::connect(cfg).await?;
            let listener = listen(&shared).await?;
            compose::serve_with_workers(shared, listener, shutdown_signal()).await?;
        }
        Command::Demo(args) => demo::run(cfg, args).await?,
        Command::Request(_) | Command::Exports { .. } | Command::Schedules { .. } => {
            unreachable!("handled above")
        }
        Command::Bench { scenario } => bench(cfg, scenario).await?,
    }
    Ok(())
}

/// `exportd bench <scenario>`: the benchmark programs, with no active-export limit.
async fn bench(cfg: Config, scenario: BenchScenario) -> anyhow::Result<()> {
    let mut cfg = cfg;
    cfg.max_active_exports = i64::MAX;
    match scenario {
        BenchScenario::Render { rows, runs } => {
            exportd_bench::render::run(&rows, runs.max(1)).await?
        }
        BenchScenario::Detail { rows, runs } => {
            let ctx = Ctx::new(&*Shared::connect(cfg).await?)?;
            exportd_core::db::migrate(&ctx.pool).await?;
            exportd_bench::detail::run(ctx, &rows, runs.max(1)).await?;
        }
        BenchScenario::GlobalReport { runs } => {
            let ctx = Ctx::new(&*Shared::connect(cfg).await?)?;
            exportd_core::db::migrate(&ctx.pool).await?;
            exportd_bench::global_report::run(ctx, runs.max(1)).await?;
        }
        BenchScenario::Queue {
            exports,
            clients,
            hold_worker,
        } => {
            let shared = Shared::connect(cfg).await?;
            exportd_core::db::migrate(&shared.pool).await?;
            exportd_bench::queue::run(shared, exports, clients.max(1), hold_worker).await?;
        }
        BenchScenario::Report { kind, runs } => {
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
            exportd_bench::report::run(ctx, kind, runs.max(1)).await?;
        }
        BenchScenario::Faults {
            only,
            scale,
            fair_exports,
            dir,
        } => {
            anyhow::ensure!(scale >= 1.0, "--scale is at least 1");
            exportd_bench::faults::run(exportd_bench::faults::Options {
                only,
                scale,
                fair_exports: fair_exports.max(100),
                dir,
            })
            .await?
        }
        BenchScenario::Seed => {
            let pool = exportd_core::db::connect(&cfg).await?;
            exportd_core::db::migrate(&pool).await?;
            exportd_bench::global_report::ensure_seeded(&pool).await?;
        }
    }
    Ok(())
}
