//! The API's coalesced hand-over of accepted exports to the queue: a burst of requests
//! makes a few dispatches, not one each.

use crate::ids::{AccountId, ExportId};

/// Coalesces the API's hand-overs of newly accepted exports to the queue: what is accepted
/// while a hand-over runs goes in the next one, so a burst of requests makes a few
/// dispatches rather than one per request. Each entry is (export id, account id).
#[derive(Debug, Default)]
pub struct Handoff {
    pending: std::sync::Mutex<Vec<(i64, i64)>>,
    running: std::sync::atomic::AtomicBool,
}

impl Handoff {
    /// Adds an export. Returns true when no hand-over is running: the caller must then
    /// start one, which drains [`Handoff::next_batch`] until it returns `None`.
    pub fn push(&self, export_id: ExportId, account_id: AccountId) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.pending
            .lock()
            .expect("handoff lock")
            .push((export_id.0, account_id.0));
        !self.running.swap(true, SeqCst)
    }

    /// Everything added since the last batch, or `None` when there is nothing left; the
    /// hand-over then stops, and the next [`Handoff::push`] starts another.
    pub fn next_batch(&self) -> Option<Vec<(i64, i64)>> {
        use std::sync::atomic::Ordering::SeqCst;
        loop {
            let batch = std::mem::take(&mut *self.pending.lock().expect("handoff lock"));
            if !batch.is_empty() {
                return Some(batch);
            }
            self.running.store(false, SeqCst);
            // An export added after the take saw a hand-over running and started none:
            // take it over, unless a new hand-over already did.
            if self.pending.lock().expect("handoff lock").is_empty()
                || self.running.swap(true, SeqCst)
            {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod handoff_tests {
    use super::Handoff;
    use crate::ids::{AccountId, ExportId};

    #[test]
    fn a_burst_is_handed_over_in_batches_and_nothing_is_left_behind() {
        let h = Handoff::default();
        assert!(
            h.push(ExportId(1), AccountId(10)),
            "the first export starts a hand-over"
        );
        assert!(!h.push(ExportId(2), AccountId(10)), "one is running");
        assert!(!h.push(ExportId(3), AccountId(11)));
        assert_eq!(h.next_batch(), Some(vec![(1, 10), (2, 10), (3, 11)]));
        assert!(
            !h.push(ExportId(4), AccountId(10)),
            "still running until it finds nothing"
        );
        assert_eq!(h.next_batch(), Some(vec![(4, 10)]));
        assert_eq!(h.next_batch(), None);
        assert!(
            h.push(ExportId(5), AccountId(10)),
            "stopped: the next export starts another"
        );
        assert_eq!(h.next_batch(), Some(vec![(5, 10)]));
        assert_eq!(h.next_batch(), None);
    }

    #[test]
    fn concurrent_pushes_all_get_handed_over_exactly_once() {
        let h = std::sync::Arc::new(Handoff::default());
        let handed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (h, handed) = (h.clone(), handed.clone());
                std::thread::spawn(move || {
                    for i in 0..500 {
                        if h.push(ExportId(t * 1000 + i), AccountId(t)) {
                            while let Some(batch) = h.next_batch() {
                                handed
                                    .lock()
                                    .unwrap()
                                    .extend(batch.into_iter().map(|(e, _)| e));
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut handed = handed.lock().unwrap().clone();
        handed.sort();
        let mut expected: Vec<i64> = (0..8)
            .flat_map(|t| (0..500).map(move |i| t * 1000 + i))
            .collect();
        expected.sort();
        assert_eq!(handed, expected);
    }
}
