//! An account's limit for one rate-limit group, and the pace derived from it.

use core::fmt;
use core::time::Duration;

/// The longest window or wait the shared state accepts: ten days. Bounding every quantity
/// keeps the Lua scripts' arithmetic exact (Lua numbers are doubles: integers are exact up to
/// 2^53, and microseconds since 1970 plus ten days stay far below that).
pub const MAX_SPAN: Duration = Duration::from_secs(10 * 24 * 3600);

/// [`MAX_SPAN`] in microseconds.
pub(crate) const MAX_SPAN_US: u64 = 10 * 24 * 3600 * 1_000_000;

/// `calls` per `window`, as the server enforces it for one rate-limit group (SPEC 2.6).
///
/// ```
/// use core::time::Duration;
/// use impact_quota::Limit;
///
/// let limit = Limit::per(300, Duration::from_secs(60)).expect("a valid limit");
/// assert_eq!(limit.interval(), Duration::from_millis(200));
/// assert!(Limit::per(0, Duration::from_secs(60)).is_err());
/// assert_eq!(Limit::PARTNER_DEFAULT.to_string(), "1000 calls per 3600s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    calls: u32,
    window: Duration,
}

/// A limit that cannot pace anything: no calls, or a window outside 1 ms to [`MAX_SPAN`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLimit {
    calls: u32,
    window: Duration,
}

impl fmt::Display for InvalidLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a limit needs at least one call per window of 1 ms to 10 days (got {} per {:?})",
            self.calls, self.window
        )
    }
}

impl std::error::Error for InvalidLimit {}

impl Limit {
    /// The Partner API's default: 1,000 calls per hour (SPEC 2.6).
    pub const PARTNER_DEFAULT: Limit = Limit {
        calls: 1000,
        window: Duration::from_secs(3600),
    };

    /// `calls` per `window`; at least one call, in a window of 1 ms to [`MAX_SPAN`].
    pub fn per(calls: u32, window: Duration) -> Result<Limit, InvalidLimit> {
        if calls == 0 || window < Duration::from_millis(1) || window > MAX_SPAN {
            return Err(InvalidLimit { calls, window });
        }
        Ok(Limit { calls, window })
    }

    /// Calls allowed per window.
    pub const fn calls(&self) -> u32 {
        self.calls
    }

    /// The window's length.
    pub const fn window(&self) -> Duration {
        self.window
    }

    /// The same window with another number of calls (the server's `X-RateLimit-Limit`, say);
    /// `None` for zero calls.
    pub fn with_calls(self, calls: u32) -> Option<Limit> {
        Limit::per(calls, self.window).ok()
    }

    /// The spacing of calls that spends exactly the limit over a window, rounded up to the
    /// microsecond so that the pace never runs faster than the limit.
    pub fn interval(&self) -> Duration {
        Duration::from_micros(self.interval_us())
    }

    pub(crate) fn interval_us(&self) -> u64 {
        let window = self.window.as_micros() as u64;
        window.div_ceil(u64::from(self.calls)).max(1)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} calls per {:?}", self.calls, self.window)
    }
}

/// How the shared pace spends a [`Limit`]: a GCRA (generic cell rate algorithm) with one call
/// per [`Limit::interval`], a burst tolerance, and a reservation horizon.
///
/// - The *tolerance* lets a call go that much earlier than its even spacing. The default is
///   zero: the server counts calls in fixed windows, and any burst is calls the window's end
///   has to give back.
/// - The *horizon* is how far ahead a slot is reserved for a call. A call whose slot lies
///   further away is told to come back shortly before it ([`Admit::Later`](crate::Admit)), so
///   that a correction from the server's headers or a pause after a 429 still applies to it
///   when it returns. The default is one interval: at most one call is committed ahead.
///
/// ```
/// use core::time::Duration;
/// use impact_quota::{Limit, Pace};
///
/// let limit = Limit::per(300, Duration::from_secs(60)).expect("a valid limit");
/// let pace = Pace::new(limit);
/// assert_eq!(pace.horizon(), Duration::from_millis(200));
/// assert_eq!(pace.tolerance(), Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pace {
    limit: Limit,
    tolerance_us: u64,
    horizon_us: u64,
}

impl Pace {
    /// The pace of `limit` with no burst and a horizon of one interval.
    pub fn new(limit: Limit) -> Pace {
        Pace {
            limit,
            tolerance_us: 0,
            horizon_us: limit.interval_us(),
        }
    }

    /// Lets calls go up to `tolerance` ahead of their even spacing (at most the window).
    pub fn with_tolerance(mut self, tolerance: Duration) -> Pace {
        self.tolerance_us = micros(tolerance.min(self.limit.window));
        self
    }

    /// Reserves slots up to `horizon` ahead (at least 1 ms, at most [`MAX_SPAN`]).
    pub fn with_horizon(mut self, horizon: Duration) -> Pace {
        let horizon = horizon.clamp(Duration::from_millis(1), MAX_SPAN);
        self.horizon_us = micros(horizon);
        self
    }

    /// The same pace for another limit, keeping the tolerance and horizon as far as the new
    /// window allows.
    pub fn with_limit(self, limit: Limit) -> Pace {
        Pace { limit, ..self }
            .with_tolerance(Duration::from_micros(self.tolerance_us))
            .with_horizon(Duration::from_micros(self.horizon_us))
    }

    /// The limit being paced.
    pub const fn limit(&self) -> Limit {
        self.limit
    }

    /// The burst tolerance.
    pub const fn tolerance(&self) -> Duration {
        Duration::from_micros(self.tolerance_us)
    }

    /// The reservation horizon.
    pub const fn horizon(&self) -> Duration {
        Duration::from_micros(self.horizon_us)
    }

    pub(crate) fn interval_us(&self) -> u64 {
        self.limit.interval_us()
    }

    pub(crate) const fn tolerance_us(&self) -> u64 {
        self.tolerance_us
    }

    pub(crate) const fn horizon_us(&self) -> u64 {
        self.horizon_us
    }
}

/// A duration in whole microseconds, at most [`MAX_SPAN`].
pub(crate) fn micros(duration: Duration) -> u64 {
    (duration.min(MAX_SPAN).as_micros() as u64).min(MAX_SPAN_US)
}
