//! Properties of every decision, over random policies, outcomes, headers and random streams,
//! with and without a retry budget and a pacer in play.

use core::time::Duration;

use impact_errors::{RateLimitInfo, Reset, RetryAfter, StatusCode};
use impact_retry::{
    Admission, BudgetConfig, Decision, FailedAttempt, GiveUpReason, Idempotency, Jitter, Outcome,
    Pacer, Proposal, RetryBudget, RetryPolicy, RetryState, TransportFailure,
};
use proptest::prelude::*;

const UNIX: u64 = 1_700_000_000;

fn jitter() -> impl Strategy<Value = Jitter> {
    prop::sample::select(Jitter::ALL.to_vec())
}

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        1_u32..8,
        1_u64..2_000,
        1_u32..5,
        0_u64..30_000,
        jitter(),
        prop::option::of(1_u64..120_000),
        1_u64..120,
    )
        .prop_map(
            |(attempts, initial, factor, extra_cap, jitter, deadline, max_wait)| {
                RetryPolicy::new()
                    .with_max_attempts(attempts)
                    .with_initial_backoff(Duration::from_millis(initial))
                    .with_factor(factor)
                    .with_max_backoff(Duration::from_millis(initial + extra_cap))
                    .with_jitter(jitter)
                    .with_total_deadline(deadline.map(Duration::from_millis))
                    .with_max_wait(Duration::from_secs(max_wait))
            },
        )
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        (100_u16..1000).prop_map(|code| Outcome::Status(StatusCode::from_u16(code).unwrap())),
        prop::sample::select(vec![408_u16, 429, 500, 502, 503, 504])
            .prop_map(|code| Outcome::Status(StatusCode::from_u16(code).unwrap())),
        prop::sample::select(vec![
            TransportFailure::ConnectRefused,
            TransportFailure::NotSent,
            TransportFailure::Timeout,
            TransportFailure::BrokenBody,
        ])
        .prop_map(Outcome::Transport),
        (200_u16..300).prop_map(|code| Outcome::ErrorInBody(StatusCode::from_u16(code).unwrap())),
    ]
}

fn headers() -> impl Strategy<Value = RateLimitInfo> {
    (
        prop::option::of(0_u64..5),
        prop::option::of(prop_oneof![
            (0_u64..200).prop_map(Reset::After),
            (UNIX - 100..UNIX + 200).prop_map(Reset::At),
        ]),
        prop::option::of(prop_oneof![
            (0_u64..200).prop_map(RetryAfter::Delay),
            (UNIX - 100..UNIX + 200).prop_map(RetryAfter::At),
        ]),
    )
        .prop_map(|(remaining, reset, retry_after)| RateLimitInfo {
            x_remaining: remaining,
            x_reset: reset,
            retry_after,
            ..RateLimitInfo::default()
        })
}

/// The longest wait any header asks for, in the decision's terms, read at `unix`.
fn hint(outcome: Outcome, info: &RateLimitInfo, unix: u64) -> Duration {
    let retry_after = info.retry_after.map_or(0, |hint| hint.delay_from(unix));
    let reset = if matches!(outcome, Outcome::Status(status) if status.as_u16() == 429) {
        info.reset_at(unix).map_or(0, |at| at.saturating_sub(unix))
    } else {
        0
    };
    Duration::from_secs(retry_after.max(reset))
}

/// Runs one call to its end with failures drawn from `outcomes`, returning every decision.
fn run_call(
    policy: &RetryPolicy,
    outcomes: &[Outcome],
    idempotency: Idempotency,
    info: &RateLimitInfo,
    randoms: &[u64],
) -> Vec<(Duration, Decision)> {
    let decide = |state: &mut RetryState, failed: &FailedAttempt<'_>| {
        policy.decide(state, failed, None, None)
    };
    run_call_deciding(policy, outcomes, idempotency, info, randoms, decide)
}

/// [`run_call`] with each decision made by `decide`.
fn run_call_deciding(
    policy: &RetryPolicy,
    outcomes: &[Outcome],
    idempotency: Idempotency,
    info: &RateLimitInfo,
    randoms: &[u64],
    mut decide: impl FnMut(&mut RetryState, &FailedAttempt<'_>) -> Decision,
) -> Vec<(Duration, Decision)> {
    let mut now = Duration::from_secs(5);
    let mut state = RetryState::start(policy, now);
    let mut decisions = Vec::new();
    for (outcome, random) in outcomes.iter().zip(randoms.iter().cycle()) {
        if state.begin_attempt(policy, now).is_err() {
            break;
        }
        let failed = FailedAttempt::new(*outcome, idempotency)
            .with_rate_limit(info)
            .at(now, UNIX)
            .with_random(*random);
        let decision = decide(&mut state, &failed);
        decisions.push((now, decision));
        match decision {
            Decision::Retry(retry) => now += retry.delay,
            _ => break,
        }
    }
    decisions
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn delays_respect_cap_hints_deadline_and_attempts(
        policy in policy(),
        outcomes in prop::collection::vec(outcome(), 1..12),
        info in headers(),
        randoms in prop::collection::vec(any::<u64>(), 1..12),
    ) {
        let deadline = policy.total_deadline.map(|total| Duration::from_secs(5) + total);
        let decisions = run_call(&policy, &outcomes, Idempotency::Idempotent, &info, &randoms);
        for (index, (now, decision)) in decisions.iter().enumerate() {
            let outcome = outcomes[index];
            if let Decision::Retry(retry) = decision {
                let hint = hint(outcome, &info, UNIX);
                prop_assert!(retry.delay >= hint, "sooner than the hint: {retry:?} < {hint:?}");
                prop_assert!(retry.delay <= policy.max_backoff.max(hint), "above the cap: {retry:?}");
                prop_assert!(hint <= policy.max_wait);
                prop_assert!(retry.next_attempt <= policy.max_attempts);
                if let Some(deadline) = deadline {
                    prop_assert!(*now + retry.delay < deadline, "sleeps past the deadline");
                }
            }
        }
        let retries = decisions.iter().filter(|(_, d)| matches!(d, Decision::Retry(_))).count();
        prop_assert!(retries < policy.max_attempts as usize);
    }

    #[test]
    fn non_idempotent_requests_are_never_retried_after_an_ambiguous_failure(
        policy in policy(),
        outcome in outcome(),
        info in headers(),
        random in any::<u64>(),
    ) {
        let decisions = run_call(&policy, &[outcome], Idempotency::NotIdempotent, &info, &[random]);
        let ambiguous = !matches!(
            outcome,
            Outcome::Status(status) if status.as_u16() == 429
        ) && !matches!(
            outcome,
            Outcome::Transport(TransportFailure::ConnectRefused | TransportFailure::NotSent)
        );
        if ambiguous {
            prop_assert!(!matches!(decisions[0].1, Decision::Retry(_)));
        }
        if let Decision::GiveUp(give_up) = decisions[0].1
            && outcome.is_retryable()
            && ambiguous
        {
            prop_assert_eq!(give_up.reason, GiveUpReason::NotIdempotent);
        }
    }

    #[test]
    fn same_inputs_and_random_stream_give_the_same_decisions(
        policy in policy(),
        outcomes in prop::collection::vec(outcome(), 1..12),
        info in headers(),
        randoms in prop::collection::vec(any::<u64>(), 1..12),
    ) {
        let first = run_call(&policy, &outcomes, Idempotency::Idempotent, &info, &randoms);
        let again = run_call(&policy, &outcomes, Idempotency::Idempotent, &info, &randoms);
        prop_assert_eq!(first, again);
    }

    #[test]
    fn the_budget_never_goes_negative_and_refills_with_time(
        steps in prop::collection::vec((0_u32..3, 0_u64..5_000, 0_u32..40), 1..200),
    ) {
        let config = BudgetConfig::new();
        let mut now = Duration::ZERO;
        let mut budget = RetryBudget::new(config, now);
        for (kind, advance_ms, cost) in steps {
            now += Duration::from_millis(advance_ms);
            let before = budget.available(now);
            match kind {
                0 => {
                    let taken = budget.try_withdraw(cost, now);
                    prop_assert_eq!(taken, before >= cost);
                }
                1 => budget.on_first_try_success(now),
                _ => {}
            }
            prop_assert!(budget.available(now) <= config.capacity);
        }
        // Enough time always brings the bucket back to full.
        let later = now + Duration::from_secs(u64::from(config.capacity) + 1);
        prop_assert_eq!(budget.available(later), config.capacity);
    }

    /// A limit exhausted until a reset `reset_delay` seconds after the response (as a delay, or
    /// as the Unix time that many seconds after the clock's whole second): nothing is released
    /// before the reset plus exactly the one-second margin, and everything is after it.
    #[test]
    fn the_pacer_releases_calls_exactly_one_second_after_the_reset(
        reset_delay in 0_u64..7_200,
        reset_as_epoch in any::<bool>(),
        observed_at_ms in 0_u64..1_000_000,
        asked_after_ms in 0_u64..8_000_000,
        max_wait in 0_u64..4_000,
    ) {
        let observed_at = Duration::from_millis(observed_at_ms);
        let unix_now = UNIX + observed_at.as_secs();
        let reset = if reset_as_epoch {
            Reset::At(unix_now + reset_delay)
        } else {
            Reset::After(reset_delay)
        };
        let info = RateLimitInfo {
            x_remaining: Some(0),
            x_reset: Some(reset),
            ..RateLimitInfo::default()
        };
        let mut pacer = Pacer::new();
        pacer.observe(&info, StatusCode::OK, observed_at, unix_now);
        let release = observed_at + Duration::from_secs(reset_delay) + Duration::from_secs(1);
        let asked = observed_at + Duration::from_millis(asked_after_ms);
        let max_wait = Duration::from_secs(max_wait);
        match pacer.admit(asked, max_wait) {
            Admission::Now => prop_assert!(asked >= release, "released at {asked:?} before {release:?}"),
            Admission::Wait(wait) => {
                prop_assert_eq!(asked + wait, release);
                prop_assert!(wait <= max_wait);
            }
            Admission::TooLong { retry_after } => {
                prop_assert_eq!(asked + retry_after, release);
                prop_assert!(retry_after > max_wait);
            }
            other => prop_assert!(false, "the pacer answered {:?}", other),
        }
    }

    /// A reset in an earlier second than the clock's has passed, whatever the rounding: it
    /// holds nothing back.
    #[test]
    fn a_reset_already_passed_holds_nothing(
        seconds_ago in 1_u64..100_000,
        observed_at_ms in 0_u64..1_000_000,
        status in prop::sample::select(vec![200_u16, 429, 503]),
    ) {
        let observed_at = Duration::from_millis(observed_at_ms);
        let unix_now = UNIX + observed_at.as_secs();
        let info = RateLimitInfo {
            x_remaining: Some(0),
            x_reset: Some(Reset::At(unix_now - seconds_ago)),
            retry_after: Some(RetryAfter::At(unix_now - seconds_ago)),
            ..RateLimitInfo::default()
        };
        let mut pacer = Pacer::new();
        let status = StatusCode::from_u16(status).unwrap();
        pacer.observe(&info, status, observed_at, unix_now);
        prop_assert_eq!(pacer.admit(observed_at, Duration::ZERO), Admission::Now);
    }
}

fn budget_config() -> impl Strategy<Value = BudgetConfig> {
    (0_u32..60, 1_u32..8, 1_u32..15, 0_u32..3, 0_u32..3).prop_map(
        |(capacity, retry_cost, timeout_retry_cost, success_refill, refill_per_sec)| BudgetConfig {
            capacity,
            retry_cost,
            timeout_retry_cost,
            success_refill,
            refill_per_sec,
        },
    )
}

/// What one decision saw and did, for the properties with a budget and a pacer.
#[derive(Debug)]
struct Step {
    now: Duration,
    decision: Decision,
    /// The pacer's wait at the decision, after it observed the failed attempt's headers.
    pacing: Duration,
    /// Whole tokens before the decision (counting the time refill up to it).
    tokens_before: u32,
    /// The tokens the retry would cost.
    cost: u32,
}

/// Runs one call to its end as a client does: each failed attempt's headers go to the pacer
/// first, then the policy decides with the budget and the pacer.
fn run_call_paced(
    policy: &RetryPolicy,
    outcomes: &[Outcome],
    info: &RateLimitInfo,
    randoms: &[u64],
    budget: &mut RetryBudget,
) -> Vec<Step> {
    let mut pacer = Pacer::new();
    let mut now = Duration::from_secs(5);
    let mut state = RetryState::start(policy, now);
    let mut steps = Vec::new();
    for (outcome, random) in outcomes.iter().zip(randoms.iter().cycle()) {
        if state.begin_attempt(policy, now).is_err() {
            break;
        }
        let status = match outcome {
            Outcome::Status(status) | Outcome::ErrorInBody(status) => Some(*status),
            _ => None,
        };
        if let Some(status) = status {
            pacer.observe(info, status, now, UNIX + now.as_secs());
        }
        let failed = FailedAttempt::new(*outcome, Idempotency::Idempotent)
            .with_rate_limit(info)
            .at(now, UNIX + now.as_secs())
            .with_random(*random);
        let config = budget.config();
        let cost = match outcome {
            Outcome::Transport(TransportFailure::Timeout) => config.timeout_retry_cost,
            _ => config.retry_cost,
        };
        let tokens_before = budget.available(now);
        let pacing = pacer.wait(now);
        let decision = policy.decide(&mut state, &failed, Some(budget), Some(&pacer));
        steps.push(Step {
            now,
            decision,
            pacing,
            tokens_before,
            cost,
        });
        match decision {
            Decision::Retry(retry) => now += retry.delay,
            _ => break,
        }
    }
    steps
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// With a budget and a pacer in play: a retry never comes sooner than the pacer allows or
    /// the server asked, never exceeds the cap but for them, is paid from the budget exactly
    /// (the tokens it says are left are the budget's), and a retry the budget cannot pay is a
    /// give-up that takes nothing.
    #[test]
    fn with_a_budget_and_a_pacer_retries_are_paced_and_paid_for(
        policy in policy(),
        outcomes in prop::collection::vec(outcome(), 1..12),
        info in headers(),
        randoms in prop::collection::vec(any::<u64>(), 1..12),
        config in budget_config(),
    ) {
        let mut budget = RetryBudget::new(config, Duration::ZERO);
        let steps = run_call_paced(&policy, &outcomes, &info, &randoms, &mut budget);
        let mut retries = 0;
        for (index, step) in steps.iter().enumerate() {
            let outcome = outcomes[index];
            let hint = hint(outcome, &info, UNIX + step.now.as_secs());
            match step.decision {
                Decision::Retry(retry) => {
                    retries += 1;
                    prop_assert!(retry.delay >= step.pacing, "sooner than the pacer: {step:?}");
                    prop_assert!(retry.delay >= hint, "sooner than the hint: {step:?}");
                    let ceiling = policy.max_backoff.max(hint).max(step.pacing);
                    prop_assert!(retry.delay <= ceiling, "above the cap: {step:?}");
                    prop_assert!(step.tokens_before >= step.cost, "unpaid: {step:?}");
                    prop_assert_eq!(retry.budget_left, Some(step.tokens_before - step.cost));
                }
                Decision::GiveUp(give_up) if give_up.reason == GiveUpReason::BudgetEmpty => {
                    prop_assert!(step.tokens_before < step.cost, "refused while paid for: {step:?}");
                    prop_assert_eq!(budget.available(step.now), step.tokens_before);
                }
                Decision::GiveUp(give_up) if give_up.reason == GiveUpReason::WaitTooLong => {
                    let longest = hint.max(step.pacing);
                    prop_assert!(longest > policy.max_wait, "{step:?}");
                    prop_assert_eq!(give_up.retry_after, Some(longest));
                }
                _ => {}
            }
        }
        prop_assert!(retries < policy.max_attempts as usize);
    }
}

proptest! {
    #[test]
    fn proposing_then_charging_elsewhere_decides_as_decide_does(
        policy in policy(),
        outcomes in prop::collection::vec(outcome(), 1..8),
        randoms in prop::collection::vec(any::<u64>(), 1..4),
        capacity in 0_u32..40,
    ) {
        let config = BudgetConfig { capacity, ..BudgetConfig::new() };
        let info = RateLimitInfo::default();
        // The way a client with its budget in a shared store decides: the proposal, the cost
        // charged to a budget the policy never sees, then accept or refuse.
        let mut outside = RetryBudget::new(config, Duration::ZERO);
        let charge_outside = |state: &mut RetryState, failed: &FailedAttempt<'_>| {
            match policy.propose(state, failed, None) {
                Proposal::GiveUp(give_up) => Decision::GiveUp(give_up),
                Proposal::Retry(proposed) => {
                    if outside.try_withdraw(proposed.cost(outside.config()), failed.now) {
                        Decision::Retry(proposed.accept(state, Some(outside.whole_tokens())))
                    } else {
                        Decision::GiveUp(proposed.refuse())
                    }
                }
            }
        };
        let idempotent = Idempotency::Idempotent;
        let split = run_call_deciding(&policy, &outcomes, idempotent, &info, &randoms, charge_outside);

        let mut inside = RetryBudget::new(config, Duration::ZERO);
        let decide = |state: &mut RetryState, failed: &FailedAttempt<'_>| {
            policy.decide(state, failed, Some(&mut inside), None)
        };
        let whole = run_call_deciding(&policy, &outcomes, idempotent, &info, &randoms, decide);
        prop_assert_eq!(split, whole);
        prop_assert_eq!(outside, inside);
    }
}
