//! The worker side of exportd: job handlers and periodic passes (generate, notify,
//! dispatch, reconcile, schedule, rollups, sweep), the report kinds, the rollup engine, the
//! renderers, mail and the notification channels.

pub mod context;
pub mod jobs;
pub mod mail;
pub mod notify;
pub mod render;
pub mod reports;
pub mod rollup;

pub use context::Ctx;
