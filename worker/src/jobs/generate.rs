//! Generate an export's file: claim the row under a lease, query, render, upload, record
//! the file, create the notifications, all in that order, each write fenced by the lease.

mod discard;
mod finish;

use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use chrono::{Duration as Days, Utc};
use chrono_tz::Tz;
use exportd_core::telemetry;
use exportd_core::{
    domain::{DateRange, Format},
    exports::{self, Export, Lease, StoredFile},
    ids::{AccountId, ExportId},
    kinds::ReportKind,
    queue::GenerateExport,
    storage::{Storage, StorageError},
};
use tracing::{info, instrument, warn};

use super::{
    generate_error::{GenerateError, permanent, storage_failed},
    lease::Held,
    progress::Progress,
};
use crate::{
    Ctx,
    render::{self, RenderOptions},
    reports::{self, Job, Meta, Reads},
};
use discard::{discard, discard_other_attempts, discard_unless_recorded};
pub use finish::finish_failure;
use finish::{announce, finish_success};

pub async fn handle(job: GenerateExport, ctx: Data<Arc<Ctx>>) -> Result<(), BoxDynError> {
    let ctx: Arc<Ctx> = (*ctx).clone();
    // On a task of its own: when the queue's worker is restarted (Redis gone, say) it drops
    // its job futures, and a generation stopped between its upload and its record would
    // leave an orphan object and a lease renewed by nobody's work.
    super::detached(async move { run(&ctx, job.export_id).await })
        .await
        .map_err(|e| {
            tracing::error!(
                export.id = job.export_id,
                error = format!("{e:#}"),
                "generate job failed"
            );
            e.into()
        })
}

/// Runs one delivery of a generate job. Another delivery of the same export does nothing
/// while a live lease is held, and nothing at all once the export is finished.
#[instrument(skip_all, fields(export.id = export_id))]
pub async fn run(ctx: &Ctx, export_id: i64) -> anyhow::Result<()> {
    let lease_secs = ctx.cfg.lease.as_secs_f64();
    let Some((export, lease)) =
        exports::claim(&ctx.pool, export_id, &ctx.instance, lease_secs).await?
    else {
        tracing::debug!("not claimable (finished, cancelled, leased elsewhere or gone)");
        return Ok(());
    };
    info!(attempt = export.attempts, "claimed");
    // What the primary had committed at the claim: a replica is read only once it has
    // replayed this far. Without it (the primary did not say), the report reads the primary.
    let claimed_at = match ctx.replica {
        Some(_) => exportd_core::replica::position(&ctx.pool)
            .await
            .inspect_err(|e| warn!(error = %e, "reading the primary's WAL position failed"))
            .ok(),
        None => None,
    };
    let (kind, format) = (export.kind.as_str(), export.format.as_str());
    let attempt_started = std::time::Instant::now();
    if export.attempts == 1 {
        // From the request to the first attempt; retries wait on purpose.
        telemetry::export_started(
            kind,
            (Utc::now() - export.created_at)
                .to_std()
                .unwrap_or_default(),
        );
    }
    announce(ctx, export.account_id).await;
    let held = Held::start(ctx.pool.clone(), lease, ctx.cfg.lease);
    let outcome = match tokio::time::timeout(
        ctx.cfg.export_deadline,
        produce(ctx, &export, lease, &held, claimed_at.as_deref()),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(_) => Err(permanent(
            "timeout",
            format!(
                "building the report took longer than the {}-minute limit of one attempt; try a shorter range",
                ctx.cfg.export_deadline.as_secs() / 60
            ),
        )),
    };
    drop(held);
    match outcome {
        Ok(file) => {
            // While the lease is ours, a database outage does not undo a stored file.
            let finished = super::persist(ctx.cfg.lease, "the stored file", || {
                finish_success(ctx, &export, lease, &file)
            })
            .await;
            if matches!(finished, Ok(true)) {
                telemetry::export_stored(
                    kind,
                    format,
                    attempt_started.elapsed(),
                    file.bytes.max(0) as u64,
                );
                if export.attempts > 1 {
                    discard_other_attempts(ctx, &export, &file.key).await;
                }
            } else {
                // Cancelled or taken over while uploading, or the record failed: unless
                // the export points at it (a commit whose answer was lost), this
                // attempt's object is nobody's file.
                discard_unless_recorded(ctx, export.id, &file.key).await;
            }
            finished.map(drop)
        }
        Err(GenerateError::LeaseLost) => {
            info!("lease lost (cancelled or taken over); stopped without writing");
            Ok(())
        }
        Err(GenerateError::Permanent { code, message }) => {
            finish_failure(ctx, &export, lease, code, &message).await
        }
        Err(GenerateError::Transient(e)) if !may_retry(ctx, &export) => {
            warn!(error = format!("{e:#}"), "last attempt failed");
            let since = export.started_at.unwrap_or(export.created_at);
            let msg = format!(
                "the report could not be built after {} attempts over {} minutes: {e}",
                export.attempts,
                (Utc::now() - since).num_minutes()
            );
            finish_failure(ctx, &export, lease, "attempts_exhausted", &msg).await
        }
        Err(GenerateError::Transient(e)) => {
            let delay = super::backoff_secs(
                ctx.cfg.retry_base,
                export.attempts,
                super::EXPORT_BACKOFF_CAP,
            );
            warn!(
                error = format!("{e:#}"),
                retry_in_secs = delay,
                "attempt failed; will retry"
            );
            exports::retry_later(&ctx.pool, lease, &e.to_string(), delay).await?;
            announce(ctx, export.account_id).await;
            Ok(())
        }
    }
}

/// Whether a transient failure is tried again: within the attempt cap and the retry window
/// (an hour by default) from the first attempt.
fn may_retry(ctx: &Ctx, export: &Export) -> bool {
    let delay = super::backoff_secs(
        ctx.cfg.retry_base,
        export.attempts,
        super::EXPORT_BACKOFF_CAP,
    );
    export.attempts < ctx.cfg.max_attempts
        && super::within_window(
            export.started_at.unwrap_or(export.created_at),
            ctx.cfg.export_retry_window,
            delay,
        )
}

async fn produce(
    ctx: &Ctx,
    export: &Export,
    lease: Lease,
    held: &Held,
    claimed_at: Option<&str>,
) -> Result<StoredFile, GenerateError> {
    let account = exportd_core::accounts::get(&ctx.pool, export.account_id)
        .await?
        .ok_or_else(|| {
            permanent(
                "account_not_found",
                format!("account {} no longer exists", export.account_id),
            )
        })?;
    let (kind, format) = (export.kind, export.format);
    let tz: Tz = export.timezone;
    let range = range_of(export, tz);
    let now = Utc::now();
    let progress = Progress::start();
    progress.checkpoint(ctx, lease, held, 5).await?;

    let meta = Meta {
        account: account.clone(),
        range,
        generated_at: now,
        options: export.options.clone(),
        feed: match (export.feed_from, export.feed_to) {
            (Some(from), Some(to)) => Some(reports::FeedRun {
                export_id: export.id,
                from,
                to,
            }),
            _ => None,
        },
    };
    let name = format!(
        "{}_{}_{}.{}",
        kind.file_stem(account.locale),
        export.range_from,
        export.range_to,
        format.extension()
    );
    let key = Storage::key(
        AccountId(account.id),
        ExportId(export.id),
        lease.token,
        &name,
    );
    // The file goes to storage while it is written: parts leave as they fill, and what is
    // left after the last row is the last part. An upload not completed is aborted.
    let (upload, sending) = ctx.storage.upload(&key, format.content_type());
    // The renderer runs on a blocking thread and writes the report while it is being built;
    // its progress (rows written) reaches the export row through this channel, mapped onto
    // 10–90%.
    let (tx, rx) = tokio::sync::watch::channel(10i16);
    let reporter = progress.report(ctx, lease, export.account_id, rx);
    progress.checkpoint(ctx, lease, held, 10).await?;
    // The wait for the replica is part of the work a cancel stops.
    let writing = async move {
        let (source, _) = exportd_core::replica::source(
            &ctx.pool,
            ctx.replica.as_deref(),
            claimed_at,
            ctx.cfg.replica_max_wait,
            "report",
        )
        .await;
        let db = Reads {
            primary: ctx.pool.clone(),
            source,
        };
        write_report(
            db,
            ctx.cfg.rollups,
            kind,
            meta,
            format,
            Box::new(upload),
            move |share| {
                tx.send_replace(10 + (share.clamp(0.0, 1.0) * 80.0) as i16);
            },
        )
        .await
    };
    // A cancel (or a takeover) stops the work within a poll: the query is dropped, and
    // the renderer ends when its rows stop coming. The upload is stopped at once and
    // aborted; should the file have been complete already, the object is deleted.
    let rendered = tokio::select! {
        r = writing => r,
        () = held.gone() => {
            reporter.abort();
            let (storage, key) = (ctx.storage.clone(), key.clone());
            tokio::spawn(async move {
                if sending.cancel().await.is_ok()
                    && let Err(e) = storage.delete(&key).await
                {
                    warn!(error = %e, file.key = %key, "deleting the file of a cancelled attempt failed");
                }
            });
            return Err(GenerateError::LeaseLost);
        }
    };
    let _ = reporter.await;
    // When storage failed, the renderer saw only a closed pipe: the upload's error says why.
    let (rows, bytes) = match (rendered, sending.stored().await) {
        (Ok(rows), Ok(bytes)) => (rows, bytes),
        (Err(e), Err(StorageError::Abandoned)) | (Err(e), Ok(_)) => {
            discard_unless_recorded(ctx, export.id, &key).await;
            return Err(e.into());
        }
        (_, Err(e)) => return Err(storage_failed(e)),
    };
    if let Err(e) = progress.checkpoint(ctx, lease, held, 95).await {
        discard(ctx, &key).await;
        return Err(e);
    }
    let expires_at = Utc::now() + Days::days(ctx.cfg.plan(account.plan).file_days);
    Ok(StoredFile {
        name,
        key,
        bytes: bytes as i64,
        rows: rows as i64,
        expires_at,
    })
}

/// Builds a report of `kind` and writes it to `out` in `format`, as the worker does;
/// `progress` gets the share of rows written. Returns how many data rows the file holds
/// (totals left out).
pub async fn write_report(
    db: Reads,
    rollups: bool,
    kind: ReportKind,
    meta: Meta,
    format: Format,
    out: Box<dyn render::Out>,
    progress: impl Fn(f64) + Send + Sync + 'static,
) -> anyhow::Result<u64> {
    let options = RenderOptions {
        delimiter: meta.options.delimiter().byte(),
    };
    let (sink, rows) = render::counted::Counted::new(render::sink(format, &options, out));
    reports::report(kind)
        .write(Job {
            db,
            rollups,
            meta,
            sink: Box::new(sink),
            progress: Box::new(progress),
        })
        .await?;
    Ok(rows.load(std::sync::atomic::Ordering::Relaxed))
}

fn range_of(export: &Export, tz: chrono_tz::Tz) -> DateRange {
    DateRange {
        from: export.range_from,
        to: export.range_to,
        tz,
    }
}
