//! The decision after each failed attempt: retry after a delay, or give up, and why.

use core::fmt;
use core::time::Duration;

use impact_errors::RateLimitInfo;

use crate::budget::{BudgetConfig, RetryBudget};
use crate::outcome::{Idempotency, Outcome, TransportFailure};
use crate::pacer::Pacer;
use crate::policy::RetryPolicy;

/// Where a retry's delay came from, for the client's traces.
///
/// ```
/// use impact_retry::DelaySource;
///
/// assert_eq!(DelaySource::ServerHint.to_string(), "server hint");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DelaySource {
    /// The jittered exponential backoff.
    Backoff,
    /// The server's `Retry-After`, or a reset header on a 429, asked for longer.
    ServerHint,
    /// The account's rate limit is exhausted until later still.
    Pacing,
}

impl DelaySource {
    /// A snake_case name for logs: `backoff`, `server_hint`, `pacing`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DelaySource::Backoff => "backoff",
            DelaySource::ServerHint => "server_hint",
            DelaySource::Pacing => "pacing",
        }
    }
}

impl fmt::Display for DelaySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DelaySource::Backoff => "backoff",
            DelaySource::ServerHint => "server hint",
            DelaySource::Pacing => "pacing",
        })
    }
}

/// Why a call gives up.
///
/// ```
/// use impact_retry::GiveUpReason;
///
/// assert_eq!(GiveUpReason::BudgetEmpty.to_string(), "retry budget empty");
/// assert!(GiveUpReason::WaitTooLong.is_rate_limited());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GiveUpReason {
    /// The outcome is not worth retrying (a 4xx other than 408 and 429, 501, an error in a
    /// 2xx body, ...).
    NotRetryable,
    /// The request is not idempotent and the failure does not prove it was not processed.
    NotIdempotent,
    /// The last allowed attempt failed.
    AttemptsExhausted,
    /// The next attempt could not start before the call's total deadline.
    Deadline,
    /// The server (or pacing) asks for a wait longer than the policy's maximum; the decision
    /// says when to come back.
    WaitTooLong,
    /// The client's retry budget cannot pay for another retry.
    BudgetEmpty,
}

impl GiveUpReason {
    /// Whether the caller should report a rate-limit error (come back later) rather than the
    /// last outcome.
    pub const fn is_rate_limited(self) -> bool {
        matches!(self, GiveUpReason::WaitTooLong)
    }

    /// A snake_case name for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            GiveUpReason::NotRetryable => "not_retryable",
            GiveUpReason::NotIdempotent => "not_idempotent",
            GiveUpReason::AttemptsExhausted => "attempts_exhausted",
            GiveUpReason::Deadline => "deadline",
            GiveUpReason::WaitTooLong => "wait_too_long",
            GiveUpReason::BudgetEmpty => "budget_empty",
        }
    }
}

impl fmt::Display for GiveUpReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GiveUpReason::NotRetryable => "not retryable",
            GiveUpReason::NotIdempotent => "not idempotent and possibly processed",
            GiveUpReason::AttemptsExhausted => "attempts exhausted",
            GiveUpReason::Deadline => "deadline reached",
            GiveUpReason::WaitTooLong => "wait too long",
            GiveUpReason::BudgetEmpty => "retry budget empty",
        })
    }
}

/// A decision to retry.
///
/// ```
/// use core::time::Duration;
/// use impact_retry::{DelaySource, Retry};
///
/// let retry = Retry {
///     next_attempt: 2,
///     delay: Duration::from_millis(250),
///     source: DelaySource::Backoff,
///     budget_left: Some(495),
/// };
/// assert_eq!(retry.to_string(), "retry as attempt 2 after 250ms (backoff, 495 budget tokens left)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Retry {
    /// The number of the attempt to make after the delay (2 for the first retry).
    pub next_attempt: u32,
    /// How long to sleep before it.
    pub delay: Duration,
    /// Which rule chose the delay.
    pub source: DelaySource,
    /// Whole tokens left in the retry budget after paying for this retry, if one was used.
    pub budget_left: Option<u32>,
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "retry as attempt {} after {:?} ({}",
            self.next_attempt, self.delay, self.source
        )?;
        if let Some(left) = self.budget_left {
            write!(f, ", {left} budget tokens left")?;
        }
        f.write_str(")")
    }
}

/// A decision to stop retrying.
///
/// ```
/// use core::time::Duration;
/// use impact_retry::{GiveUp, GiveUpReason};
///
/// let give_up = GiveUp {
///     reason: GiveUpReason::WaitTooLong,
///     attempts: 1,
///     retry_after: Some(Duration::from_secs(1800)),
/// };
/// assert_eq!(give_up.to_string(), "give up after 1 attempt: wait too long (come back in 1800s)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GiveUp {
    /// Why.
    pub reason: GiveUpReason,
    /// Attempts made, the failed one included.
    pub attempts: u32,
    /// For [`GiveUpReason::WaitTooLong`]: how long until the server allows another call.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(
            f,
            "give up after {} attempt{plural}: {}",
            self.attempts, self.reason
        )?;
        if let Some(after) = self.retry_after {
            write!(f, " (come back in {}s)", after.as_secs())?;
        }
        Ok(())
    }
}

/// What to do after a failed attempt.
///
/// ```
/// use core::time::Duration;
/// use impact_retry::{Decision, DelaySource, Retry};
///
/// let decision = Decision::Retry(Retry {
///     next_attempt: 2,
///     delay: Duration::from_millis(40),
///     source: DelaySource::Backoff,
///     budget_left: None,
/// });
/// assert_eq!(decision.delay(), Some(Duration::from_millis(40)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Sleep the delay, then make the next attempt.
    Retry(Retry),
    /// Stop and report.
    GiveUp(GiveUp),
}

impl Decision {
    /// The delay before the next attempt, `None` when giving up.
    pub const fn delay(&self) -> Option<Duration> {
        match self {
            Decision::Retry(retry) => Some(retry.delay),
            Decision::GiveUp(_) => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Retry(retry) => retry.fmt(f),
            Decision::GiveUp(give_up) => give_up.fmt(f),
        }
    }
}

/// Everything known about one failed attempt, as the decision needs it.
///
/// ```
/// use core::time::Duration;
/// use impact_errors::StatusCode;
/// use impact_retry::{FailedAttempt, Idempotency, Outcome};
///
/// let failed = FailedAttempt::new(Outcome::Status(StatusCode::BAD_GATEWAY), Idempotency::Idempotent)
///     .at(Duration::from_secs(3), 1_700_000_000)
///     .with_random(0x1234_5678_9abc_def0);
/// assert_eq!(failed.now, Duration::from_secs(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempt<'a> {
    /// What happened.
    pub outcome: Outcome,
    /// Whether the request may be sent twice.
    pub idempotency: Idempotency,
    /// The response's rate-limit headers, when there was a response.
    pub rate_limit: Option<&'a RateLimitInfo>,
    /// The monotonic instant of the failure, from the caller's origin.
    pub now: Duration,
    /// The Unix time of the failure in seconds, to read the headers' dates.
    pub unix_now: u64,
    /// A uniformly distributed random number for the jitter; the caller draws a fresh one
    /// per decision.
    pub random: u64,
}

impl<'a> FailedAttempt<'a> {
    /// A failure at the origin of time with no headers and a zero random number; set the
    /// rest with the `with_` and `at` methods.
    pub const fn new(outcome: Outcome, idempotency: Idempotency) -> FailedAttempt<'a> {
        FailedAttempt {
            outcome,
            idempotency,
            rate_limit: None,
            now: Duration::ZERO,
            unix_now: 0,
            random: 0,
        }
    }

    /// Sets the response's rate-limit headers.
    pub const fn with_rate_limit(mut self, info: &'a RateLimitInfo) -> FailedAttempt<'a> {
        self.rate_limit = Some(info);
        self
    }

    /// Sets the monotonic instant and the Unix time of the failure.
    pub const fn at(mut self, now: Duration, unix_now: u64) -> FailedAttempt<'a> {
        self.now = now;
        self.unix_now = unix_now;
        self
    }

    /// Sets the random number for the jitter.
    pub const fn with_random(mut self, random: u64) -> FailedAttempt<'a> {
        self.random = random;
        self
    }

    /// The wait the server asked for, in whole seconds from now: `Retry-After` on any
    /// retryable status, and on a 429 also the reset headers. A reset header on any other
    /// status is not a hint: the API sends one on every response.
    fn server_hint(&self) -> Option<Duration> {
        let info = self.rate_limit?;
        let retry_after = info.retry_after.map(|hint| hint.delay_from(self.unix_now));
        let reset = if self.outcome.is_too_many_requests() {
            info.reset_at(self.unix_now)
                .map(|at| at.saturating_sub(self.unix_now))
        } else {
            None
        };
        match (retry_after, reset) {
            (None, None) => None,
            (one, other) => Some(Duration::from_secs(
                one.unwrap_or(0).max(other.unwrap_or(0)),
            )),
        }
    }
}

/// The state of one call across its attempts: start one per call with
/// [`RetryState::start`].
///
/// ```
/// use core::time::Duration;
/// use impact_retry::{RetryPolicy, RetryState};
///
/// let policy = RetryPolicy::new().with_total_deadline(Some(Duration::from_secs(45)));
/// let mut call = RetryState::start(&policy, Duration::ZERO);
/// let plan = call.begin_attempt(&policy, Duration::from_secs(20)).unwrap();
/// assert_eq!(plan.number, 1);
/// // The per-attempt timeout is 30 s but only 25 s are left before the deadline.
/// assert_eq!(plan.timeout, Duration::from_secs(25));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryState {
    /// Attempts begun so far.
    attempts: u32,
    /// The instant after which nothing may be sent or slept through.
    deadline: Option<Duration>,
    /// The delay chosen before the last retry, for decorrelated jitter.
    previous_delay: Duration,
}

/// The attempt about to be made: its number and its timeout.
///
/// ```
/// use core::time::Duration;
/// use impact_retry::AttemptPlan;
///
/// let plan = AttemptPlan { number: 1, timeout: Duration::from_secs(30) };
/// assert_eq!(plan.to_string(), "attempt 1 with a 30s timeout");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttemptPlan {
    /// The attempt's number, 1 for the first.
    pub number: u32,
    /// The attempt's timeout: the per-attempt timeout, or the time left before the deadline
    /// when that is shorter.
    pub timeout: Duration,
}

impl fmt::Display for AttemptPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "attempt {} with a {:?} timeout",
            self.number, self.timeout
        )
    }
}

impl RetryState {
    /// The state of a call starting at `now` (a monotonic instant from the caller's origin).
    pub const fn start(policy: &RetryPolicy, now: Duration) -> RetryState {
        let deadline = match policy.total_deadline {
            Some(total) => Some(now.saturating_add(total)),
            None => None,
        };
        RetryState {
            attempts: 0,
            deadline,
            previous_delay: Duration::ZERO,
        }
    }

    /// Attempts begun so far.
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The call's deadline, if the policy has a total deadline.
    pub const fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The time left at `now` before the deadline, `None` without a deadline.
    pub fn time_left(&self, now: Duration) -> Option<Duration> {
        self.deadline.map(|deadline| deadline.saturating_sub(now))
    }

    /// Begins an attempt at `now`: counts it and gives its timeout, the smaller of the
    /// per-attempt timeout and the time left. Gives up when the deadline has passed.
    pub fn begin_attempt(
        &mut self,
        policy: &RetryPolicy,
        now: Duration,
    ) -> Result<AttemptPlan, GiveUp> {
        let timeout = match self.time_left(now) {
            Some(left) if left.is_zero() => {
                return Err(GiveUp {
                    reason: GiveUpReason::Deadline,
                    attempts: self.attempts,
                    retry_after: None,
                });
            }
            Some(left) => left.min(policy.attempt_timeout),
            None => policy.attempt_timeout,
        };
        self.attempts = self.attempts.saturating_add(1);
        Ok(AttemptPlan {
            number: self.attempts,
            timeout,
        })
    }
}

/// A retry the policy would make, before the retry budget has paid for it: what
/// [`RetryPolicy::propose`] gives, so that a budget kept elsewhere (in a store shared by many
/// processes) can be charged atomically between the decision and its effect.
///
/// Accept it with [`ProposedRetry::accept`] once [`ProposedRetry::cost`] is paid, or turn it into
/// a give-up with [`ProposedRetry::refuse`] when the budget cannot pay.
///
/// ```
/// use core::time::Duration;
/// use impact_errors::StatusCode;
/// use impact_retry::{
///     BudgetConfig, FailedAttempt, GiveUpReason, Idempotency, Outcome, Proposal, RetryPolicy,
///     RetryState,
/// };
///
/// let policy = RetryPolicy::new();
/// let mut call = RetryState::start(&policy, Duration::ZERO);
/// call.begin_attempt(&policy, Duration::ZERO).unwrap();
/// let failed = FailedAttempt::new(Outcome::Status(StatusCode::SERVICE_UNAVAILABLE), Idempotency::Idempotent);
/// let Proposal::Retry(proposed) = policy.propose(&call, &failed, None) else { unreachable!() };
/// assert_eq!(proposed.cost(BudgetConfig::new()), 5);
/// // A shared store refused the tokens: the call gives up, saying why.
/// assert_eq!(proposed.refuse().reason, GiveUpReason::BudgetEmpty);
/// ```
#[must_use = "a proposed retry is either accepted once paid for, or refused"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProposedRetry {
    next_attempt: u32,
    delay: Duration,
    source: DelaySource,
    /// The jittered backoff drawn, kept for decorrelated jitter once the retry is accepted.
    backoff: Duration,
    after_timeout: bool,
}

impl ProposedRetry {
    /// The number of the attempt the retry would make (2 for the first retry).
    pub const fn next_attempt(&self) -> u32 {
        self.next_attempt
    }

    /// How long to sleep before it.
    pub const fn delay(&self) -> Duration {
        self.delay
    }

    /// Which rule chose the delay.
    pub const fn source(&self) -> DelaySource {
        self.source
    }

    /// The tokens this retry costs a budget of `config`'s sizes: a retry after a timeout costs
    /// [`BudgetConfig::timeout_retry_cost`](crate::BudgetConfig::timeout_retry_cost), any other
    /// [`BudgetConfig::retry_cost`](crate::BudgetConfig::retry_cost).
    pub const fn cost(&self, config: BudgetConfig) -> u32 {
        if self.after_timeout {
            config.timeout_retry_cost
        } else {
            config.retry_cost
        }
    }

    /// The retry, once its cost is paid (`budget_left`: whole tokens left after paying, `None`
    /// without a budget). Records the backoff drawn in `state`, which must be the state the
    /// proposal was made from.
    pub fn accept(self, state: &mut RetryState, budget_left: Option<u32>) -> Retry {
        // Decorrelated jitter grows from the backoff it drew, not from a hint or pacing
        // wait, so that one long server wait does not inflate every later backoff.
        state.previous_delay = self.backoff;
        Retry {
            next_attempt: self.next_attempt,
            delay: self.delay,
            source: self.source,
            budget_left,
        }
    }

    /// The give-up of a retry the budget could not pay for.
    pub const fn refuse(self) -> GiveUp {
        GiveUp {
            reason: GiveUpReason::BudgetEmpty,
            attempts: self.next_attempt - 1,
            retry_after: None,
        }
    }
}

/// What the policy would do after a failed attempt, before any budget is charged: see
/// [`RetryPolicy::propose`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proposal {
    /// Retry, once the budget pays [`ProposedRetry::cost`].
    Retry(ProposedRetry),
    /// Stop and report; nothing is charged.
    GiveUp(GiveUp),
}

impl RetryPolicy {
    /// Decides what to do after a failed attempt (SPEC 3).
    ///
    /// The rules, in order: an outcome that is not retryable, or a non-idempotent request
    /// after a failure that may have been processed, gives up at once. A server hint or a
    /// pacing wait longer than `max_wait` gives up saying when to come back, even when no
    /// attempts are left. Then the attempt count, then the delay: the jittered backoff, never
    /// sooner than the server's hint nor the pacer's release (a hint may exceed the backoff
    /// cap, as the server's word wins); a delay that would end at or past the deadline gives
    /// up. Last, the budget pays for the retry, or the call gives up; nothing is withdrawn
    /// from it on any other path.
    ///
    /// This is [`RetryPolicy::propose`] followed by a withdrawal from `budget`. `state` must
    /// have begun the failed attempt with [`RetryState::begin_attempt`]. This function
    /// allocates nothing, reads no clock and draws no random number of its own.
    pub fn decide(
        &self,
        state: &mut RetryState,
        failed: &FailedAttempt<'_>,
        budget: Option<&mut RetryBudget>,
        pacer: Option<&Pacer>,
    ) -> Decision {
        let proposed = match self.propose(state, failed, pacer) {
            Proposal::Retry(proposed) => proposed,
            Proposal::GiveUp(give_up) => return Decision::GiveUp(give_up),
        };
        let budget_left = match budget {
            Some(budget) => {
                if !budget.try_withdraw(proposed.cost(budget.config()), failed.now) {
                    return Decision::GiveUp(proposed.refuse());
                }
                Some(budget.whole_tokens())
            }
            None => None,
        };
        Decision::Retry(proposed.accept(state, budget_left))
    }

    /// Every rule of [`RetryPolicy::decide`] but the budget's: the retry the policy would make
    /// and what it would cost, or the give-up. For a budget kept outside the caller (a store
    /// shared by many processes), which must withdraw the cost atomically: charge
    /// [`ProposedRetry::cost`] there, then [`ProposedRetry::accept`] or
    /// [`ProposedRetry::refuse`]. Changes nothing in `state` until the retry is accepted.
    pub fn propose(
        &self,
        state: &RetryState,
        failed: &FailedAttempt<'_>,
        pacer: Option<&Pacer>,
    ) -> Proposal {
        let attempts = state.attempts.max(1);
        let give_up = |reason, retry_after| {
            Proposal::GiveUp(GiveUp {
                reason,
                attempts,
                retry_after,
            })
        };
        if !failed.outcome.is_retryable() {
            return give_up(GiveUpReason::NotRetryable, None);
        }
        if failed.idempotency == Idempotency::NotIdempotent
            && !failed.outcome.allows_non_idempotent_retry()
        {
            return give_up(GiveUpReason::NotIdempotent, None);
        }

        let hint = failed.server_hint();
        let pacing = pacer.map_or(Duration::ZERO, |pacer| pacer.wait(failed.now));
        let longest_wait = hint.unwrap_or(Duration::ZERO).max(pacing);
        if longest_wait > self.max_wait {
            return give_up(GiveUpReason::WaitTooLong, Some(longest_wait));
        }
        if attempts >= self.max_attempts {
            return give_up(GiveUpReason::AttemptsExhausted, None);
        }

        let backoff = self.backoff(attempts, state.previous_delay, failed.random);
        let (mut delay, mut source) = (backoff, DelaySource::Backoff);
        if let Some(hint) = hint
            && hint > delay
        {
            (delay, source) = (hint, DelaySource::ServerHint);
        }
        if pacing > delay {
            (delay, source) = (pacing, DelaySource::Pacing);
        }
        if let Some(deadline) = state.deadline
            && failed.now.saturating_add(delay) >= deadline
        {
            return give_up(GiveUpReason::Deadline, None);
        }
        Proposal::Retry(ProposedRetry {
            next_attempt: attempts + 1,
            delay,
            source,
            backoff,
            after_timeout: matches!(
                failed.outcome,
                Outcome::Transport(TransportFailure::Timeout)
            ),
        })
    }
}
