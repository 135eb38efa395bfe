//! `/v1/exports`: create, list, get, download, cancel, delete.

pub mod cancel;
pub mod commit;
pub mod create;
pub mod delete;
pub mod download;
pub mod get;
pub mod list;

use exportd_core::exports::Export;
use exportd_core::ids::{AccountId, ExportId};

use crate::error::{ApiError, ApiResult};

/// Parses a path id; anything that is not a positive number is simply not found.
pub fn parse_id(raw: &str) -> ApiResult<ExportId> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(ExportId)
        .ok_or_else(ApiError::not_found)
}

/// An export of the caller's account, or 404.
pub async fn load(
    ctx: &exportd_core::Shared,
    account_id: AccountId,
    id: ExportId,
) -> ApiResult<Export> {
    exportd_core::exports::get_for_account(&ctx.pool, account_id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}
