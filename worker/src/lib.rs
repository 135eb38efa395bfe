//! The worker side of exportd: job handlers (generate, notify, reconcile), report queries,
//! renderers, storage, mail, and the synthetic data seeder.

pub mod context;
pub mod jobs;
pub mod mail;
pub mod render;
pub mod report;
pub mod seed;
pub mod storage;

pub use context::Ctx;
