//! Pacing: when the next call on an account may be sent, from the rate-limit headers of the
//! responses seen so far.

use core::fmt;
use core::time::Duration;

use impact_errors::{RateLimitInfo, RetryAfter, StatusCode};

/// Rate-limit headers carry whole seconds, as a delay the server may have rounded down or as a
/// Unix time compared with a clock read in whole seconds. Waiting one extra second makes sure
/// the reset has really passed, so that the first call after it is not another 429. An instant
/// before the clock's current second has passed already, whatever the rounding: no wait.
const RESET_MARGIN: Duration = Duration::from_secs(1);

/// What the pacer (or a store of shared limits) says about sending a call now.
///
/// [`Pacer::admit`] answers `Now`, `Wait` or `TooLong`. `Later` is for a pace kept elsewhere
/// (a store shared by many processes) that reserves only the next slot or so: a call further
/// back is told when to ask again rather than given a slot far ahead, so that what the server
/// says in the meantime (another tool spent the quota, a 429 asked for a pause) still applies
/// to it.
///
/// ```
/// use core::time::Duration;
/// use impact_retry::Admission;
///
/// let wait = Admission::Wait(Duration::from_secs(3));
/// assert_eq!(wait.delay(), Some(Duration::from_secs(3)));
/// assert_eq!(Admission::Now.to_string(), "send now");
/// // Asking again is not sending: no delay after which the call may go.
/// assert_eq!(Admission::Later(Duration::from_secs(3)).delay(), None);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Admission {
    /// Nothing holds the call back.
    Now,
    /// Wait this long, then send.
    Wait(Duration),
    /// Wait this long, then ask again: nothing is promised yet.
    Later(Duration),
    /// The wait is longer than the caller allows: fail fast with a rate-limit error that says
    /// to come back after this long.
    TooLong {
        /// How long until the account may be called again.
        retry_after: Duration,
    },
}

impl Admission {
    /// How long to wait before sending, or `None` when the call must not be sent on this
    /// answer (it must ask again, or not be sent at all).
    pub const fn delay(self) -> Option<Duration> {
        match self {
            Admission::Now => Some(Duration::ZERO),
            Admission::Wait(delay) => Some(delay),
            Admission::Later(_) | Admission::TooLong { .. } => None,
        }
    }
}

impl fmt::Display for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Admission::Now => f.write_str("send now"),
            Admission::Wait(delay) => write!(f, "wait {delay:?} for the rate limit to reset"),
            Admission::Later(delay) => write!(f, "ask again in {delay:?}"),
            Admission::TooLong { retry_after } => {
                write!(f, "rate limited: come back in {retry_after:?}")
            }
        }
    }
}

/// Holds calls on one account back while its rate limit is exhausted (SPEC 3, pacing).
///
/// Feed it every response's rate-limit headers with [`Pacer::observe`]; ask it before every
/// attempt with [`Pacer::admit`]. While the last response said `Remaining: 0` for a limit, or
/// answered 429, nothing is released before that limit's reset instant (plus one second,
/// because the headers carry whole seconds; an instant before the current second asks for no
/// wait) nor before a 429's `Retry-After` delay has passed (exactly: it is already relative to
/// the response). Times are [`Duration`]s since an origin the caller
/// chooses (a monotonic clock); the headers' Unix times are converted with the Unix time the
/// caller passes beside it.
///
/// Why it does not also spread calls evenly over the window: with several independent
/// clients on one account, each sees only the `Remaining` count its own responses carried, so
/// any client-side rate would be a guess at the others' load. Stopping exactly at
/// `Remaining: 0` uses the whole allowance, and each client can meet at most one 429 per
/// window (the one that tells it another client used the last call), after which it waits
/// for the reset like the others.
///
/// ```
/// use core::time::Duration;
/// use impact_errors::{RateLimitInfo, StatusCode};
/// use impact_retry::{Admission, Pacer};
///
/// let mut pacer = Pacer::new();
/// let now = Duration::from_secs(100);
/// let info = RateLimitInfo::from_headers([
///     ("X-RateLimit-Limit", &b"1000"[..]),
///     ("X-RateLimit-Remaining", b"0"),
///     ("X-RateLimit-Reset", b"30"),
/// ]);
/// pacer.observe(&info, StatusCode::OK, now, 1_700_000_000);
/// assert_eq!(pacer.admit(now, Duration::from_secs(60)), Admission::Wait(Duration::from_secs(31)));
/// assert_eq!(
///     pacer.admit(now, Duration::from_secs(10)),
///     Admission::TooLong { retry_after: Duration::from_secs(31) },
/// );
/// assert_eq!(pacer.admit(now + Duration::from_secs(31), Duration::ZERO), Admission::Now);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pacer {
    /// No call may be sent before this instant.
    blocked_until: Option<Duration>,
}

impl Pacer {
    /// A pacer that holds nothing back yet.
    pub const fn new() -> Pacer {
        Pacer {
            blocked_until: None,
        }
    }

    /// Records a response's status and rate-limit headers. A 429's `Retry-After` and reset
    /// headers also hold calls back; on any other status only an exhausted limit does. `now`
    /// is the monotonic instant and `unix_now` the Unix time (seconds) at which it was received.
    pub fn observe(
        &mut self,
        info: &RateLimitInfo,
        status: StatusCode,
        now: Duration,
        unix_now: u64,
    ) {
        let too_many_requests = status == StatusCode::TOO_MANY_REQUESTS;
        // Unix times and whole-second reset delays get the margin; a `Retry-After` delay is
        // the server's own word on how long to wait from now, so it is honoured exactly.
        let mut until_unix = info.exhausted_until(unix_now);
        let mut exact_wait = None;
        if too_many_requests {
            let hinted = match info.retry_after {
                Some(RetryAfter::Delay(secs)) => {
                    exact_wait = Some(Duration::from_secs(secs));
                    None
                }
                Some(RetryAfter::At(epoch)) => Some(epoch),
                None => None,
            };
            for candidate in [hinted, info.reset_at(unix_now)].into_iter().flatten() {
                until_unix = Some(until_unix.map_or(candidate, |known| known.max(candidate)));
            }
        }
        // An instant in an earlier second than the clock's has passed, rounding and all.
        if let Some(until_unix) = until_unix.filter(|until| *until >= unix_now) {
            let wait = Duration::from_secs(until_unix - unix_now);
            self.block_until(now.saturating_add(wait).saturating_add(RESET_MARGIN));
        }
        if let Some(wait) = exact_wait {
            self.block_until(now.saturating_add(wait));
        }
    }

    /// Holds every call back until `instant`, unless it is already held back longer.
    pub fn block_until(&mut self, instant: Duration) {
        self.blocked_until = Some(match self.blocked_until {
            Some(known) if known >= instant => known,
            _ => instant,
        });
    }

    /// The instant before which no call may be sent, if one is being held back at `now`.
    pub fn blocked_until(&self, now: Duration) -> Option<Duration> {
        self.blocked_until.filter(|until| *until > now)
    }

    /// How long a call must wait at `now` before it may be sent (zero when free).
    pub fn wait(&self, now: Duration) -> Duration {
        self.blocked_until(now)
            .map_or(Duration::ZERO, |until| until.saturating_sub(now))
    }

    /// Whether a call may be sent at `now`, after a wait, or not within `max_wait`.
    pub fn admit(&self, now: Duration, max_wait: Duration) -> Admission {
        let wait = self.wait(now);
        if wait.is_zero() {
            Admission::Now
        } else if wait > max_wait {
            Admission::TooLong { retry_after: wait }
        } else {
            Admission::Wait(wait)
        }
    }
}
