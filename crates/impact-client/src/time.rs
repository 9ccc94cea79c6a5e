//! Time, sleeping and random numbers, injected so that tests control them (SPEC 3: everything
//! is deterministic under test).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A boxed sleep, as returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The client's source of time: a monotonic clock for deadlines and pacing, the wall clock for
/// rate-limit headers, and sleeping.
///
/// The default, [`TokioClock`], follows tokio's clock, so tests under
/// `#[tokio::test(start_paused = true)]` run in virtual time with no change at all. Implement
/// this trait to drive time some other way.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use impact_client::{Clock, TokioClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = TokioClock::with_unix_start(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// assert_eq!(clock.unix_now().duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_700_000_000);
/// # }
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The monotonic now.
    fn now(&self) -> Instant;

    /// The wall-clock now, used to read `X-RateLimit-Reset` epochs and `Retry-After` dates.
    fn unix_now(&self) -> SystemTime;

    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;

    /// A future that completes at `deadline` (or at once when it has passed).
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.sleep(deadline.saturating_duration_since(self.now()))
    }
}

/// Tokio's clock: [`tokio::time::Instant`], [`tokio::time::sleep`], and a wall clock that
/// advances with tokio's (so that a paused test clock moves both).
#[derive(Debug, Clone)]
pub struct TokioClock {
    start: Instant,
    unix_start: SystemTime,
}

impl TokioClock {
    /// Starts the wall clock at the system's time now.
    pub fn new() -> TokioClock {
        TokioClock::with_unix_start(SystemTime::now())
    }

    /// Starts the wall clock at `unix_start`, for tests that need fixed rate-limit epochs.
    pub fn with_unix_start(unix_start: SystemTime) -> TokioClock {
        TokioClock {
            start: Instant::now(),
            unix_start,
        }
    }
}

impl Default for TokioClock {
    fn default() -> TokioClock {
        TokioClock::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn unix_now(&self) -> SystemTime {
        self.unix_start + self.start.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(deadline))
    }
}

/// Whole seconds since the Unix epoch, as the rate-limit headers count them.
pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// A small, fast, seedable generator (SplitMix64) for jitter. Lock-free: each draw advances an
/// atomic counter, so concurrent calls never wait on each other.
pub(crate) struct Random {
    state: AtomicU64,
}

impl Random {
    pub(crate) fn new(seed: u64) -> Random {
        Random {
            state: AtomicU64::new(seed),
        }
    }

    /// A seed that differs between clients and runs, for production use.
    pub(crate) fn seed_from_time() -> u64 {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64);
        nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
    }

    pub(crate) fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl fmt::Debug for Random {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Random")
    }
}
