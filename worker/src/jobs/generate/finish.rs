//! Finishing an export: its outcome recorded under the lease together with its
//! notification rows, then its streams woken and its notifications pushed.

use exportd_core::telemetry;
use exportd_core::{
    exports::{self, Export, Lease, StoredFile},
    notifications::Event,
};
use tracing::{info, warn};

use crate::Ctx;

/// Records the file; false when the lease was lost first (cancelled or taken over).
pub(super) async fn finish_success(
    ctx: &Ctx,
    export: &Export,
    lease: Lease,
    file: &StoredFile,
) -> anyhow::Result<bool> {
    let mut tx = ctx.pool.begin().await?;
    if !exports::succeed(&mut *tx, lease, file).await? {
        info!("lease lost before recording the file; the newer attempt owns the result");
        return Ok(false);
    }
    record_notifications(&mut tx, export, Event::Succeeded).await?;
    tx.commit().await?;
    telemetry::export_finished(export.kind.as_str(), export.format.as_str(), "succeeded");
    info!(file.bytes = file.bytes, file.key = %file.key, "export succeeded");
    after_finish(ctx, export).await;
    Ok(true)
}

/// Marks the export failed and tells its recipients why.
pub async fn finish_failure(
    ctx: &Ctx,
    export: &Export,
    lease: Lease,
    code: &str,
    message: &str,
) -> anyhow::Result<()> {
    let mut tx = ctx.pool.begin().await?;
    if !exports::fail(&mut *tx, lease, code, message).await? {
        return Ok(());
    }
    record_notifications(&mut tx, export, Event::Failed).await?;
    tx.commit().await?;
    telemetry::export_finished(export.kind.as_str(), export.format.as_str(), "failed");
    warn!(error.code = code, error = message, "export failed");
    after_finish(ctx, export).await;
    Ok(())
}

/// Creates the export's notification rows in the transaction that finishes it.
async fn record_notifications(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    export: &Export,
    event: Event,
) -> Result<(), sqlx::Error> {
    exports::create_notifications(tx, export, event).await
}

/// After a finished export is committed: wake its streams, push its notifications.
async fn after_finish(ctx: &Ctx, export: &Export) {
    announce(ctx, export.account_id).await;
    crate::jobs::push_notifications(ctx, export.id).await;
}

/// Wakes the account's in-app streams after a committed state change.
pub(super) async fn announce(ctx: &Ctx, account_id: i64) {
    exportd_core::events::publish(&mut ctx.redis.clone(), &ctx.cfg, account_id).await;
}
