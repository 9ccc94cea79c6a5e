//! The retry budget: a token bucket shared by all calls of a client, so that a sustained
//! outage adds a few percent of load instead of multiplying it by the attempt count.

use core::fmt;
use core::time::Duration;

/// Tokens are kept in thousandths so that refills by time stay exact without floats.
const MILLI: u64 = 1000;

/// The sizes of a [`RetryBudget`].
///
/// The defaults follow the AWS SDKs' retry quota (500 tokens, 5 per retry, 10 per retry after
/// a timeout, 1 back per first-try success) and add a slow refill by time (1 token per
/// second), as tower's retry budget and gRPC's retry throttling do, so that a quiet client
/// recovers without successes. Sizing: a full bucket pays for 100 retries; over a 30 s outage
/// at 100 requests/s that is 100 + 30 / 5 = 106 retries on top of 3,000 first attempts, an
/// amplification of about 1.035.
///
/// ```
/// use impact_retry::BudgetConfig;
///
/// let config = BudgetConfig::default();
/// assert_eq!(config.capacity, 500);
/// assert_eq!(config.retry_cost, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BudgetConfig {
    /// Tokens in a full bucket; a new budget starts full. Default 500.
    pub capacity: u32,
    /// Tokens a retry costs. Default 5.
    pub retry_cost: u32,
    /// Tokens a retry after a timeout costs: timeouts are the costliest failures to repeat.
    /// Default 10.
    pub timeout_retry_cost: u32,
    /// Tokens a first-try success gives back. Default 1.
    pub success_refill: u32,
    /// Tokens given back per second of time. Default 1.
    pub refill_per_sec: u32,
}

impl Default for BudgetConfig {
    fn default() -> BudgetConfig {
        BudgetConfig::new()
    }
}

impl BudgetConfig {
    /// The defaults described on the type.
    pub const fn new() -> BudgetConfig {
        BudgetConfig {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refill: 1,
            refill_per_sec: 1,
        }
    }
}

/// A token bucket that retries draw from (SPEC 3).
///
/// Time is a [`Duration`] since an origin the caller chooses (a monotonic clock); the budget
/// never reads a clock itself. Share one per client (behind a mutex in async code): call
/// [`RetryBudget::on_first_try_success`] after each call that succeeded on its first attempt,
/// and pass the budget to [`RetryPolicy::decide`](crate::RetryPolicy::decide), which withdraws
/// a retry's cost only when it decides to retry.
///
/// ```
/// use core::time::Duration;
/// use impact_retry::{BudgetConfig, RetryBudget};
///
/// let start = Duration::ZERO;
/// let mut budget = RetryBudget::new(BudgetConfig::default(), start);
/// assert_eq!(budget.available(start), 500);
/// assert!(budget.try_withdraw(5, start));
/// assert_eq!(budget.available(start), 495);
/// // Five seconds later the time refill has paid it back.
/// assert_eq!(budget.available(start + Duration::from_secs(5)), 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryBudget {
    config: BudgetConfig,
    /// Thousandths of a token, at most `capacity * 1000`.
    milli_tokens: u64,
    /// The instant up to which the time refill has been counted.
    refilled_at: Duration,
}

impl RetryBudget {
    /// A full budget, as of `now`.
    pub const fn new(config: BudgetConfig, now: Duration) -> RetryBudget {
        RetryBudget {
            config,
            milli_tokens: config.capacity as u64 * MILLI,
            refilled_at: now,
        }
    }

    /// The budget's sizes.
    pub const fn config(&self) -> BudgetConfig {
        self.config
    }

    /// Whole tokens available at `now` (counting the time refill up to then).
    pub fn available(&self, now: Duration) -> u32 {
        let mut copy = *self;
        copy.refill(now);
        copy.whole_tokens()
    }

    /// Whole tokens as of the last update, without counting time since.
    pub const fn whole_tokens(&self) -> u32 {
        (self.milli_tokens / MILLI) as u32
    }

    /// Takes `cost` tokens if they are there at `now`, and says whether it did.
    pub fn try_withdraw(&mut self, cost: u32, now: Duration) -> bool {
        self.refill(now);
        let cost = u64::from(cost) * MILLI;
        if self.milli_tokens >= cost {
            self.milli_tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Gives back the refill of a call that succeeded on its first attempt.
    pub fn on_first_try_success(&mut self, now: Duration) {
        self.refill(now);
        self.deposit(u64::from(self.config.success_refill) * MILLI);
    }

    /// Counts the time refill up to `now`. An instant earlier than the last one seen (a
    /// caller's clock going backwards) refills nothing.
    fn refill(&mut self, now: Duration) {
        let Some(elapsed) = now.checked_sub(self.refilled_at) else {
            return;
        };
        // Thousandths of a token per millisecond equal tokens per second.
        let millis = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let earned = millis.saturating_mul(u64::from(self.config.refill_per_sec));
        self.deposit(earned);
        // Only whole milliseconds were counted; the remainder counts at the next refill.
        let counted = elapsed - Duration::from_nanos(u64::from(elapsed.subsec_nanos() % 1_000_000));
        self.refilled_at += counted;
    }

    fn deposit(&mut self, milli_tokens: u64) {
        let full = u64::from(self.config.capacity) * MILLI;
        self.milli_tokens = self.milli_tokens.saturating_add(milli_tokens).min(full);
    }
}

impl fmt::Display for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} retry tokens",
            self.whole_tokens(),
            self.config.capacity
        )
    }
}
