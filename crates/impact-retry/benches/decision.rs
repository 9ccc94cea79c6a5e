//! Measures one retry decision (SPEC 7: median under 1,000 ns, with no heap allocation).

use core::time::Duration;

use divan::black_box;
use impact_errors::{RateLimitInfo, RetryAfter, StatusCode};
use impact_retry::{
    BudgetConfig, FailedAttempt, Idempotency, Outcome, Pacer, RetryBudget, RetryPolicy, RetryState,
};

fn main() {
    divan::main();
}

/// A 503 on the first attempt of a GET, with the budget and the pacer in play: the common path.
#[divan::bench]
fn decide_backoff(bencher: divan::Bencher<'_, '_>) {
    let policy = RetryPolicy::new();
    let pacer = Pacer::new();
    let headers = RateLimitInfo::default();
    let mut random = 0x2545_f491_4f6c_dd1d_u64;
    bencher
        .with_inputs(|| {
            let mut state = RetryState::start(&policy, Duration::ZERO);
            let _ = state.begin_attempt(&policy, Duration::ZERO);
            random = random
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (
                state,
                RetryBudget::new(BudgetConfig::new(), Duration::ZERO),
                random,
            )
        })
        .bench_local_refs(|(state, budget, random)| {
            let failed = FailedAttempt::new(
                Outcome::Status(StatusCode::SERVICE_UNAVAILABLE),
                Idempotency::Idempotent,
            )
            .with_rate_limit(&headers)
            .at(Duration::from_millis(120), 1_700_000_000)
            .with_random(*random);
            black_box(policy.decide(state, black_box(&failed), Some(budget), Some(&pacer)))
        });
}

/// A 429 with `Retry-After`: the server-hint path.
#[divan::bench]
fn decide_server_hint(bencher: divan::Bencher<'_, '_>) {
    let policy = RetryPolicy::new();
    let headers = RateLimitInfo {
        retry_after: Some(RetryAfter::Delay(3)),
        ..RateLimitInfo::default()
    };
    bencher
        .with_inputs(|| {
            let mut state = RetryState::start(&policy, Duration::ZERO);
            let _ = state.begin_attempt(&policy, Duration::ZERO);
            state
        })
        .bench_local_refs(|state| {
            let failed = FailedAttempt::new(
                Outcome::Status(StatusCode::TOO_MANY_REQUESTS),
                Idempotency::NotIdempotent,
            )
            .with_rate_limit(&headers)
            .at(Duration::from_secs(1), 1_700_000_000)
            .with_random(42);
            black_box(policy.decide(state, black_box(&failed), None, None))
        });
}
