//! Proof that the decision path allocates nothing, with a counting global allocator.
//!
//! The allocator comes from the `allocation-counter` dev-dependency, which installs itself as
//! the global allocator of this test binary and counts per thread: the workspace forbids
//! unsafe code, and a `GlobalAlloc` of our own would need it.

use core::time::Duration;

use impact_errors::{RateLimitInfo, Reset, RetryAfter, StatusCode};
use impact_retry::{
    BudgetConfig, FailedAttempt, Idempotency, Jitter, Outcome, Pacer, RetryBudget, RetryPolicy,
    RetryState, TransportFailure,
};

fn check(outcome: Outcome, info: RateLimitInfo, expect_allocations: u64) {
    for jitter in Jitter::ALL {
        let policy = RetryPolicy::new()
            .with_jitter(jitter)
            .with_total_deadline(Some(Duration::from_secs(300)));
        let mut budget = RetryBudget::new(BudgetConfig::new(), Duration::ZERO);
        let mut pacer = Pacer::new();
        let measured = allocation_counter::measure(|| {
            let mut state = RetryState::start(&policy, Duration::ZERO);
            let mut now = Duration::ZERO;
            for random in [1_u64, u64::MAX, 0x5555_5555_5555_5555, 7] {
                if state.begin_attempt(&policy, now).is_err() {
                    break;
                }
                pacer.observe(&info, StatusCode::OK, now, 1_700_000_000);
                let failed = FailedAttempt::new(outcome, Idempotency::Idempotent)
                    .with_rate_limit(&info)
                    .at(now, 1_700_000_000)
                    .with_random(random);
                let decision = policy.decide(&mut state, &failed, Some(&mut budget), Some(&pacer));
                match decision.delay() {
                    Some(delay) => now += delay,
                    None => break,
                }
            }
            budget.on_first_try_success(now);
        });
        assert_eq!(
            measured.count_total, expect_allocations,
            "{outcome} {jitter}"
        );
    }
}

#[test]
fn deciding_allocates_nothing() {
    check(
        Outcome::Status(StatusCode::SERVICE_UNAVAILABLE),
        RateLimitInfo::default(),
        0,
    );
    check(
        Outcome::Status(StatusCode::TOO_MANY_REQUESTS),
        RateLimitInfo {
            x_remaining: Some(0),
            x_reset: Some(Reset::After(20)),
            retry_after: Some(RetryAfter::Delay(3)),
            ..RateLimitInfo::default()
        },
        0,
    );
    check(
        Outcome::Transport(TransportFailure::Timeout),
        RateLimitInfo::default(),
        0,
    );
    check(
        Outcome::Status(StatusCode::NOT_FOUND),
        RateLimitInfo::default(),
        0,
    );
}

#[test]
fn the_counter_does_see_allocations() {
    // Guards the test above against a counter that counts nothing.
    let measured = allocation_counter::measure(|| {
        let boxed = std::hint::black_box(Box::new([0_u8; 64]));
        drop(boxed);
    });
    assert_eq!(measured.count_total, 1);
}
