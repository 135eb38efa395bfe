//! The `exportd` binary: parses the command line and calls into the libraries. The
//! service's parts start through `exportd_app`; the development commands (`seed`, `demo`,
//! `bench`) exist only in a build with the `tools` feature.

mod client;
mod token;

use anyhow::Context;
use clap::{Parser, Subcommand};
use exportd_core::Config;

/// mimalloc, not glibc's malloc: a row-level export allocates each row's strings on the
/// query's thread and frees them on the renderer's, and glibc's arenas then spend a quarter
/// of the process's time on their locks (measured with `perf` on `exportd bench detail`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v2 and v3); the sys crate names no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

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
    /// Run job workers and the periodic passes.
    Worker,
    /// API, workers and periodic passes in one process.
    All,
    /// Apply database migrations.
    Migrate,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Ask the API for a report, follow it with a progress bar, download it
    /// (EXPORTD_URL, EXPORTD_TOKEN).
    Request(client::RequestArgs),
    /// The account's exports, through the API.
    Exports {
        #[command(subcommand)]
        command: client::ListCommand,
    },
    /// The account's schedules, through the API.
    Schedules {
        #[command(subcommand)]
        command: client::ListCommand,
    },
    #[cfg(feature = "tools")]
    #[command(flatten)]
    Tools(exportd_bench::cli::Tools),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // SAFETY: setting an option is allowed at any time, from any thread. Freed pages go
    // back to the system at once: a streaming export frees as fast as it allocates, and the
    // default 10 ms delay showed as 15 MiB more peak RSS at 1M rows.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
    #[cfg(feature = "tools")]
    exportd_bench::stats::set_release_free(|| {
        // SAFETY: mi_collect only frees memory that no allocation holds.
        unsafe { libmimalloc_sys::mi_collect(true) }
    });
    exportd_app::init_tracing();
    let cli = Cli::parse();
    // The API's clients need none of the server's configuration.
    let client = match cli.command {
        Command::Request(args) => Some(client::request(args).await),
        Command::Exports { .. } => Some(client::exports_list().await),
        Command::Schedules { .. } => Some(client::schedules_list().await),
        command => {
            server(command).await?;
            None
        }
    };
    if let Some(Err(e)) = client {
        eprintln!("exportd: {}", e.message);
        std::process::exit(e.code);
    }
    Ok(())
}

async fn server(command: Command) -> anyhow::Result<()> {
    let cfg = Config::from_env().context("reading configuration")?;
    if matches!(command, Command::Api | Command::Worker | Command::All) {
        cfg.require_secret()
            .context("refusing to serve with links anyone could sign")?;
        if cfg.dev {
            tracing::warn!(
                "EXPORTD_DEV=true: development mode; without EXPORTD_SECRET this process signs links with a random key of its own"
            );
        }
    }
    match command {
        Command::Migrate => {
            let pool = exportd_core::db::connect(&cfg)
                .await
                .context("connecting to Postgres")?;
            exportd_core::db::migrate(&pool)
                .await
                .context("migrating")?;
            println!("migrations applied");
        }
        Command::Token { command } => token::run(&cfg, command).await?,
        Command::Api => {
            let listener = exportd_app::listen(&cfg.listen).await?;
            let shared = exportd_app::connect(cfg).await?;
            exportd_app::serve(shared, listener, exportd_app::shutdown_signal()).await?;
        }
        Command::Worker => {
            let shared = exportd_app::connect(cfg).await?;
            exportd_app::work(shared, exportd_app::shutdown_signal()).await?;
        }
        Command::All => {
            let listener = exportd_app::listen(&cfg.listen).await?;
            let shared = exportd_app::connect(cfg).await?;
            exportd_app::serve_with_workers(shared, listener, exportd_app::shutdown_signal())
                .await?;
        }
        #[cfg(feature = "tools")]
        Command::Tools(tools) => exportd_bench::cli::run(cfg, tools).await?,
        Command::Request(_) | Command::Exports { .. } | Command::Schedules { .. } => {
            unreachable!("a client command")
        }
    }
    Ok(())
}
