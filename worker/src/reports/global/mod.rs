//! The global report (seed 004): by site, by agent, and per site by agent.
//!
//! - [`model`]: what the report is made of;
//! - [`cells`]: the one definition of its metrics, as (site, agent) cells, shared by the
//!   source queries and the rollups;
//! - [`presence`]: agents' online and away time, account-wide;
//! - [`query`]: reading a range (rollup blocks where valid, the source tables elsewhere);
//! - [`render`]: writing it into a sink while it is read;
//! - [`diff`]: proving two reports equal.

pub mod cells;
pub mod diff;
pub mod labels;
pub mod model;
pub mod presence;
pub mod query;
pub mod render;

use exportd_core::kinds::ReportKind;
use futures::future::BoxFuture;

use crate::rollup::Rollups;

pub use diff::differences;
pub use model::{GlobalReport, Piece};
pub use query::{build, build_streaming, build_with_cover};

use super::{Job, Report};

/// The global report's implementation.
pub struct Global;

impl Report for Global {
    fn kind(&self) -> ReportKind {
        ReportKind::Global
    }

    /// The renderer, on a blocking thread, writes each part as the builder hands it over.
    fn write(&self, job: Job) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let Job {
                db,
                rollups,
                meta,
                sink,
                progress,
            } = job;
            let (account_id, range, now) = (meta.account.id, meta.range, meta.generated_at);
            let (pieces_tx, pieces) = std::sync::mpsc::channel();
            let renderer = tokio::task::spawn_blocking(move || {
                render::write_streaming(&meta, sink, &*progress, pieces)
            });
            // The renderer stops early only on an error, which is reported below; sends to
            // it are not checked.
            let built = build_streaming(&db, account_id, &range, now, rollups, &mut |piece| {
                let _ = pieces_tx.send(piece);
            })
            .await
            .map(|(head, _)| {
                let _ = pieces_tx.send(Piece::Head(head));
            });
            drop(pieces_tx);
            let rendered = renderer.await;
            built.map_err(|e| anyhow::Error::new(e).context("querying the report"))?;
            rendered
                .map_err(|e| anyhow::anyhow!("renderer panicked: {e}"))?
                .map_err(|e| anyhow::Error::new(e).context("rendering"))?;
            Ok(())
        })
    }

    fn rollups(&self) -> Option<&'static Rollups> {
        Some(&cells::ROLLUPS)
    }
}
