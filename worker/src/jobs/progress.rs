//! An attempt's progress on its export row. Each write is an update of the export, an event
//! row and a wake-up of the account's streams, so an attempt writes at most once per
//! [`EVERY`], the first time one period after it began: a report done sooner goes from
//! `running` to `succeeded` without steps between, and a long one moves its bar twice a
//! second. (Under a backlog of small exports these writes were four per export.)

use std::sync::{Arc, Mutex};

use exportd_core::exports::{self, Lease};
use tokio::{sync::watch, task::JoinHandle, time::Instant};

use super::{generate_error::GenerateError, lease::Held};
use crate::Ctx;

/// How often an attempt may write its progress.
const EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// When an attempt may next write its progress; shared by its checkpoints and its reporter.
pub struct Progress {
    next: Mutex<Instant>,
}

impl Progress {
    /// The progress of an attempt beginning now.
    pub fn start() -> Arc<Progress> {
        Arc::new(Progress {
            next: Mutex::new(Instant::now() + EVERY),
        })
    }

    /// Whether a write is due now; if so, the next one is a period away.
    fn take(&self) -> bool {
        let mut next = self.next.lock().expect("progress gate");
        let now = Instant::now();
        if now < *next {
            return false;
        }
        *next = now + EVERY;
        true
    }

    /// Waits until a write is due, and takes it.
    async fn wait(&self) {
        loop {
            let at = *self.next.lock().expect("progress gate");
            tokio::time::sleep_until(at).await;
            if self.take() {
                return;
            }
        }
    }

    /// Records `progress` when a write is due, and stops the work when the lease is gone
    /// (the heartbeat's look, or the fenced write's).
    pub async fn checkpoint(
        &self,
        ctx: &Ctx,
        lease: Lease,
        held: &Held,
        progress: i16,
    ) -> Result<(), GenerateError> {
        if held.is_lost()
            || (self.take() && !exports::set_progress(&ctx.pool, lease, progress).await?)
        {
            return Err(GenerateError::LeaseLost);
        }
        Ok(())
    }

    /// Writes the shares the renderer sends on `rx` while the file is written: what comes
    /// meanwhile is one write, of the latest share, when a write is due; none once the file
    /// is written (the sender is gone) or the lease is lost.
    pub fn report(
        self: &Arc<Self>,
        ctx: &Ctx,
        lease: Lease,
        account_id: i64,
        mut rx: watch::Receiver<i16>,
    ) -> JoinHandle<()> {
        let (pool, mut redis, cfg) = (ctx.pool.clone(), ctx.redis.clone(), ctx.cfg.clone());
        let gate = self.clone();
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let closed = async { while rx.changed().await.is_ok() {} };
                tokio::select! {
                    biased;
                    () = gate.wait() => {}
                    () = closed => return,
                }
                let p = *rx.borrow_and_update();
                if !exports::set_progress(&pool, lease, p).await.unwrap_or(true) {
                    return;
                }
                // The account's streams show it now, not at their next poll.
                exportd_core::events::publish(&mut redis, &cfg, account_id).await;
            }
        })
    }
}
