//! Time, sleeping and random numbers, injected so that tests control them (SPEC 3: everything
//! is deterministic under test).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A boxed sleep, as returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The client's source of time: a monotonic clock for deadlines and pacing, the wall clock for
/// rate-limit headers, and sleeping.
///
/// The default, [`TokioClock`], follows tokio's clock. For tests, [`ManualClock`] makes every
/// wait the client decides on (backoff, `Retry-After`, pacing) take no real time while the
/// sockets, and the per-attempt timeouts, stay real. Implement this trait to drive time some
/// other way.
///
/// The per-attempt timeout is always a real tokio timer, because it bounds real I/O. Deadlines
/// are reckoned on this clock: an attempt's timeout is the smaller of the per-attempt timeout
/// and the time left on this clock before the total deadline, and after an attempt timed out
/// the client waits with [`Clock::sleep_until`] until the attempt's start plus its timeout, so
/// that a clock which does not follow real time still sees the timed-out attempt take its
/// whole timeout. With a clock that follows real time that wait has already passed.
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

/// A test clock: time moves only when the client sleeps (or catches up with a timed-out
/// attempt, see [`Clock`]) or when the test calls [`ManualClock::advance`], and a sleep
/// completes at once after moving the clock to its deadline.
///
/// Use it to test code that calls the API over real sockets, such as a client against
/// `impact-mock` on loopback, without waiting for backoff, `Retry-After` or pacing, and
/// without tokio's paused clock: a paused runtime that looks idle while the kernel is still
/// delivering a loopback packet jumps straight to the next timer, which is the attempt
/// timeout, so a loaded machine sees attempts time out that never would in real time.
///
/// [`ManualClock::now`] is a real [`tokio::time::Instant`] taken at creation plus the virtual
/// time elapsed, and [`ManualClock::unix_now`] a fixed wall-clock start plus the same, so that
/// rate-limit epochs and dates read the same way on every run. Concurrent sleepers each move
/// the clock to their own deadline, never backwards: the clock reads the latest deadline any
/// of them reached. Clones share the same time.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, UNIX_EPOCH};
/// use impact_client::{Client, Clock, ManualClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = ManualClock::with_unix_start(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
/// let started = clock.now();
/// clock.sleep(Duration::from_secs(30)).await; // returns at once
/// assert_eq!(clock.now() - started, Duration::from_secs(30));
/// assert_eq!(clock.elapsed(), Duration::from_secs(30));
/// assert_eq!(clock.sleeps(), [Duration::from_secs(30)]);
/// assert_eq!(
///     clock.unix_now().duration_since(UNIX_EPOCH).unwrap().as_secs(),
///     1_800_000_030
/// );
///
/// // Hand it to a client; keep a clone to read what the client waited.
/// let client = Client::builder()
///     .account_sid("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4")
///     .auth_token("made-up-token")
///     .clock(Arc::new(clock.clone()))
///     .build()
///     .unwrap();
/// # let _ = client;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    base: Instant,
    unix_start: SystemTime,
    state: Arc<Mutex<ManualState>>,
}

/// The virtual time of a [`ManualClock`] and the sleeps asked of it.
#[derive(Debug, Default)]
struct ManualState {
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock whose wall time starts at the system's time now, rounded down to a whole
    /// second (rate-limit headers count whole seconds, so a fraction would make waits depend
    /// on the moment a test started).
    pub fn new() -> ManualClock {
        let now = SystemTime::now();
        let whole = UNIX_EPOCH + Duration::from_secs(unix_secs(now));
        ManualClock::with_unix_start(whole)
    }

    /// A clock whose wall time starts at `unix_start`, for tests that need fixed rate-limit
    /// epochs and `Retry-After` dates.
    pub fn with_unix_start(unix_start: SystemTime) -> ManualClock {
        ManualClock {
            base: Instant::now(),
            unix_start,
            state: Arc::new(Mutex::new(ManualState::default())),
        }
    }

    /// The virtual time elapsed since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.state().elapsed
    }

    /// Every duration a sleep asked for, in the order asked (a [`Clock::sleep_until`] counts
    /// as the time from now to its deadline, zero when that has passed).
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }

    /// The sum of [`ManualClock::sleeps`].
    pub fn total_slept(&self) -> Duration {
        self.state().sleeps.iter().sum()
    }

    /// Moves the clock forward by `duration`, as time passing outside any sleep (say, the
    /// time a retry budget needs to refill).
    pub fn advance(&self, duration: Duration) {
        let mut state = self.state();
        state.elapsed = state.elapsed.saturating_add(duration);
    }

    fn state(&self) -> MutexGuard<'_, ManualState> {
        // Every update is a single assignment or push, so a panic elsewhere while the lock
        // was held cannot leave the state inconsistent: a poisoned lock is still used.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A sleep that moves the clock to `since_base` after the base instant, and records the
    /// duration `asked`.
    fn sleep_to(&self, since_base: Duration, asked: Duration) -> Sleep {
        self.state().sleeps.push(asked);
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            {
                let mut state = state
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                state.elapsed = state.elapsed.max(since_base);
            }
            // Completing without yielding would let a loop of zero-length sleeps starve the
            // other tasks of a current-thread runtime.
            tokio::task::yield_now().await;
        })
    }
}

/// The furthest a [`ManualClock`] reads from its start: about thirty years, as tokio uses for
/// "never".
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

impl Default for ManualClock {
    fn default() -> ManualClock {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        // An absurd advance saturates at a far future instead of overflowing.
        let elapsed = self.elapsed().min(FAR_FUTURE);
        self.base.checked_add(elapsed).unwrap_or(self.base)
    }

    fn unix_now(&self) -> SystemTime {
        let elapsed = self.elapsed().min(FAR_FUTURE);
        self.unix_start
            .checked_add(elapsed)
            .unwrap_or(self.unix_start)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let deadline = self.elapsed().saturating_add(duration);
        self.sleep_to(deadline, duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let since_base = deadline.saturating_duration_since(self.base);
        let asked = since_base.saturating_sub(self.elapsed());
        self.sleep_to(since_base, asked)
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
