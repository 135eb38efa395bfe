//! How every scenario ends: the time it may take to settle after its fault, and what a
//! clean tally is.

use std::time::Duration;

use crate::faults::tally;

/// How long a scenario may take to settle after its fault ends.
pub(super) const SETTLE: Duration = Duration::from_secs(900);

/// Whether every export requested was delivered once: none failed, lost or duplicated.
pub(super) fn clean(t: &tally::Tally) -> bool {
    t.delivered == t.requested && t.failed == 0 && t.lost == 0 && t.duplicates == 0
}
