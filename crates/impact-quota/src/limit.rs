//! An account's limit for one rate-limit group, and the pace derived from it.

use core::fmt;
use core::time::Duration;

use impact_errors::{LimitFamily, RateLimitInfo};

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

/// A group's limit as the server's rate-limit headers show it, for a pace given none.
///
/// Headers carry the calls of a window (`X-RateLimit-Limit` and the other families) but not its
/// length, so the length is learned: a window is at least as long as any time to its reset it
/// announces, and the first response of a window announces all of it. Per header family it
/// keeps the calls last named and the longest time to a reset seen; the limit is that of the
/// family whose calls are spread thinnest.
///
/// What it assumes: the server counts fixed windows and says how long until the current one
/// resets (as a delay, or as a Unix time read against this machine's clock: a clock that is off
/// by more than a window misleads it). Until a response from a window's first moments has been
/// seen, the window it knows is too short and the pace too quick; the corrections from the
/// headers ([`Observation`](crate::Observation)) then hold the calls to those the window has
/// left, and the first response of the next window sets the length right.
///
/// ```
/// use core::time::Duration;
/// use impact_errors::RateLimitInfo;
/// use impact_quota::{LearnedLimit, Limit};
///
/// let mut learned = LearnedLimit::default();
/// assert_eq!(learned.limit(), None);
/// let headers = |remaining: &'static [u8], reset: &'static [u8]| {
///     RateLimitInfo::from_headers([
///         ("X-RateLimit-Limit", &b"300"[..]),
///         ("X-RateLimit-Remaining", remaining),
///         ("X-RateLimit-Reset", reset),
///     ])
/// };
/// // Joined 25 s before a reset: the window is at least that long.
/// learned.observe(&headers(b"120", b"25"), 1_700_000_000);
/// assert_eq!(learned.limit(), Limit::per(300, Duration::from_secs(25)).ok());
/// // The first answer of the next window shows it whole.
/// learned.observe(&headers(b"299", b"60"), 1_700_000_026);
/// assert_eq!(learned.limit(), Limit::per(300, Duration::from_secs(60)).ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LearnedLimit {
    /// Per header family: the calls per window and the longest time to a reset, in seconds.
    families: [Option<(u32, u64)>; 3],
}

impl LearnedLimit {
    /// What one response's headers say, read at `unix_now` (the Unix time of receipt, for
    /// resets given as Unix times).
    pub fn from_headers(info: &RateLimitInfo, unix_now: u64) -> LearnedLimit {
        let mut learned = LearnedLimit::default();
        for window in info.windows() {
            let (Some(calls), Some(reset)) = (window.limit, window.reset) else {
                continue;
            };
            let calls = u32::try_from(calls).unwrap_or(u32::MAX);
            learned = learned.with_family(window.family, calls, reset.delay_from(unix_now));
        }
        learned
    }

    /// Learns from a response's headers, read at `unix_now`. Returns whether the limit it
    /// gives changed.
    pub fn observe(&mut self, info: &RateLimitInfo, unix_now: u64) -> bool {
        let before = self.limit();
        self.merge(&LearnedLimit::from_headers(info, unix_now));
        self.limit() != before
    }

    /// The limit learned so far, or `None` before any response named a limit and a reset.
    pub fn limit(&self) -> Option<Limit> {
        self.families
            .iter()
            .flatten()
            .filter_map(|(calls, window)| Limit::per(*calls, Duration::from_secs(*window)).ok())
            .max_by_key(|limit| limit.interval_us())
    }

    /// Takes in what `other` learned: per family, its calls, and the longer of the two
    /// windows.
    pub fn merge(&mut self, other: &LearnedLimit) {
        for (mine, theirs) in self.families.iter_mut().zip(other.families) {
            if let Some((calls, window)) = theirs {
                let longest = mine.map_or(0, |(_, known)| known);
                *mine = Some((calls, longest.max(window)));
            }
        }
    }

    /// What was learned for one header family: its calls and the longest time to a reset
    /// seen, in whole seconds.
    pub fn family(&self, family: LimitFamily) -> Option<(u32, u64)> {
        family_slot(family).and_then(|slot| self.families[slot])
    }

    /// The same, with `family` known to allow `calls` in a window of at least `window_secs`
    /// (for tests and for state read back from a store). Ignored for an empty limit.
    pub fn with_family(
        mut self,
        family: LimitFamily,
        calls: u32,
        window_secs: u64,
    ) -> LearnedLimit {
        let window_secs = window_secs.min(MAX_SPAN.as_secs());
        if let (Some(slot), true) = (family_slot(family), calls > 0 && window_secs > 0) {
            self.families[slot] = Some((calls, window_secs));
        }
        self
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.families.iter().all(Option::is_none)
    }

    /// The longest window learned, zero when none.
    pub fn longest_window(&self) -> Duration {
        let secs = self
            .families
            .iter()
            .flatten()
            .map(|(_, window)| *window)
            .max();
        Duration::from_secs(secs.unwrap_or(0))
    }

    /// The families in their fixed order, for the scripts' arguments.
    #[cfg(feature = "store")]
    pub(crate) fn slots(&self) -> [Option<(u32, u64)>; 3] {
        self.families
    }
}

/// The header families a [`LearnedLimit`] keeps, in a fixed order.
pub(crate) const FAMILIES: [LimitFamily; 3] = [
    LimitFamily::XRateLimit,
    LimitFamily::XRateLimitHour,
    LimitFamily::RateLimit,
];

fn family_slot(family: LimitFamily) -> Option<usize> {
    FAMILIES.iter().position(|known| *known == family)
}

/// How the shared pace spends a limit: a GCRA (generic cell rate algorithm) with one call per
/// interval, a burst tolerance, and a reservation horizon.
///
/// - The *limit* is given ([`Pace::new`]), or learned from the server's headers by the shared
///   state itself ([`Pace::learned`], see [`LearnedLimit`]), so that every process of the
///   account paces on the same knowledge. Until a response has named a limit and a reset, a
///   learning pace does not space calls at all: the first answers set it.
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
/// assert_eq!(pace.limit(), Some(limit));
/// assert_eq!(pace.horizon(), None, "one interval");
/// assert_eq!(pace.tolerance(), Duration::ZERO);
/// assert_eq!(Pace::learned().limit(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pace {
    /// `None`: the limit the shared state learned from the headers.
    limit: Option<Limit>,
    tolerance_us: u64,
    /// 0: one interval.
    horizon_us: u64,
}

impl Pace {
    /// The pace of `limit` with no burst and a horizon of one interval.
    pub fn new(limit: Limit) -> Pace {
        Pace {
            limit: Some(limit),
            tolerance_us: 0,
            horizon_us: 0,
        }
    }

    /// A pace at the limit the shared state learns from the server's headers, with no burst
    /// and a horizon of one interval.
    pub fn learned() -> Pace {
        Pace {
            limit: None,
            tolerance_us: 0,
            horizon_us: 0,
        }
    }

    /// Lets calls go up to `tolerance` ahead of their even spacing (at most the window, or
    /// [`MAX_SPAN`] while the window is learned).
    pub fn with_tolerance(mut self, tolerance: Duration) -> Pace {
        let window = self.limit.map_or(MAX_SPAN, |limit| limit.window);
        self.tolerance_us = micros(tolerance.min(window));
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
        Pace {
            limit: Some(limit),
            ..self
        }
        .with_tolerance(Duration::from_micros(self.tolerance_us))
    }

    /// The limit being paced, or `None` when it is learned from the headers.
    pub const fn limit(&self) -> Option<Limit> {
        self.limit
    }

    /// The burst tolerance.
    pub const fn tolerance(&self) -> Duration {
        Duration::from_micros(self.tolerance_us)
    }

    /// The reservation horizon, or `None` for one interval of the limit paced.
    pub const fn horizon(&self) -> Option<Duration> {
        match self.horizon_us {
            0 => None,
            horizon => Some(Duration::from_micros(horizon)),
        }
    }

    /// The spacing of calls: the given limit's, else the learned one's, else `None` (nothing
    /// learned yet: calls are not spaced).
    pub(crate) fn interval_us(&self, learned: &LearnedLimit) -> Option<u64> {
        self.limit
            .or_else(|| learned.limit())
            .map(|limit| limit.interval_us())
    }

    /// The interval argument of the scripts: the given limit's, or 0 for the learned one.
    #[cfg(feature = "store")]
    pub(crate) fn interval_arg(&self) -> u64 {
        self.limit.map_or(0, |limit| limit.interval_us())
    }

    pub(crate) const fn tolerance_us(&self) -> u64 {
        self.tolerance_us
    }

    /// The horizon argument of the scripts: 0 for one interval.
    #[cfg(feature = "store")]
    pub(crate) const fn horizon_arg(&self) -> u64 {
        self.horizon_us
    }

    /// The horizon for calls spaced `interval` apart.
    pub(crate) const fn horizon_us(&self, interval: u64) -> u64 {
        match self.horizon_us {
            0 => interval,
            horizon => horizon,
        }
    }
}

/// A duration in whole microseconds, at most [`MAX_SPAN`].
pub(crate) fn micros(duration: Duration) -> u64 {
    (duration.min(MAX_SPAN).as_micros() as u64).min(MAX_SPAN_US)
}
