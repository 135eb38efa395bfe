//! Shared library of exportd: configuration, domain types, the report kinds and their
//! options, database access, storage, job payloads, the connections both sides share, and
//! the small pieces of security (tokens, signed links) that the API and the worker both need.

pub mod accounts;
pub mod auth;
pub mod config;
pub mod context;
pub mod db;
pub mod destinations;
pub mod domain;
pub mod events;
pub mod exports;
pub mod ids;
pub mod kinds;
pub mod links;
pub mod localtime;
pub mod notifications;
pub mod queue;
pub mod replica;
pub mod schedules;
pub mod secrets;
pub mod sessions;
pub mod slack;
pub mod storage;
pub mod storage_error;
pub mod stored;
pub mod telemetry;
pub mod upload;
pub mod webhooks;

pub use config::Config;
pub use context::Shared;
