//! Per-account hourly quotas, answered with the Partner API's rate-limit headers (SPEC 2.6).

use std::sync::Mutex;
use std::time::Duration;

/// How many calls each account may make per window, or no limit at all.
///
/// The default is the Partner API's 1,000 calls per 3,600 seconds. Every answer to an
/// authenticated request then carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
/// `X-RateLimit-Reset` (a delay in seconds), and a call over the limit is answered `429` with
/// `Retry-After`. A disabled quota sends none of those headers, for benchmarks.
///
/// ```
/// use std::time::Duration;
/// use impact_mock::Quota;
///
/// let quota = Quota::per_window(5, Duration::from_secs(60));
/// assert_eq!(quota.limit(), Some(5));
/// assert_eq!(Quota::default().limit(), Some(1000));
/// assert_eq!(Quota::disabled().limit(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    limit: u64,
    window: Duration,
    enabled: bool,
}

impl Quota {
    /// `limit` calls per `window` for each account. A zero window is treated as one second,
    /// since a window must have an end for `X-RateLimit-Reset` to mean anything.
    pub const fn per_window(limit: u64, window: Duration) -> Quota {
        let window = if window.is_zero() {
            Duration::from_secs(1)
        } else {
            window
        };
        Quota {
            limit,
            window,
            enabled: true,
        }
    }

    /// No quota: no rate-limit headers and never a 429.
    pub const fn disabled() -> Quota {
        Quota {
            limit: 0,
            window: Duration::from_secs(3600),
            enabled: false,
        }
    }

    /// The number of calls per window, or `None` when the quota is disabled.
    pub const fn limit(&self) -> Option<u64> {
        if self.enabled { Some(self.limit) } else { None }
    }

    /// The length of a window.
    pub const fn window(&self) -> Duration {
        self.window
    }
}

impl Default for Quota {
    fn default() -> Quota {
        Quota::per_window(1000, Duration::from_secs(3600))
    }
}

/// What the quota said about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotaDecision {
    /// No quota applies; send no headers.
    Unlimited,
    /// The call counts against the window and may proceed.
    Allowed {
        limit: u64,
        remaining: u64,
        reset_secs: u64,
    },
    /// The window is used up: answer 429.
    Exhausted { limit: u64, reset_secs: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Duration,
    used: u64,
}

/// The windows of every account, indexed like the server's account list.
#[derive(Debug)]
pub(crate) struct QuotaState {
    quota: Quota,
    windows: Vec<Mutex<Window>>,
}

impl QuotaState {
    pub(crate) fn new(quota: Quota, accounts: usize) -> QuotaState {
        let windows = (0..accounts)
            .map(|_| {
                Mutex::new(Window {
                    start: Duration::ZERO,
                    used: 0,
                })
            })
            .collect();
        QuotaState { quota, windows }
    }

    /// Counts one call of the account at `now` (time since the server started).
    pub(crate) fn take(&self, account: usize, now: Duration) -> QuotaDecision {
        let Some(limit) = self.quota.limit() else {
            return QuotaDecision::Unlimited;
        };
        let Some(window) = self.windows.get(account) else {
            return QuotaDecision::Unlimited;
        };
        let length = self.quota.window;
        let mut window = window.lock().unwrap_or_else(|poison| poison.into_inner());
        // Windows are fixed and aligned on the server's start, like an hourly quota that
        // resets on the hour, so a late first call does not get a fresh full window.
        if now >= window.start + length {
            let elapsed = now - window.start;
            let whole = elapsed.as_nanos() / length.as_nanos();
            let skip = u32::try_from(whole).unwrap_or(u32::MAX);
            window.start += length.saturating_mul(skip);
            window.used = 0;
        }
        let reset_secs = ceil_secs((window.start + length).saturating_sub(now)).max(1);
        if window.used >= limit {
            QuotaDecision::Exhausted { limit, reset_secs }
        } else {
            window.used += 1;
            QuotaDecision::Allowed {
                limit,
                remaining: limit - window.used,
                reset_secs,
            }
        }
    }

    /// Starts a fresh window for every account at `now`.
    pub(crate) fn reset(&self, now: Duration) {
        for window in &self.windows {
            let mut window = window.lock().unwrap_or_else(|poison| poison.into_inner());
            window.start = now;
            window.used = 0;
        }
    }
}

fn ceil_secs(delay: Duration) -> u64 {
    delay.as_secs() + u64::from(delay.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_down_then_refuse_then_roll_over() {
        let state = QuotaState::new(Quota::per_window(2, Duration::from_secs(10)), 1);
        let at = Duration::from_millis(500);
        assert_eq!(
            state.take(0, at),
            QuotaDecision::Allowed {
                limit: 2,
                remaining: 1,
                reset_secs: 10
            }
        );
        assert_eq!(
            state.take(0, at),
            QuotaDecision::Allowed {
                limit: 2,
                remaining: 0,
                reset_secs: 10
            }
        );
        assert_eq!(
            state.take(0, Duration::from_secs(9)),
            QuotaDecision::Exhausted {
                limit: 2,
                reset_secs: 1
            }
        );
        // 25 s is in the third window, which started at 20 s and ends at 30 s.
        assert_eq!(
            state.take(0, Duration::from_secs(25)),
            QuotaDecision::Allowed {
                limit: 2,
                remaining: 1,
                reset_secs: 5
            }
        );
    }

    #[test]
    fn disabled_quota_and_unknown_accounts_are_unlimited() {
        let state = QuotaState::new(Quota::disabled(), 1);
        assert_eq!(state.take(0, Duration::ZERO), QuotaDecision::Unlimited);
        let state = QuotaState::new(Quota::default(), 1);
        assert_eq!(state.take(7, Duration::ZERO), QuotaDecision::Unlimited);
    }
}
