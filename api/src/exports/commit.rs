//! Group commit for `POST /v1/exports`. A request is answered only after its export is
//! committed, and on a busy database one commit each is what a request waits for most. So
//! the exports asked for at about the same time are written together: one statement and
//! one commit for all that are waiting ([`exports::insert_if_room`]), each still checked
//! on its own (cap, idempotency key, authority). A request that finds no other waiting
//! is written at once: nothing waits for company.

use std::sync::Arc;

use exportd_core::{
    Shared,
    exports::{self, Ask, Export},
};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{ApiError, ApiResult};

type Answer = Result<Option<Export>, Arc<sqlx::Error>>;

struct Pending {
    ask: Ask,
    answer: oneshot::Sender<Answer>,
}

/// Hands asks to the committing lanes; cheap to share.
pub struct Committer {
    queue: mpsc::Sender<Pending>,
}

impl Committer {
    /// The most exports one statement writes.
    const MAX_BATCH: usize = 64;
    /// Statements in flight at once: while one commits, the next batch gathers.
    const LANES: usize = 2;
    /// Asks waiting at most; a request beyond waits for room.
    const QUEUE: usize = 1024;

    /// Starts the lanes; they end when the last [`Committer`] handle is dropped.
    pub fn spawn(ctx: Arc<Shared>) -> Committer {
        let (queue, rx) = mpsc::channel(Self::QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..Self::LANES {
            tokio::spawn(lane(ctx.clone(), rx.clone()));
        }
        Committer { queue }
    }

    /// Writes the export asked for, with the others waiting: as
    /// [`exports::insert_if_room`] for one ask, with the account cap of the configuration.
    pub async fn insert(&self, ask: Ask) -> ApiResult<Option<Export>> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Pending { ask, answer })
            .await
            .map_err(|_| anyhow::anyhow!("the export committer has stopped"))?;
        match answered.await {
            Ok(Ok(export)) => Ok(export),
            Ok(Err(e)) => Err(ApiError::from_shared_db(&e)),
            Err(_) => Err(anyhow::anyhow!("the export committer dropped a request").into()),
        }
    }
}

async fn lane(ctx: Arc<Shared>, rx: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    loop {
        let batch = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < Committer::MAX_BATCH {
                match rx.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            batch
        };
        // The database out of reach: the asks that queued meanwhile have waited as long as
        // this attempt did, and theirs would end the same way. They are answered now, as
        // each request used to be after its own wait, not after another whole wait.
        if let Some(e) = commit(&ctx, batch).await
            && let Ok(mut rx) = rx.try_lock()
        {
            while let Ok(p) = rx.try_recv() {
                let _ = p.answer.send(Err(e.clone()));
            }
        }
    }
}

/// Writes a batch and answers each ask. When the statement fails for a reason other than
/// an unreachable database, each ask is written alone, so that one that cannot be written
/// fails by itself and not the others with it. Returns the error when the database was
/// out of reach.
async fn commit(ctx: &Shared, batch: Vec<Pending>) -> Option<Arc<sqlx::Error>> {
    let cap = ctx.cfg.max_active_exports;
    let (asks, answers): (Vec<Ask>, Vec<oneshot::Sender<Answer>>) =
        batch.into_iter().map(|p| (p.ask, p.answer)).unzip();
    let size = asks.len();
    exportd_core::telemetry::exports_committed_together(size);
    match exports::insert_if_room(&ctx.pool, &asks, cap).await {
        Ok(written) => {
            for (answer, export) in answers.into_iter().zip(written) {
                let _ = answer.send(Ok(export));
            }
        }
        Err(e) if size > 1 && !crate::error::unavailable(&e) => {
            tracing::warn!(error = %e, asks = size, "a batched export insert failed; writing each alone");
            for (ask, answer) in asks.into_iter().zip(answers) {
                let one = exports::insert_if_room(&ctx.pool, std::slice::from_ref(&ask), cap)
                    .await
                    .map(|mut w| w.pop().flatten())
                    .map_err(Arc::new);
                let _ = answer.send(one);
            }
        }
        Err(e) => {
            let e = Arc::new(e);
            for answer in answers {
                let _ = answer.send(Err(e.clone()));
            }
            return crate::error::unavailable(&e).then_some(e);
        }
    }
    None
}
