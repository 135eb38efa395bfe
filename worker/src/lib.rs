//! The worker side of exportd: job handlers and periodic passes (generate, notify,
//! dispatch, reconcile, schedule, rollups, sweep), the report kinds, the renderers and mail.

pub mod context;
pub mod jobs;
pub mod mail;
pub mod render;
pub mod reports;
pub mod webhook;

pub use context::Ctx;
