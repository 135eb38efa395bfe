//! `/v1/exports`: create, list, get, download, cancel, delete.

pub mod cancel;
pub mod commit;
pub mod create;
pub mod delete;
pub mod download;
pub mod get;
pub mod list;

use exportd_core::exports::{Export, ExportView};
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

/// Cancels a queued or running export of the account, as both `POST …/cancel` and
/// `DELETE` do: a cancel is counted, and the account's open streams are told. The export
/// after the update; `None` when it is gone.
pub async fn cancel_export(
    ctx: &exportd_core::Shared,
    account_id: AccountId,
    export: &Export,
) -> ApiResult<Option<Export>> {
    let after = exportd_core::exports::cancel(&ctx.pool, account_id, ExportId(export.id)).await?;
    if after
        .as_ref()
        .is_some_and(|e| e.status == exportd_core::domain::Status::Cancelled)
    {
        exportd_core::telemetry::export_finished(
            export.kind.as_str(),
            export.format.as_str(),
            "cancelled",
        );
    }
    exportd_core::events::publish(&mut ctx.redis.clone(), &ctx.cfg, account_id.0).await;
    Ok(after)
}

/// The JSON of the account's exports, each with who asked for it and its recipients.
pub async fn views(
    ctx: &exportd_core::Shared,
    account_id: AccountId,
    exports: &[Export],
) -> ApiResult<Vec<ExportView>> {
    let mut ids: Vec<i64> = exports
        .iter()
        .filter(|e| e.schedule_id.is_none())
        .filter_map(|e| e.requested_by)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let who = exportd_core::exports::requesters(&ctx.pool, account_id, &ids).await?;
    Ok(exports.iter().map(|e| e.view_with(&who)).collect())
}

/// The JSON of one export of the account, with who asked for it and its recipients.
pub async fn view(
    ctx: &exportd_core::Shared,
    account_id: AccountId,
    export: &Export,
) -> ApiResult<ExportView> {
    let mut v = views(ctx, account_id, std::slice::from_ref(export)).await?;
    Ok(v.remove(0))
}
