//! An attempt's hold on its export. The heartbeat renews the lease every third of its
//! length and, between renewals, looks every half second whether the lease still stands
//! (a read), so a cancel or a takeover stops the attempt within a poll, not a renewal.

use std::time::Duration;

use exportd_core::exports::{self, Lease};
use tokio::sync::watch;
use tracing::warn;

/// How often the heartbeat looks whether the lease still stands.
const POLL: Duration = Duration::from_millis(500);

/// The lease an attempt holds while its heartbeat runs; dropping it stops the heartbeat.
pub struct Held {
    lost: watch::Receiver<bool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Held {
    pub fn start(pool: sqlx::PgPool, lease: Lease, length: Duration) -> Held {
        let (tx, lost) = watch::channel(false);
        let heartbeat = tokio::spawn(async move {
            let renew_every = length / 3;
            let mut renewed = tokio::time::Instant::now();
            loop {
                tokio::time::sleep(POLL).await;
                let stands = if renewed.elapsed() >= renew_every {
                    let r = exports::renew(&pool, lease, length.as_secs_f64()).await;
                    if r.is_ok() {
                        renewed = tokio::time::Instant::now();
                    }
                    r
                } else {
                    exports::held(&pool, lease).await
                };
                match stands {
                    Ok(true) => {}
                    Ok(false) => {
                        let _ = tx.send(true);
                        return;
                    }
                    // A database error is not a loss: the lease may well stand.
                    Err(e) => warn!(error = %e, "checking the lease failed; will try again"),
                }
            }
        });
        Held { lost, heartbeat }
    }

    /// Whether the lease is known to be gone (cancelled or taken over).
    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }

    /// Resolves once the lease is gone.
    pub async fn gone(&self) {
        let mut lost = self.lost.clone();
        if lost.wait_for(|l| *l).await.is_err() {
            // The heartbeat ended without a loss: the attempt is over anyway.
            std::future::pending::<()>().await
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}
