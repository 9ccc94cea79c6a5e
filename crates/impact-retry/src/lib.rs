//! Retry, backoff, pacing and retry-budget policy for the impact.com APIs (SPEC 3), as pure
//! computation.
//!
//! Nothing here sleeps, reads a clock, draws a random number or touches the network: the
//! caller passes the current instant (a [`Duration`](core::time::Duration) since an origin of
//! its choosing, from a monotonic clock), the Unix time for reading header dates, and one
//! random `u64` per decision. The crate is `#![no_std]` and the decision path allocates
//! nothing, so the same policy runs in an async client, in a simulator in virtual time, and
//! on a microcontroller.
//!
//! - [`RetryPolicy`]: the configuration (attempts, backoff, [`Jitter`], deadlines, maximum
//!   wait) and [`RetryPolicy::decide`], the decision after each failed attempt.
//! - [`RetryState`]: one call's attempts and deadline; [`RetryState::begin_attempt`] gives
//!   each attempt's timeout.
//! - [`FailedAttempt`], [`Outcome`], [`TransportFailure`], [`Idempotency`]: the inputs.
//! - [`Decision`], [`Retry`], [`GiveUp`], [`DelaySource`], [`GiveUpReason`]: the output, with
//!   what a trace needs (attempt, delay, where it came from, budget left).
//! - [`RetryPolicy::propose`], [`Proposal`] and [`ProposedRetry`]: the same decision split
//!   before the budget, for a budget kept elsewhere (a store shared by many processes) that must
//!   be charged atomically: the retry and its cost, then accepted or refused.
//! - [`Pacer`]: holds calls on an account back while its rate limit is exhausted.
//! - [`RetryBudget`]: the token bucket that keeps an outage from multiplying the load.
//!
//! # The call sequence
//!
//! A client holds one [`Pacer`] and one [`RetryBudget`] per client (behind a mutex when
//! calls run concurrently) and, for each call:
//!
//! 1. starts a [`RetryState`];
//! 2. before each attempt, asks the pacer ([`Pacer::admit`]) and begins the attempt
//!    ([`RetryState::begin_attempt`]) to get its timeout;
//! 3. after each response, feeds its rate-limit headers to the pacer ([`Pacer::observe`]);
//! 4. after a success on the first attempt, refills the budget
//!    ([`RetryBudget::on_first_try_success`]); after a failure, calls
//!    [`RetryPolicy::decide`] and sleeps the delay, or reports the give-up. (With a budget
//!    kept elsewhere: [`RetryPolicy::propose`], charge [`ProposedRetry::cost`] there, then
//!    [`ProposedRetry::accept`] or [`ProposedRetry::refuse`].)
//!
//! ```
//! use core::time::Duration;
//! use impact_errors::{RateLimitInfo, StatusCode};
//! use impact_retry::{
//!     Admission, BudgetConfig, Decision, FailedAttempt, GiveUpReason, Idempotency, Outcome,
//!     Pacer, RetryBudget, RetryPolicy, RetryState,
//! };
//!
//! // A pretend server that fails twice with 503, then answers 200.
//! let mut answers = [503_u16, 503, 200].into_iter();
//! // Virtual time and a fixed random stream stand in for tokio's clock and a real RNG.
//! let mut now = Duration::ZERO;
//! let unix_epoch_at_origin = 1_700_000_000;
//! let mut random = 0x9e37_79b9_7f4a_7c15_u64;
//!
//! let policy = RetryPolicy::new();
//! let mut pacer = Pacer::new();
//! let mut budget = RetryBudget::new(BudgetConfig::new(), now);
//!
//! let mut call = RetryState::start(&policy, now);
//! let result = loop {
//!     match pacer.admit(now, policy.max_wait) {
//!         Admission::Wait(wait) => now += wait, // tokio::time::sleep(wait).await
//!         Admission::TooLong { retry_after } => break Err(retry_after.as_secs()),
//!         _ => {}
//!     }
//!     let plan = match call.begin_attempt(&policy, now) {
//!         Ok(plan) => plan,
//!         Err(_deadline) => break Err(0),
//!     };
//!     // Send the request with `plan.timeout`; here the server answers at once.
//!     let status = StatusCode::from_u16(answers.next().unwrap()).unwrap();
//!     let unix_now = unix_epoch_at_origin + now.as_secs();
//!     let headers = RateLimitInfo::default();
//!     pacer.observe(&headers, status, now, unix_now);
//!     if status.is_success() {
//!         if plan.number == 1 {
//!             budget.on_first_try_success(now);
//!         }
//!         break Ok(plan.number);
//!     }
//!     random = random.wrapping_mul(6364136223846793005).wrapping_add(1);
//!     let failed = FailedAttempt::new(Outcome::Status(status), Idempotency::from_method("GET"))
//!         .with_rate_limit(&headers)
//!         .at(now, unix_now)
//!         .with_random(random);
//!     match policy.decide(&mut call, &failed, Some(&mut budget), Some(&pacer)) {
//!         Decision::Retry(retry) => now += retry.delay, // tokio::time::sleep(retry.delay).await
//!         Decision::GiveUp(give_up) => break Err(give_up.attempts.into()),
//!     }
//! };
//! assert_eq!(result, Ok(3));
//! // Two retries were paid for with 5 tokens each (and refilled a little by time).
//! assert!(budget.available(now) < 500);
//! # let _ = GiveUpReason::Deadline;
//! ```
//!
//! # Features
//! - `std` (default): nothing more than `impact-errors/std`; the crate itself never needs it.
//!   Without default features it builds for bare-metal targets such as
//!   `thumbv7em-none-eabihf`.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

mod budget;
mod decision;
mod outcome;
mod pacer;
mod policy;

pub use budget::{BudgetConfig, RetryBudget};
pub use decision::{
    AttemptPlan, Decision, DelaySource, FailedAttempt, GiveUp, GiveUpReason, Proposal,
    ProposedRetry, Retry, RetryState,
};
pub use outcome::{Idempotency, Outcome, TransportFailure};
pub use pacer::{Admission, Pacer};
pub use policy::{Jitter, PolicyError, RetryPolicy};
