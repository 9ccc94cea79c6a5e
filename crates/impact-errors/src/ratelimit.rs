//! Rate-limit information read from the header families the impact.com APIs send (SPEC 2.6).
//!
//! Everything here works on header *names and values* as strings and bytes, so that it needs
//! neither an HTTP crate nor an allocator. Values that cannot be trusted (negative, not a
//! number, absurdly large) are refused with a [`HeaderValueError`] and never recorded.

use core::fmt;

use crate::date::parse_http_date;

/// The longest delay, in seconds, that a reset or `Retry-After` header may announce before it is
/// treated as garbage: 31 days. The API's longest window is a day.
pub const MAX_RESET_DELAY_SECS: u64 = 31 * 86_400;

/// A reset value above this is a Unix time rather than a delay (SPEC 2.6).
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// Unix times beyond this (the year 2286) are garbage.
const MAX_EPOCH_SECS: u64 = 9_999_999_999;

/// Counts above this are garbage: no API limit comes near it.
const MAX_COUNT: u64 = 1_000_000_000_000;

/// Why a rate-limit header value was not trusted.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderValueError {
    /// Empty, or not an unsigned decimal number (a sign, a fraction or letters).
    NotANumber,
    /// A number larger than any limit, delay or time the API can mean.
    TooLarge,
    /// `Retry-After` that is neither a number of seconds nor an HTTP date.
    NotADate,
}

impl fmt::Display for HeaderValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderValueError::NotANumber => "rate-limit header value is not an unsigned integer",
            HeaderValueError::TooLarge => "rate-limit header value is implausibly large",
            HeaderValueError::NotADate => {
                "retry-after value is neither a number of seconds nor an HTTP date"
            }
        })
    }
}

impl core::error::Error for HeaderValueError {}

/// When a rate-limit window resets.
///
/// `X-RateLimit-Reset` is documented both as seconds until the reset and as a Unix time; a value
/// above 10^9 is read as a Unix time, anything else as a delay.
///
/// ```
/// use impact_errors::Reset;
///
/// assert_eq!(Reset::parse(b"120"), Ok(Reset::After(120)));
/// assert_eq!(Reset::parse(b"1795606548"), Ok(Reset::At(1795606548)));
/// assert_eq!(Reset::After(120).at(1_000_000_000), 1_000_000_120);
/// assert!(Reset::parse(b"-5").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reset {
    /// This many seconds after the response was received.
    After(u64),
    /// At this Unix time, in seconds.
    At(u64),
}

impl Reset {
    /// Reads a reset header value by the epoch-or-delay rule.
    pub fn parse(value: &[u8]) -> Result<Reset, HeaderValueError> {
        let number = parse_count(value, MAX_EPOCH_SECS)?;
        if number > EPOCH_THRESHOLD {
            Ok(Reset::At(number))
        } else if number > MAX_RESET_DELAY_SECS {
            Err(HeaderValueError::TooLarge)
        } else {
            Ok(Reset::After(number))
        }
    }

    /// The Unix time of the reset, given the Unix time at which the response was received.
    pub fn at(self, received_at: u64) -> u64 {
        match self {
            Reset::After(secs) => received_at.saturating_add(secs),
            Reset::At(epoch) => epoch,
        }
    }

    /// Seconds from `now` (a Unix time) until the reset; zero when it has passed.
    pub fn delay_from(self, now: u64) -> u64 {
        match self {
            Reset::After(secs) => secs,
            Reset::At(epoch) => epoch.saturating_sub(now),
        }
    }
}

/// The value of a `Retry-After` header: a delay in seconds or an HTTP date.
///
/// ```
/// use impact_errors::RetryAfter;
///
/// assert_eq!(RetryAfter::parse(b"30"), Ok(RetryAfter::Delay(30)));
/// assert_eq!(
///     RetryAfter::parse(b"Sun, 06 Nov 1994 08:49:37 GMT"),
///     Ok(RetryAfter::At(784111777)),
/// );
/// assert_eq!(RetryAfter::At(784111777).delay_from(784111700), 77);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryAfter {
    /// Seconds after the response was received.
    Delay(u64),
    /// A Unix time, from an HTTP date.
    At(u64),
}

impl RetryAfter {
    /// Reads a `Retry-After` value (RFC 9110 section 10.2.3).
    pub fn parse(value: &[u8]) -> Result<RetryAfter, HeaderValueError> {
        let trimmed = trim(value);
        if trimmed.first().is_some_and(u8::is_ascii_digit) {
            let secs = parse_count(trimmed, MAX_RESET_DELAY_SECS)?;
            return Ok(RetryAfter::Delay(secs));
        }
        let text = core::str::from_utf8(trimmed).map_err(|_| HeaderValueError::NotADate)?;
        let epoch = parse_http_date(text).map_err(|_| HeaderValueError::NotADate)?;
        if epoch > MAX_EPOCH_SECS {
            return Err(HeaderValueError::TooLarge);
        }
        Ok(RetryAfter::At(epoch))
    }

    /// The Unix time the server asked to wait for, given when the response was received.
    pub fn at(self, received_at: u64) -> u64 {
        match self {
            RetryAfter::Delay(secs) => received_at.saturating_add(secs),
            RetryAfter::At(epoch) => epoch,
        }
    }

    /// Seconds from `now` (a Unix time) until the server's time; zero when it has passed.
    pub fn delay_from(self, now: u64) -> u64 {
        match self {
            RetryAfter::Delay(secs) => secs,
            RetryAfter::At(epoch) => epoch.saturating_sub(now),
        }
    }
}

/// Which header family a limit was read from.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitFamily {
    /// `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`.
    XRateLimit,
    /// `X-RateLimit-Limit-hour`, `X-RateLimit-Remaining-hour`; the reset comes from
    /// `RateLimit-Reset`, else `X-RateLimit-Reset`.
    XRateLimitHour,
    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`.
    RateLimit,
}

impl LimitFamily {
    /// The family's limit header name, as a person would recognise it.
    pub const fn name(self) -> &'static str {
        match self {
            LimitFamily::XRateLimit => "X-RateLimit",
            LimitFamily::XRateLimitHour => "X-RateLimit-*-hour",
            LimitFamily::RateLimit => "RateLimit",
        }
    }
}

/// One rate-limit window as a response described it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LimitWindow {
    /// The header family.
    pub family: LimitFamily,
    /// Calls allowed in the window.
    pub limit: Option<u64>,
    /// Calls left in the window.
    pub remaining: Option<u64>,
    /// When the window resets.
    pub reset: Option<Reset>,
}

impl LimitWindow {
    /// Whether the window has no calls left.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// The rate-limit headers of one response, in every family the API sends.
///
/// Header names are matched without regard to case. A value that cannot be trusted is refused
/// and leaves the field empty. When a header repeats, the most cautious reading wins: the
/// smallest limit and remaining count, the latest reset and the longest `Retry-After`.
///
/// ```
/// use impact_errors::{RateLimitInfo, Reset};
///
/// let info = RateLimitInfo::from_headers([
///     ("x-ratelimit-limit", &b"1000"[..]),
///     ("X-RateLimit-Remaining", b"0"),
///     ("X-RateLimit-Reset", b"1800"),
///     ("Retry-After", b"not a number"),
/// ]);
/// let window = info.windows().next().unwrap();
/// assert_eq!(window.remaining, Some(0));
/// assert_eq!(window.reset, Some(Reset::After(1800)));
/// assert_eq!(info.retry_after, None);
/// // Received at Unix time 1,000,000,000: nothing may be sent for 30 minutes.
/// assert_eq!(info.exhausted_until(1_000_000_000), Some(1_000_001_800));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RateLimitInfo {
    /// `X-RateLimit-Limit`.
    pub x_limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub x_remaining: Option<u64>,
    /// `X-RateLimit-Reset`.
    pub x_reset: Option<Reset>,
    /// `X-RateLimit-Limit-hour`.
    pub hour_limit: Option<u64>,
    /// `X-RateLimit-Remaining-hour`.
    pub hour_remaining: Option<u64>,
    /// `RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// `RateLimit-Reset`.
    pub reset: Option<Reset>,
    /// `Retry-After`.
    pub retry_after: Option<RetryAfter>,
}

/// The header fields this module reads, by lower-case name.
#[derive(Clone, Copy)]
enum Field {
    XLimit,
    XRemaining,
    XReset,
    HourLimit,
    HourRemaining,
    Limit,
    Remaining,
    Reset,
    RetryAfter,
}

const FIELDS: [(&str, Field); 9] = [
    ("x-ratelimit-limit", Field::XLimit),
    ("x-ratelimit-remaining", Field::XRemaining),
    ("x-ratelimit-reset", Field::XReset),
    ("x-ratelimit-limit-hour", Field::HourLimit),
    ("x-ratelimit-remaining-hour", Field::HourRemaining),
    ("ratelimit-limit", Field::Limit),
    ("ratelimit-remaining", Field::Remaining),
    ("ratelimit-reset", Field::Reset),
    ("retry-after", Field::RetryAfter),
];

impl RateLimitInfo {
    /// Reads every rate-limit header among `headers`, ignoring all others and every value that
    /// cannot be trusted.
    pub fn from_headers<'a, I>(headers: I) -> RateLimitInfo
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let mut info = RateLimitInfo::default();
        for (name, value) in headers {
            // A refused value is simply not recorded; `record` reports why for callers who log.
            let _ = info.record(name, value);
        }
        info
    }

    /// Reads the rate-limit headers of an `http::HeaderMap`.
    #[cfg(feature = "http")]
    pub fn from_header_map(headers: &http::HeaderMap) -> RateLimitInfo {
        RateLimitInfo::from_headers(
            headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        )
    }

    /// Like [`RateLimitInfo::from_headers`], for a response received at the Unix time
    /// `received_at`: when a header repeats with a delay in one value and a Unix time in
    /// another, the later instant is kept by that clock. Without it a time already past would
    /// win over a delay, and a retry would go out sooner than the server asked.
    ///
    /// ```
    /// use impact_errors::{RateLimitInfo, RetryAfter};
    ///
    /// let headers = [("Retry-After", &b"30"[..]), ("Retry-After", b"Sun, 06 Nov 1994 08:49:37 GMT")];
    /// let info = RateLimitInfo::from_headers_at(headers, 1_764_072_000);
    /// assert_eq!(info.retry_after, Some(RetryAfter::Delay(30)));
    /// ```
    pub fn from_headers_at<'a, I>(headers: I, received_at: u64) -> RateLimitInfo
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let mut info = RateLimitInfo::default();
        for (name, value) in headers {
            let _ = info.record_with(name, value, received_at);
        }
        info
    }

    /// Reads the rate-limit headers of an `http::HeaderMap` received at the Unix time
    /// `received_at` (see [`RateLimitInfo::from_headers_at`]).
    #[cfg(feature = "http")]
    pub fn from_header_map_at(headers: &http::HeaderMap, received_at: u64) -> RateLimitInfo {
        RateLimitInfo::from_headers_at(
            headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
            received_at,
        )
    }

    /// Whether `name` is one of the rate-limit headers this type reads (any letter case).
    pub fn is_rate_limit_header(name: &str) -> bool {
        field(name).is_some()
    }

    /// Records one header. Returns `Ok(false)` for a name this type does not read, `Ok(true)`
    /// when the value was recorded, and the reason when the value was refused.
    pub fn record(&mut self, name: &str, value: &[u8]) -> Result<bool, HeaderValueError> {
        // Without the time of receipt, instants are compared as if received at time zero.
        self.record_with(name, value, 0)
    }

    /// [`RateLimitInfo::record`] for a response received at the Unix time `received_at`.
    pub fn record_at(
        &mut self,
        name: &str,
        value: &[u8],
        received_at: u64,
    ) -> Result<bool, HeaderValueError> {
        self.record_with(name, value, received_at)
    }

    fn record_with(
        &mut self,
        name: &str,
        value: &[u8],
        received_at: u64,
    ) -> Result<bool, HeaderValueError> {
        let Some(field) = field(name) else {
            return Ok(false);
        };
        match field {
            Field::XLimit => min_into(&mut self.x_limit, parse_count(value, MAX_COUNT)?),
            Field::XRemaining => min_into(&mut self.x_remaining, parse_count(value, MAX_COUNT)?),
            Field::HourLimit => min_into(&mut self.hour_limit, parse_count(value, MAX_COUNT)?),
            Field::HourRemaining => {
                min_into(&mut self.hour_remaining, parse_count(value, MAX_COUNT)?)
            }
            Field::Limit => min_into(&mut self.limit, parse_count(value, MAX_COUNT)?),
            Field::Remaining => min_into(&mut self.remaining, parse_count(value, MAX_COUNT)?),
            Field::XReset => later_reset(&mut self.x_reset, Reset::parse(value)?, received_at),
            Field::Reset => later_reset(&mut self.reset, Reset::parse(value)?, received_at),
            Field::RetryAfter => {
                let parsed = RetryAfter::parse(value)?;
                self.retry_after = Some(match self.retry_after {
                    Some(previous) if previous.at(received_at) >= parsed.at(received_at) => {
                        previous
                    }
                    _ => parsed,
                });
            }
        }
        Ok(true)
    }

    /// Whether any rate-limit header was read.
    pub fn is_empty(&self) -> bool {
        *self == RateLimitInfo::default()
    }

    /// The windows this response described, one per header family that carried a limit or a
    /// remaining count.
    pub fn windows(&self) -> impl Iterator<Item = LimitWindow> + '_ {
        let windows = [
            LimitWindow {
                family: LimitFamily::XRateLimit,
                limit: self.x_limit,
                remaining: self.x_remaining,
                reset: self.x_reset,
            },
            LimitWindow {
                family: LimitFamily::XRateLimitHour,
                limit: self.hour_limit,
                remaining: self.hour_remaining,
                reset: self.reset.or(self.x_reset),
            },
            LimitWindow {
                family: LimitFamily::RateLimit,
                limit: self.limit,
                remaining: self.remaining,
                reset: self.reset,
            },
        ];
        windows
            .into_iter()
            .filter(|window| window.limit.is_some() || window.remaining.is_some())
    }

    /// The fewest calls left in any window, if any window said.
    pub fn min_remaining(&self) -> Option<u64> {
        self.windows().filter_map(|window| window.remaining).min()
    }

    /// When a window with no calls left resets, as a Unix time, given the Unix time at which
    /// the response was received. The latest such reset when several windows are exhausted;
    /// `None` when none is, or when an exhausted window did not say when it resets.
    pub fn exhausted_until(&self, received_at: u64) -> Option<u64> {
        self.windows()
            .filter(LimitWindow::is_exhausted)
            .filter_map(|window| window.reset)
            .map(|reset| reset.at(received_at))
            .max()
    }

    /// The reset a 429 answer points at: `RateLimit-Reset`, else `X-RateLimit-Reset`, as a Unix
    /// time given the time the response was received. Only meaningful on a 429: the API sends
    /// `X-RateLimit-Reset` on every response (SPEC 3).
    pub fn reset_at(&self, received_at: u64) -> Option<u64> {
        self.reset
            .or(self.x_reset)
            .map(|reset| reset.at(received_at))
    }
}

fn field(name: &str) -> Option<Field> {
    FIELDS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, field)| *field)
}

fn min_into(slot: &mut Option<u64>, value: u64) {
    *slot = Some(slot.map_or(value, |previous| previous.min(value)));
}

fn later_reset(slot: &mut Option<Reset>, value: Reset, received_at: u64) {
    *slot = Some(match *slot {
        // Delays and Unix times are compared as instants from the time of receipt. Without it
        // (`received_at` zero) an absolute time (always above 10^9) is the later.
        Some(previous) if previous.at(received_at) >= value.at(received_at) => previous,
        _ => value,
    });
}

fn trim(value: &[u8]) -> &[u8] {
    value.trim_ascii()
}

/// An unsigned decimal integer no larger than `max`, with surrounding whitespace allowed.
fn parse_count(value: &[u8], max: u64) -> Result<u64, HeaderValueError> {
    let digits = trim(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(HeaderValueError::NotANumber);
    }
    let mut number: u64 = 0;
    for digit in digits {
        number = number
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit - b'0')))
            .ok_or(HeaderValueError::TooLarge)?;
        if number > max {
            return Err(HeaderValueError::TooLarge);
        }
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(headers: &[(&str, &str)], expect: RateLimitInfo) {
        let info = RateLimitInfo::from_headers(
            headers
                .iter()
                .map(|(name, value)| (*name, value.as_bytes())),
        );
        assert_eq!(info, expect, "{headers:?}");
    }

    #[test]
    fn every_family_any_case() {
        check(
            &[
                ("X-RATELIMIT-LIMIT", "1000"),
                ("x-ratelimit-remaining", " 998 "),
                ("X-RateLimit-Reset", "1795606548"),
                ("X-RateLimit-Limit-hour", "500"),
                ("X-RateLimit-Remaining-Hour", "0"),
                ("RateLimit-Limit", "250"),
                ("ratelimit-remaining", "3"),
                ("RateLimit-Reset", "59"),
                ("Retry-After", "Wed, 25 Nov 2026 11:35:48 GMT"),
                ("Content-Type", "application/json"),
            ],
            RateLimitInfo {
                x_limit: Some(1000),
                x_remaining: Some(998),
                x_reset: Some(Reset::At(1_795_606_548)),
                hour_limit: Some(500),
                hour_remaining: Some(0),
                limit: Some(250),
                remaining: Some(3),
                reset: Some(Reset::After(59)),
                retry_after: Some(RetryAfter::At(1_795_606_548)),
            },
        );
    }

    #[test]
    fn garbage_is_ignored() {
        check(
            &[
                ("X-RateLimit-Limit", "-1"),
                ("X-RateLimit-Remaining", "ten"),
                ("X-RateLimit-Reset", "99999999999999999999999"),
                ("RateLimit-Reset", "500000000"),
                ("RateLimit-Remaining", "1.5"),
                ("RateLimit-Limit", ""),
                ("Retry-After", "-30"),
            ],
            RateLimitInfo::default(),
        );
        check(
            &[("Retry-After", "Fri, 01 Jan 9999 00:00:00 GMT")],
            RateLimitInfo::default(),
        );
    }

    #[test]
    fn duplicates_take_the_cautious_reading() {
        check(
            &[
                ("X-RateLimit-Remaining", "5"),
                ("x-ratelimit-remaining", "0"),
                ("X-RateLimit-Remaining", "7"),
                ("RateLimit-Reset", "10"),
                ("RateLimit-Reset", "60"),
                ("Retry-After", "120"),
                ("Retry-After", "5"),
            ],
            RateLimitInfo {
                x_remaining: Some(0),
                reset: Some(Reset::After(60)),
                retry_after: Some(RetryAfter::Delay(120)),
                ..RateLimitInfo::default()
            },
        );
    }

    #[test]
    fn hour_family_takes_its_reset_from_ratelimit_reset_else_x_reset() {
        let mut info = RateLimitInfo {
            hour_remaining: Some(0),
            x_reset: Some(Reset::After(100)),
            ..RateLimitInfo::default()
        };
        assert_eq!(info.exhausted_until(1_000_000_000), Some(1_000_000_100));
        info.reset = Some(Reset::After(30));
        assert_eq!(info.exhausted_until(1_000_000_000), Some(1_000_000_030));
        info.hour_remaining = Some(1);
        assert_eq!(info.exhausted_until(1_000_000_000), None);
    }
}
