//! The retry decisions `cargo xtask bench` measures, shared by the timing (in the main binary)
//! and the allocation probe (a binary of its own, because its counting allocator would slow
//! every other timing down).

use core::time::Duration;

use impact_errors::{RateLimitInfo, RetryAfter, StatusCode};
use impact_retry::{
    BudgetConfig, Decision, FailedAttempt, Idempotency, Outcome, Pacer, RetryBudget, RetryPolicy,
    RetryState,
};

/// Which decision is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// A 503 on the first attempt of a GET, with the budget and the pacer in play: the common
    /// path of a retry (backoff with full jitter). The headline figure.
    Backoff,
    /// A 429 with `Retry-After: 3` on a POST: the server-hint path.
    ServerHint,
}

/// Everything a decision reads that does not change from one decision to the next.
pub(crate) struct Fixed {
    policy: RetryPolicy,
    pacer: Pacer,
    headers: RateLimitInfo,
    outcome: Outcome,
    idempotency: Idempotency,
    with_budget: bool,
}

/// What one decision mutates: prepared before the timed loop so that only deciding is timed.
pub(crate) struct Input {
    state: RetryState,
    budget: RetryBudget,
    random: u64,
}

impl Fixed {
    pub(crate) fn new(scenario: Scenario) -> Fixed {
        match scenario {
            Scenario::Backoff => Fixed {
                policy: RetryPolicy::new(),
                pacer: Pacer::new(),
                headers: RateLimitInfo::default(),
                outcome: Outcome::Status(StatusCode::SERVICE_UNAVAILABLE),
                idempotency: Idempotency::Idempotent,
                with_budget: true,
            },
            Scenario::ServerHint => Fixed {
                policy: RetryPolicy::new(),
                pacer: Pacer::new(),
                headers: RateLimitInfo {
                    retry_after: Some(RetryAfter::Delay(3)),
                    ..RateLimitInfo::default()
                },
                outcome: Outcome::Status(StatusCode::TOO_MANY_REQUESTS),
                idempotency: Idempotency::NotIdempotent,
                with_budget: false,
            },
        }
    }

    /// Fills `inputs` with `count` fresh states (each after its first attempt) and budgets,
    /// with a different random number for each, as a real client would draw.
    pub(crate) fn prepare(&self, count: usize, seed: &mut u64, inputs: &mut Vec<Input>) {
        inputs.clear();
        for _ in 0..count {
            let mut state = RetryState::start(&self.policy, Duration::ZERO);
            // A fresh state always admits its first attempt.
            let _ = state.begin_attempt(&self.policy, Duration::ZERO);
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            inputs.push(Input {
                state,
                budget: RetryBudget::new(BudgetConfig::new(), Duration::ZERO),
                random: *seed,
            });
        }
    }

    /// One decision on a prepared input.
    pub(crate) fn decide(&self, input: &mut Input) -> Decision {
        let failed = FailedAttempt::new(self.outcome, self.idempotency)
            .with_rate_limit(&self.headers)
            .at(Duration::from_millis(120), 1_700_000_000)
            .with_random(input.random);
        let budget = if self.with_budget {
            Some(&mut input.budget)
        } else {
            None
        };
        self.policy
            .decide(&mut input.state, &failed, budget, Some(&self.pacer))
    }
}
