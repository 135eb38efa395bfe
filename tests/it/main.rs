//! End-to-end tests of the whole system against real services: Postgres, Redis, an S3
//! server (moto) and an SMTP server (aiosmtpd), all brought up by `scripts/test`.

mod api_contract;
mod bot_fixture;
mod bot_reports;
mod bot_rollups;
mod change_tracking;
mod cli;
mod conversation_rollups;
mod conversations;
mod destinations;
mod export_views;
mod exports_cancel;
mod feeds;
mod fixture;
mod global_report;
mod hardening;
mod harness;
mod lifecycle;
mod notifications;
mod openapi;
mod registry;
mod replica;
mod rollups;
mod row_reports;
mod s3_destinations;
mod schedule_cadences;
mod schedules;
mod sftp_destinations;
mod sheets;
mod upload;
mod web_page;
mod web_session;
