//! The mock's two readings of time: the world's clock and the quota windows' monotonic time.
//!
//! The world's `now` starts at a chosen instant, follows real time unless frozen, and moves
//! forward on request. Quota windows follow real time plus every advance, even when the world
//! is frozen, so that a client waiting out a window sees it end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::time::Timestamp;

/// Whether the world's clock follows real time.
///
/// ```
/// use impact_mock::ClockMode;
///
/// assert_ne!(ClockMode::Live, ClockMode::Frozen);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockMode {
    /// `now` moves with real time (and jumps forward on every advance).
    Live,
    /// `now` stands still until advanced.
    Frozen,
}

#[derive(Debug)]
pub(crate) struct Clock {
    origin: Instant,
    start: Timestamp,
    mode: ClockMode,
    skipped_nanos: AtomicU64,
}

impl Clock {
    pub(crate) fn new(start: Timestamp, mode: ClockMode) -> Clock {
        Clock {
            origin: Instant::now(),
            start,
            mode,
            skipped_nanos: AtomicU64::new(0),
        }
    }

    /// The real time now, in whole seconds.
    pub(crate) fn system_now() -> Timestamp {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
            });
        Timestamp::from_unix_seconds(seconds)
    }

    /// Time since the server started, including every advance: what quota windows count.
    pub(crate) fn elapsed(&self) -> Duration {
        self.origin.elapsed() + self.skipped()
    }

    /// The world's `now`.
    pub(crate) fn now(&self) -> Timestamp {
        let moved = match self.mode {
            ClockMode::Live => self.origin.elapsed() + self.skipped(),
            ClockMode::Frozen => self.skipped(),
        };
        self.start
            .plus(i64::try_from(moved.as_secs()).unwrap_or(i64::MAX))
    }

    fn skipped(&self) -> Duration {
        Duration::from_nanos(self.skipped_nanos.load(Ordering::Acquire))
    }

    /// Moves both readings forward; saturates rather than wrapping after centuries.
    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .skipped_nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| {
                Some(old.saturating_add(nanos))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_world_moves_only_when_advanced() {
        let start = Timestamp::from_unix_seconds(1_700_000_000);
        let clock = Clock::new(start, ClockMode::Frozen);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start.plus(90));
        assert!(clock.elapsed() >= Duration::from_secs(90));
        let live = Clock::new(start, ClockMode::Live);
        live.advance(Duration::from_secs(5));
        assert!(live.now() >= start.plus(5));
    }
}
