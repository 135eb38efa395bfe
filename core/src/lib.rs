//! Shared library of exportd: configuration, domain types, database access, job payloads
//! and the small pieces of security (tokens, signed links) that the API and the worker
//! both need.

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod events;
pub mod exports;
pub mod links;
pub mod notifications;
pub mod queue;
pub mod schedules;

pub use config::Config;
