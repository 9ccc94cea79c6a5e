//! The retry configuration (SPEC 3 defaults) and the backoff it computes.

use core::fmt;
use core::time::Duration;

/// How the exponential backoff is randomised, after the AWS Architecture Blog's
/// "Exponential Backoff and Jitter" (2015).
///
/// With `b` the exponential delay for the retry (`initial * factor^(retry - 1)`, capped):
/// - `Full`: uniform in `[0, b]` (the default: fewest calls under contention);
/// - `Equal`: `b / 2` plus uniform in `[0, b / 2]`;
/// - `Decorrelated`: uniform in `[initial, 3 * previous delay]`, capped;
/// - `None`: exactly `b`.
///
/// ```
/// use impact_retry::Jitter;
///
/// assert_eq!(Jitter::default(), Jitter::Full);
/// assert_eq!(Jitter::Decorrelated.to_string(), "decorrelated");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Jitter {
    /// Uniform in `[0, b]`.
    #[default]
    Full,
    /// `b / 2` plus uniform in `[0, b / 2]`.
    Equal,
    /// Uniform in `[initial, 3 * previous]`, capped.
    Decorrelated,
    /// No randomness: exactly `b`.
    None,
}

impl Jitter {
    /// Every mode, the default first.
    pub const ALL: [Jitter; 4] = [
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
        Jitter::None,
    ];

    /// The mode's name: `full`, `equal`, `decorrelated` or `none`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
            Jitter::None => "none",
        }
    }
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a [`RetryPolicy`] was refused by [`RetryPolicy::validate`].
///
/// ```
/// use impact_retry::{PolicyError, RetryPolicy};
///
/// let policy = RetryPolicy::new().with_max_attempts(0);
/// assert_eq!(policy.validate(), Err(PolicyError::NoAttempts));
/// assert_eq!(PolicyError::NoAttempts.to_string(), "max attempts must be at least 1");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyError {
    /// `max_attempts` is zero: not even the first attempt would be made.
    NoAttempts,
    /// `factor` is zero: every backoff after the first would be zero.
    ZeroFactor,
    /// `attempt_timeout` is zero: no attempt could ever complete.
    ZeroAttemptTimeout,
    /// The initial backoff is above the cap.
    InitialAboveCap,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyError::NoAttempts => "max attempts must be at least 1",
            PolicyError::ZeroFactor => "backoff factor must be at least 1",
            PolicyError::ZeroAttemptTimeout => "per-attempt timeout must be above zero",
            PolicyError::InitialAboveCap => "initial backoff must not exceed the backoff cap",
        })
    }
}

impl core::error::Error for PolicyError {}

/// The retry policy: how many attempts, how long to back off, how long to wait for the server.
///
/// [`RetryPolicy::new`] (and `Default`) gives the defaults of SPEC 3: 4 attempts in all,
/// exponential backoff from 500 ms with factor 2 capped at 20 s, full jitter, a per-attempt
/// timeout of 30 s, no total deadline, and at most 60 s of waiting for a server hint or for
/// pacing. The policy is plain data: copy it freely, and share one per client.
///
/// ```
/// use core::time::Duration;
/// use impact_retry::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::new()
///     .with_max_attempts(6)
///     .with_jitter(Jitter::Equal)
///     .with_total_deadline(Some(Duration::from_secs(120)));
/// assert_eq!(policy.validate(), Ok(()));
/// assert_eq!(policy.initial_backoff, Duration::from_millis(500));
/// // Without jitter the third retry waits 500 ms * 2^2.
/// let plain = RetryPolicy::new().with_jitter(Jitter::None);
/// assert_eq!(plain.exponential(3), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    /// Attempts in all, the first included: 1 means no retry. Default 4.
    pub max_attempts: u32,
    /// The backoff before the first retry, before jitter. Default 500 ms.
    pub initial_backoff: Duration,
    /// Each retry's backoff is this many times the previous one's. Default 2.
    pub factor: u32,
    /// No backoff exceeds this. Default 20 s. (A server hint may ask for longer: it wins.)
    pub max_backoff: Duration,
    /// How the backoff is randomised. Default [`Jitter::Full`].
    pub jitter: Jitter,
    /// The longest one attempt may take, connect, headers and body. Default 30 s.
    pub attempt_timeout: Duration,
    /// The longest a whole call may take, retries and waits included. Default none.
    pub total_deadline: Option<Duration>,
    /// The longest wait for a server hint or for pacing; beyond it the call gives up at once
    /// saying when to come back. Default 60 s.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::new()
    }
}

impl RetryPolicy {
    /// The defaults of SPEC 3.
    pub const fn new() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            factor: 2,
            max_backoff: Duration::from_secs(20),
            jitter: Jitter::Full,
            attempt_timeout: Duration::from_secs(30),
            total_deadline: None,
            max_wait: Duration::from_secs(60),
        }
    }

    /// Sets the number of attempts in all, the first included.
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> RetryPolicy {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the backoff before the first retry.
    pub const fn with_initial_backoff(mut self, initial: Duration) -> RetryPolicy {
        self.initial_backoff = initial;
        self
    }

    /// Sets the growth factor of the backoff.
    pub const fn with_factor(mut self, factor: u32) -> RetryPolicy {
        self.factor = factor;
        self
    }

    /// Sets the cap on any backoff.
    pub const fn with_max_backoff(mut self, cap: Duration) -> RetryPolicy {
        self.max_backoff = cap;
        self
    }

    /// Sets the jitter mode.
    pub const fn with_jitter(mut self, jitter: Jitter) -> RetryPolicy {
        self.jitter = jitter;
        self
    }

    /// Sets the per-attempt timeout.
    pub const fn with_attempt_timeout(mut self, timeout: Duration) -> RetryPolicy {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets (or clears) the total deadline of a call.
    pub const fn with_total_deadline(mut self, deadline: Option<Duration>) -> RetryPolicy {
        self.total_deadline = deadline;
        self
    }

    /// Sets the longest wait for a server hint or for pacing.
    pub const fn with_max_wait(mut self, max_wait: Duration) -> RetryPolicy {
        self.max_wait = max_wait;
        self
    }

    /// Checks that the policy can make calls at all.
    pub const fn validate(&self) -> Result<(), PolicyError> {
        if self.max_attempts == 0 {
            return Err(PolicyError::NoAttempts);
        }
        if self.factor == 0 {
            return Err(PolicyError::ZeroFactor);
        }
        if self.attempt_timeout.is_zero() {
            return Err(PolicyError::ZeroAttemptTimeout);
        }
        if self.initial_backoff.as_nanos() > self.max_backoff.as_nanos() {
            return Err(PolicyError::InitialAboveCap);
        }
        Ok(())
    }

    /// The exponential backoff before retry number `retry` (1 for the first retry), before
    /// jitter: `initial * factor^(retry - 1)`, never above the cap.
    pub const fn exponential(&self, retry: u32) -> Duration {
        let cap = self.max_backoff.as_nanos();
        let mut nanos = self.initial_backoff.as_nanos();
        let mut step = 1;
        // Multiplying step by step stops as soon as the cap is reached, so a huge retry
        // number costs no more than the few steps to the cap and can never overflow.
        while step < retry && nanos < cap {
            nanos = nanos.saturating_mul(self.factor as u128);
            if self.factor <= 1 {
                break;
            }
            step += 1;
        }
        duration_from_nanos(min_u128(nanos, cap))
    }

    /// The jittered backoff before retry number `retry`, given the previous delay (for
    /// decorrelated jitter) and a uniformly distributed random number.
    pub const fn backoff(&self, retry: u32, previous: Duration, random: u64) -> Duration {
        let cap = self.max_backoff.as_nanos();
        match self.jitter {
            Jitter::None => self.exponential(retry),
            Jitter::Full => {
                let ceiling = self.exponential(retry).as_nanos();
                duration_from_nanos(scale(random, ceiling))
            }
            Jitter::Equal => {
                let ceiling = self.exponential(retry).as_nanos();
                let half = ceiling / 2;
                duration_from_nanos(ceiling - half + scale(random, half))
            }
            Jitter::Decorrelated => {
                let low = min_u128(self.initial_backoff.as_nanos(), cap);
                let previous = if previous.as_nanos() > low {
                    previous.as_nanos()
                } else {
                    low
                };
                let high = min_u128(previous.saturating_mul(3), cap);
                let high = if high > low { high } else { low };
                duration_from_nanos(low + scale(random, high - low))
            }
        }
    }
}

/// Maps a uniformly distributed `u64` onto `[0, span]` with integer arithmetic, so that the
/// decision is exact and identical on every target.
const fn scale(random: u64, span: u128) -> u128 {
    // span + 1 values; spans here are at most a few hundred years in nanoseconds, so the
    // product stays far below u128::MAX.
    let span = if span > u64::MAX as u128 {
        u64::MAX as u128
    } else {
        span
    };
    (random as u128 * (span + 1)) >> 64
}

const fn min_u128(a: u128, b: u128) -> u128 {
    if a < b { a } else { b }
}

/// A duration from nanoseconds, saturating at the largest `Duration` this crate produces.
pub(crate) const fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = nanos / NANOS_PER_SEC;
    if secs > u64::MAX as u128 {
        return Duration::MAX;
    }
    Duration::new(secs as u64, (nanos % NANOS_PER_SEC) as u32)
}
