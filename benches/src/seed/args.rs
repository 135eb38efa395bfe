//! `exportd seed`'s command line, which the demo takes too.

use chrono::{Duration, NaiveDate, Utc};

use super::SeedParams;

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
    pub fn params(&self) -> anyhow::Result<SeedParams> {
        let timezone = self
            .timezone
            .parse()
            .map_err(|_| anyhow::anyhow!("unknown timezone {}", self.timezone))?;
        Ok(SeedParams {
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
            events_per_accepted: SeedParams::EVENTS_PER_ACCEPTED,
            bans_per_accepted: SeedParams::BANS_PER_ACCEPTED,
            messages: !self.no_messages,
        })
    }
}
