//! Development tooling outside the service, behind the `exportd` binary's `tools` feature:
//! the synthetic-data seeder (`exportd seed`, also used by the demo and the tests), the demo
//! (`exportd demo`) and the benchmark programs (`exportd bench <scenario>`, with the fault
//! suite). Each scenario warms up, repeats, runs
//! exportd side by side with its floor in the same process and run, and prints a table and
//! one JSON line with medians, min–max and the ratio to the floor. This machine is shared
//! and noisy: compare ratios, not absolute times, across runs.

pub mod cli;
pub mod copy;
pub mod demo;
pub mod detail;
pub mod faults;
pub mod global_report;
pub mod proxy;
pub mod queue;
pub mod render;
pub mod report;
pub mod rollups;
pub mod scheduler;
pub mod seed;
pub mod stats;
pub mod write_path;
