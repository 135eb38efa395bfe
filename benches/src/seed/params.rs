//! What the seeder is asked for, and what it reports having written.

use chrono::NaiveDate;
use chrono_tz::Tz;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedParams {
    pub account_name: String,
    pub plan: String,
    pub timezone: Tz,
    pub locale: String,
    pub admin_email: String,
    pub sites: u32,
    pub agents: u32,
    pub days: u32,
    /// The last day seeded (local); data covers `days` days up to and including it.
    pub last_day: NaiveDate,
    pub chats_per_day: u32,
    pub seed: u64,
    /// Chat events (rejections and transfers) per accepted chat, on average.
    pub events_per_accepted: f64,
    /// Bans per accepted chat, on average.
    pub bans_per_accepted: f64,
    /// Write the messages behind each chat's `first_*_msg_at` (most of the seeding time).
    pub messages: bool,
}

impl SeedParams {
    /// The shares of a typical account.
    pub const EVENTS_PER_ACCEPTED: f64 = 0.13;
    pub const BANS_PER_ACCEPTED: f64 = 0.002;
}

/// What was seeded.
#[derive(Debug, Clone, Default)]
pub struct SeedSummary {
    pub account_id: i64,
    pub admin_user_id: i64,
    pub chats: u64,
    pub messages: u64,
    pub calls: u64,
    pub chat_events: u64,
    pub offline_messages: u64,
    pub presence: u64,
    pub bans: u64,
    pub steps: u64,
    pub elapsed: std::time::Duration,
}
