//! Whether the store is worth asking: after a failure, calls stop waiting on Redis for a
//! while, and one call at a time probes it again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind};

/// The store's health, shared by every clone of the store.
///
/// `down_until` is milliseconds since `origin` before which nothing is sent to Redis (0 when
/// the store is up). When that instant passes, the first operation moves it one retry
/// interval on and goes through as the probe; the others keep failing at once until the probe
/// has succeeded.
#[derive(Debug)]
pub(crate) struct Health {
    origin: Instant,
    down_until: AtomicU64,
    retry_after: Duration,
    outages: AtomicU64,
}

const UP: u64 = 0;

impl Health {
    pub(crate) fn new(retry_after: Duration) -> Health {
        Health {
            origin: Instant::now(),
            down_until: AtomicU64::new(UP),
            retry_after,
            outages: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        // At least 1, so that an instant is never mistaken for "up".
        (self.origin.elapsed().as_millis() as u64).max(1)
    }

    fn next_try(&self) -> u64 {
        self.now_ms()
            .saturating_add(self.retry_after.as_millis() as u64)
    }

    /// `Ok` when an operation may go to Redis now, either because the store is up or because
    /// this operation is the probe; otherwise the error to return at once.
    pub(crate) fn admit(&self) -> Result<(), Error> {
        let until = self.down_until.load(Ordering::Acquire);
        if until == UP {
            return Ok(());
        }
        let now = self.now_ms();
        if now >= until
            && self
                .down_until
                .compare_exchange(until, self.next_try(), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Unavailable,
            "the shared quota store is down; it is tried again shortly",
        ))
    }

    /// Records a failure to reach Redis: calls fail at once until the retry interval passes.
    pub(crate) fn failed(&self, error: &Error) {
        let previous = self.down_until.swap(self.next_try(), Ordering::AcqRel);
        if previous == UP {
            let outages = self.outages.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                outages,
                retry_in_ms = self.retry_after.as_millis() as u64,
                "shared quota store unavailable: {error}"
            );
        }
    }

    /// Records an answer from Redis.
    pub(crate) fn succeeded(&self) {
        if self.down_until.swap(UP, Ordering::AcqRel) != UP {
            tracing::info!("shared quota store reachable again");
        }
    }

    /// Whether the last operation reached Redis.
    pub(crate) fn is_up(&self) -> bool {
        self.down_until.load(Ordering::Acquire) == UP
    }

    /// How many times the store went from up to down.
    pub(crate) fn outages(&self) -> u64 {
        self.outages.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_closes_the_store_until_one_probe_may_go() {
        let health = Health::new(Duration::from_millis(500));
        assert!(health.admit().is_ok());
        health.failed(&Error::new(ErrorKind::Unavailable, "test"));
        assert!(!health.is_up());
        assert!(health.admit().is_err(), "closed right after the failure");
        std::thread::sleep(Duration::from_millis(600));
        assert!(
            health.admit().is_ok(),
            "the first call after the interval probes"
        );
        assert!(health.admit().is_err(), "only one probe at a time");
        health.succeeded();
        assert!(health.is_up());
        assert!(health.admit().is_ok());
        assert_eq!(health.outages(), 1);
    }
}
