//! Deleting what an attempt at an export left in storage but did not record: its own
//! object when it did not finish, and earlier attempts' objects once one is recorded.

use exportd_core::{
    exports,
    ids::{AccountId, ExportId},
    storage::Storage,
};
use tracing::warn;

use crate::Ctx;

/// Deletes an object this attempt uploaded but did not record.
pub(super) async fn discard(ctx: &Ctx, key: &str) {
    if let Err(e) = ctx.storage.delete(key).await {
        warn!(error = %e, file.key = %key, "deleting an unrecorded file failed");
    }
}

/// Deletes what earlier attempts of an export left in storage, now that `kept` is its
/// recorded file: an upload that S3 completed but whose answer was lost (an outage cutting
/// the connection) failed its attempt, and storage was then too far gone to delete it.
/// Called only after a retry, so a first attempt costs no listing.
pub(super) async fn discard_other_attempts(ctx: &Ctx, export: &exports::Export, kept: &str) {
    let prefix = Storage::export_prefix(AccountId(export.account_id), ExportId(export.id));
    match ctx.storage.list(&prefix).await {
        Ok(keys) => {
            for key in keys.iter().filter(|k| k.as_str() != kept) {
                discard(ctx, key).await;
            }
        }
        Err(e) => {
            warn!(error = %e, "listing the export's objects failed; earlier attempts' files may stay")
        }
    }
}

/// [`discard`], unless the export records `key` as its file. When that cannot be read, the
/// object stays: an orphan is better than a recorded file deleted.
pub(super) async fn discard_unless_recorded(ctx: &Ctx, export_id: i64, key: &str) {
    match exports::get(&ctx.pool, export_id).await {
        Ok(row) if row.as_ref().and_then(|e| e.file_key.as_deref()) == Some(key) => {}
        Ok(_) => discard(ctx, key).await,
        Err(e) => {
            warn!(error = %e, file.key = %key, "could not tell whether the file was recorded; left in place")
        }
    }
}
