//! `exportd token`: API tokens and one-time sign-in links, made straight in the database.

use anyhow::Context;
use clap::Subcommand;
use exportd_core::Config;

#[derive(Subcommand)]
pub enum TokenCommand {
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

pub async fn run(cfg: &Config, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { user } => {
            let pool = exportd_core::db::connect(cfg)
                .await
                .context("connecting to Postgres")?;
            let token = exportd_core::auth::create_token(&pool, user)
                .await
                .with_context(|| format!("creating a token for user {user}"))?;
            println!("{token}");
        }
        TokenCommand::SignInLink { user, secs } => {
            // A link signed with a key of this process alone would not open anywhere else.
            if std::env::var("EXPORTD_SECRET").map_or(true, |v| v.is_empty()) {
                anyhow::bail!("set EXPORTD_SECRET, the key the API checks sign-in links with");
            }
            println!(
                "{}",
                exportd_core::sessions::handover_url(&cfg.keys, &cfg.public_url, user, secs)
            );
        }
    }
    Ok(())
}
