//! Rate limits per account and endpoint group, with the API's header families (SPEC 2.6,
//! `rate-limits.md`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use crate::table::{Api, Group};
use crate::{ConfigError, ConfigErrorKind};

/// How many calls an account may make, per endpoint group and window.
///
/// - [`Quota::real`]: the API's own limits (`impact mock --quota real`): Partner 1,000 an
///   hour for most endpoints, 500 for event-level data (`/Actions`, `/ActionUpdates`,
///   `/Clicks`), 3,000 for product search; Brand 1,000 an hour, 3,600 for `/Catalogs`;
///   `ReportExport` 100 and `ClickExport` 10 a day; `POST /Conversions` unlimited.
/// - [`Quota::per_window`]: the same limit for every group (`--quota N/SECS`).
/// - [`Quota::disabled`]: no limits and no rate-limit headers (`--quota off`), for benchmarks.
///
/// Every answer counted against a limit carries `X-RateLimit-Limit`, `-Remaining` and
/// `-Reset` (seconds); Partner answers of hourly groups also carry `X-RateLimit-Limit-hour`,
/// `X-RateLimit-Remaining-hour` and `RateLimit-Reset`. A call over the limit is answered `429`
/// with `Retry-After`. `Quota::default()` is 1,000 calls an hour for every group.
///
/// ```
/// use std::time::Duration;
/// use impact_mock::Quota;
///
/// let quota: Quota = "300/60".parse().unwrap();
/// assert_eq!(quota, Quota::per_window(300, Duration::from_secs(60)));
/// assert_eq!("off".parse::<Quota>().unwrap(), Quota::disabled());
/// assert_eq!("real".parse::<Quota>().unwrap(), Quota::real());
/// assert_eq!(Quota::default().limit(), Some(1000));
/// assert!("300/0".parse::<Quota>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    Off,
    Real,
    Uniform { limit: u64, window: Duration },
}

impl Quota {
    /// `limit` calls per `window` for each account and group. A zero window is treated as
    /// one second, since a window must have an end for a reset to mean anything.
    pub const fn per_window(limit: u64, window: Duration) -> Quota {
        let window = if window.is_zero() {
            Duration::from_secs(1)
        } else {
            window
        };
        Quota {
            mode: Mode::Uniform { limit, window },
        }
    }

    /// The API's own limits per group.
    pub const fn real() -> Quota {
        Quota { mode: Mode::Real }
    }

    /// No quota: no rate-limit headers and never a 429.
    pub const fn disabled() -> Quota {
        Quota { mode: Mode::Off }
    }

    /// The calls per window of the default group, or `None` when the quota is disabled.
    pub const fn limit(&self) -> Option<u64> {
        match self.mode {
            Mode::Off => None,
            Mode::Real => Some(1_000),
            Mode::Uniform { limit, .. } => Some(limit),
        }
    }

    /// The window of the default group.
    pub const fn window(&self) -> Duration {
        match self.mode {
            Mode::Uniform { window, .. } => window,
            Mode::Off | Mode::Real => Duration::from_secs(3_600),
        }
    }

    /// The limit and window of a group, or `None` when it is not limited.
    pub(crate) fn of_group(&self, group: Group) -> Option<(u64, Duration)> {
        match self.mode {
            Mode::Off => None,
            Mode::Real => group
                .real_limit()
                .map(|(limit, secs)| (limit, Duration::from_secs(secs))),
            Mode::Uniform { .. } if group == Group::Unlimited => None,
            Mode::Uniform { limit, window } => Some((limit, window)),
        }
    }
}

impl Default for Quota {
    fn default() -> Quota {
        Quota::per_window(1000, Duration::from_secs(3600))
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode {
            Mode::Off => f.write_str("off"),
            Mode::Real => f.write_str("real"),
            Mode::Uniform { limit, window } => write!(f, "{limit}/{}", window.as_secs()),
        }
    }
}

impl FromStr for Quota {
    type Err = ConfigError;

    /// `off`, `real` or `N/SECS` (`300/60`: 300 calls per 60 seconds for every group).
    fn from_str(text: &str) -> Result<Quota, ConfigError> {
        let trimmed = text.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "off" => return Ok(Quota::disabled()),
            "real" => return Ok(Quota::real()),
            _ => {}
        }
        let error = |why: &str| ConfigError::new(ConfigErrorKind::Quota, text, why);
        let (limit, secs) = trimmed
            .split_once('/')
            .ok_or_else(|| error("expected off, real or N/SECS such as 300/60"))?;
        let limit: u64 = limit
            .trim()
            .parse()
            .map_err(|_| error("N must be a whole number of calls"))?;
        let secs: u64 = secs
            .trim()
            .parse()
            .map_err(|_| error("SECS must be a whole number of seconds"))?;
        if secs == 0 {
            return Err(error("SECS must be at least 1"));
        }
        Ok(Quota::per_window(limit, Duration::from_secs(secs)))
    }
}

/// What the quota said about one call, and the headers it makes the answer carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotaDecision {
    /// No quota applies; send no headers.
    Unlimited,
    /// The call counts against the window and may proceed.
    Allowed(Limits),
    /// The window is used up: answer 429.
    Exhausted(Limits),
}

/// The numbers a rate-limited answer reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) limit: u64,
    pub(crate) remaining: u64,
    pub(crate) reset_secs: u64,
    /// Whether the Partner API's hourly headers (`-hour`, `RateLimit-Reset`) are sent too.
    pub(crate) hourly_partner: bool,
}

impl Limits {
    /// The rate-limit headers of an answer.
    pub(crate) fn headers(&self, mut header: impl FnMut(&'static str, u64)) {
        header("X-RateLimit-Limit", self.limit);
        header("X-RateLimit-Remaining", self.remaining);
        header("X-RateLimit-Reset", self.reset_secs);
        if self.hourly_partner {
            header("X-RateLimit-Limit-hour", self.limit);
            header("X-RateLimit-Remaining-hour", self.remaining);
            header("RateLimit-Reset", self.reset_secs);
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: Duration,
    used: u64,
    rejected: u64,
}

/// One counter as `GET /_mock/quota` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CounterReport {
    pub(crate) account: usize,
    pub(crate) group: Group,
    pub(crate) limit: u64,
    pub(crate) window: Duration,
    pub(crate) used: u64,
    pub(crate) rejected: u64,
    /// Time since the server started at which the window resets.
    pub(crate) reset_at: Duration,
}

/// The windows of every account and group in use, keyed by account index and group.
#[derive(Debug)]
pub(crate) struct QuotaState {
    quota: Quota,
    windows: Mutex<BTreeMap<(usize, Group), Window>>,
}

impl QuotaState {
    pub(crate) fn new(quota: Quota) -> QuotaState {
        QuotaState {
            quota,
            windows: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts one call of `account` in `group` at `now` (time since the server started).
    pub(crate) fn take(
        &self,
        account: usize,
        api: Api,
        group: Group,
        now: Duration,
    ) -> QuotaDecision {
        let Some((limit, length)) = self.quota.of_group(group) else {
            return QuotaDecision::Unlimited;
        };
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let window = windows.entry((account, group)).or_default();
        roll(window, length, now);
        let reset_secs = ceil_secs((window.start + length).saturating_sub(now)).max(1);
        let hourly_partner = api == Api::Partner && !group.is_daily();
        if window.used >= limit {
            window.rejected += 1;
            QuotaDecision::Exhausted(Limits {
                limit,
                remaining: 0,
                reset_secs,
                hourly_partner,
            })
        } else {
            window.used += 1;
            QuotaDecision::Allowed(Limits {
                limit,
                remaining: limit - window.used,
                reset_secs,
                hourly_partner,
            })
        }
    }

    /// Starts a fresh window for every account and group at `now`, counters at zero.
    pub(crate) fn reset(&self, now: Duration) {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        for window in windows.values_mut() {
            *window = Window {
                start: now,
                used: 0,
                rejected: 0,
            };
        }
    }

    /// Every counter in use, as of `now`.
    pub(crate) fn report(&self, now: Duration) -> Vec<CounterReport> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        windows
            .iter_mut()
            .filter_map(|(&(account, group), window)| {
                let (limit, length) = self.quota.of_group(group)?;
                roll(window, length, now);
                Some(CounterReport {
                    account,
                    group,
                    limit,
                    window: length,
                    used: window.used,
                    rejected: window.rejected,
                    reset_at: window.start + length,
                })
            })
            .collect()
    }
}

/// Moves a window to the one `now` falls in. Windows are fixed and aligned on the server's
/// start, like an hourly quota that resets on the hour, so a late first call does not get a
/// fresh full window.
fn roll(window: &mut Window, length: Duration, now: Duration) {
    if now >= window.start + length {
        let elapsed = now - window.start;
        let whole = elapsed.as_nanos() / length.as_nanos().max(1);
        let skip = u32::try_from(whole).unwrap_or(u32::MAX);
        window.start += length.saturating_mul(skip);
        window.used = 0;
    }
}

fn ceil_secs(delay: Duration) -> u64 {
    delay.as_secs() + u64::from(delay.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(limit: u64, remaining: u64, reset_secs: u64) -> QuotaDecision {
        QuotaDecision::Allowed(Limits {
            limit,
            remaining,
            reset_secs,
            hourly_partner: true,
        })
    }

    #[test]
    fn windows_count_down_then_refuse_then_roll_over() {
        let state = QuotaState::new(Quota::per_window(2, Duration::from_secs(10)));
        let take = |secs_ms: u64| {
            state.take(
                0,
                Api::Partner,
                Group::Other,
                Duration::from_millis(secs_ms),
            )
        };
        assert_eq!(take(500), allowed(2, 1, 10));
        assert_eq!(take(500), allowed(2, 0, 10));
        assert_eq!(
            take(9_000),
            QuotaDecision::Exhausted(Limits {
                limit: 2,
                remaining: 0,
                reset_secs: 1,
                hourly_partner: true
            })
        );
        // 25 s is in the third window, which started at 20 s and ends at 30 s.
        assert_eq!(take(25_000), allowed(2, 1, 5));
        let report = state.report(Duration::from_secs(25));
        assert_eq!((report[0].used, report[0].rejected), (1, 1));
    }

    #[test]
    fn real_limits_differ_by_group_and_daily_groups_send_no_hourly_headers() {
        let state = QuotaState::new(Quota::real());
        let at = Duration::ZERO;
        let QuotaDecision::Allowed(limits) =
            state.take(0, Api::Partner, Group::PerformanceDetail, at)
        else {
            panic!("allowed");
        };
        assert_eq!((limits.limit, limits.reset_secs), (500, 3_600));
        let QuotaDecision::Allowed(limits) = state.take(0, Api::Partner, Group::ClickExport, at)
        else {
            panic!("allowed");
        };
        assert_eq!((limits.limit, limits.hourly_partner), (10, false));
        assert_eq!(
            state.take(0, Api::Brand, Group::Unlimited, at),
            QuotaDecision::Unlimited
        );
        let disabled = QuotaState::new(Quota::disabled());
        assert_eq!(
            disabled.take(0, Api::Partner, Group::Other, at),
            QuotaDecision::Unlimited
        );
    }

    #[test]
    fn quota_flags_parse_or_say_why_not() {
        for (text, ok) in [
            ("off", true),
            ("REAL", true),
            (" 10 / 5 ", true),
            ("10", false),
            ("x/5", false),
            ("5/-1", false),
        ] {
            assert_eq!(text.parse::<Quota>().is_ok(), ok, "{text}");
        }
        let error = "10".parse::<Quota>().unwrap_err();
        assert_eq!(error.kind(), ConfigErrorKind::Quota);
        assert!(error.to_string().contains("N/SECS"), "{error}");
    }
}
