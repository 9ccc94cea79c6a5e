//! The mock's notion of time, which tests can move forward without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Monotonic time since the server started, plus whatever a test has added by hand.
///
/// Quotas are computed from this clock rather than from `Instant::now()` directly, so that a
/// test can exhaust a one-hour window and then jump past its end in a microsecond.
#[derive(Debug)]
pub(crate) struct Clock {
    origin: Instant,
    skipped_nanos: AtomicU64,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            origin: Instant::now(),
            skipped_nanos: AtomicU64::new(0),
        }
    }

    /// The time elapsed since the server started, including every advance.
    pub(crate) fn now(&self) -> Duration {
        self.origin.elapsed() + Duration::from_nanos(self.skipped_nanos.load(Ordering::Relaxed))
    }

    /// Moves the clock forward; saturates rather than wrapping after centuries.
    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .skipped_nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(old.saturating_add(nanos))
            });
    }
}
