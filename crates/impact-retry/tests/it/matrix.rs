//! The retry matrix of SPEC 3, case by case: which outcomes are retried for which requests,
//! how hints, attempts, deadlines and the budget end a call.

use core::time::Duration;

use impact_errors::{RateLimitInfo, Reset, RetryAfter, StatusCode};
use impact_retry::{
    BudgetConfig, Decision, DelaySource, FailedAttempt, GiveUpReason, Idempotency, Jitter, Outcome,
    RetryBudget, RetryPolicy, RetryState, TransportFailure,
};

const UNIX: u64 = 1_700_000_000;

/// One case: the outcome, the request's idempotency, the headers, how many attempts have been
/// made, and the expected decision written as a short string.
struct Case {
    outcome: Outcome,
    idempotency: Idempotency,
    headers: RateLimitInfo,
    attempts: u32,
}

fn status(code: u16) -> Outcome {
    Outcome::Status(StatusCode::from_u16(code).unwrap())
}

fn case(outcome: Outcome, idempotency: Idempotency) -> Case {
    Case {
        outcome,
        idempotency,
        headers: RateLimitInfo::default(),
        attempts: 1,
    }
}

/// Renders a decision as `retry <delay> <source>` or `give up <reason> [<secs>s]`.
fn render(decision: Decision) -> String {
    match decision {
        Decision::Retry(retry) => format!("retry {:?} {}", retry.delay, retry.source.as_str()),
        Decision::GiveUp(give_up) => match give_up.retry_after {
            Some(after) => format!("give up {} {}s", give_up.reason.as_str(), after.as_secs()),
            None => format!("give up {}", give_up.reason.as_str()),
        },
    }
}

fn check(input: Case, expect: &str) {
    // No jitter, so that the expected delays are exact.
    let policy = RetryPolicy::new().with_jitter(Jitter::None);
    let mut state = RetryState::start(&policy, Duration::ZERO);
    for _ in 0..input.attempts {
        state.begin_attempt(&policy, Duration::ZERO).unwrap();
    }
    let failed = FailedAttempt::new(input.outcome, input.idempotency)
        .with_rate_limit(&input.headers)
        .at(Duration::from_secs(1), UNIX)
        .with_random(u64::MAX);
    let decision = policy.decide(&mut state, &failed, None, None);
    assert_eq!(
        render(decision),
        expect,
        "{} {:?}",
        input.outcome,
        input.idempotency
    );
}

#[test]
fn retryable_statuses_and_failures_for_idempotent_requests() {
    for code in [408, 429, 500, 502, 503, 504] {
        check(
            case(status(code), Idempotency::Idempotent),
            "retry 500ms backoff",
        );
    }
    for failure in [
        TransportFailure::ConnectRefused,
        TransportFailure::NotSent,
        TransportFailure::Timeout,
        TransportFailure::BrokenBody,
    ] {
        check(
            case(Outcome::Transport(failure), Idempotency::Idempotent),
            "retry 500ms backoff",
        );
    }
}

#[test]
fn never_retried_statuses() {
    for code in [
        200, 201, 302, 400, 401, 402, 403, 404, 405, 409, 418, 501, 505, 999,
    ] {
        check(
            case(status(code), Idempotency::Idempotent),
            "give up not_retryable",
        );
    }
    check(
        case(
            Outcome::ErrorInBody(StatusCode::OK),
            Idempotency::Idempotent,
        ),
        "give up not_retryable",
    );
}

#[test]
fn post_only_after_429_or_proof_it_was_not_processed() {
    check(
        case(status(429), Idempotency::NotIdempotent),
        "retry 500ms backoff",
    );
    for failure in [TransportFailure::ConnectRefused, TransportFailure::NotSent] {
        check(
            case(Outcome::Transport(failure), Idempotency::NotIdempotent),
            "retry 500ms backoff",
        );
    }
    for failure in [TransportFailure::Timeout, TransportFailure::BrokenBody] {
        check(
            case(Outcome::Transport(failure), Idempotency::NotIdempotent),
            "give up not_idempotent",
        );
    }
    for code in [408, 500, 502, 503, 504] {
        check(
            case(status(code), Idempotency::NotIdempotent),
            "give up not_idempotent",
        );
    }
    check(
        case(status(400), Idempotency::NotIdempotent),
        "give up not_retryable",
    );
}

#[test]
fn backoff_grows_then_attempts_run_out() {
    let mut third = case(status(503), Idempotency::Idempotent);
    third.attempts = 3;
    check(third, "retry 2s backoff");
    let mut fourth = case(status(503), Idempotency::Idempotent);
    fourth.attempts = 4;
    check(fourth, "give up attempts_exhausted");
}

#[test]
fn server_hints_win_over_backoff_and_bound_the_wait() {
    let mut hinted = case(status(503), Idempotency::Idempotent);
    hinted.headers.retry_after = Some(RetryAfter::Delay(7));
    check(hinted, "retry 7s server_hint");

    // A hint shorter than the backoff does not shorten it.
    let mut short = case(status(503), Idempotency::Idempotent);
    short.headers.retry_after = Some(RetryAfter::At(UNIX));
    check(short, "retry 500ms backoff");

    // A reset header is a hint on a 429 only.
    let mut reset_on_429 = case(status(429), Idempotency::Idempotent);
    reset_on_429.headers.x_reset = Some(Reset::After(12));
    check(reset_on_429, "retry 12s server_hint");
    let mut reset_on_503 = case(status(503), Idempotency::Idempotent);
    reset_on_503.headers.x_reset = Some(Reset::After(1200));
    check(reset_on_503, "retry 500ms backoff");
    let mut epoch_reset = case(status(429), Idempotency::Idempotent);
    epoch_reset.headers.reset = Some(Reset::At(UNIX + 30));
    check(epoch_reset, "retry 30s server_hint");

    // Too long a wait gives up saying when to come back, even with no attempts left.
    let mut too_long = case(status(429), Idempotency::Idempotent);
    too_long.headers.x_reset = Some(Reset::After(1800));
    check(too_long, "give up wait_too_long 1800s");
    let mut last = case(status(429), Idempotency::Idempotent);
    last.headers.retry_after = Some(RetryAfter::Delay(61));
    last.attempts = 4;
    check(last, "give up wait_too_long 61s");
    let mut exhausted = case(status(429), Idempotency::Idempotent);
    exhausted.headers.retry_after = Some(RetryAfter::Delay(60));
    exhausted.attempts = 4;
    check(exhausted, "give up attempts_exhausted");
}

#[test]
fn deadline_limits_sleep_and_attempt_timeouts() {
    let policy = RetryPolicy::new()
        .with_jitter(Jitter::None)
        .with_total_deadline(Some(Duration::from_secs(10)));
    let mut state = RetryState::start(&policy, Duration::from_secs(100));
    let plan = state
        .begin_attempt(&policy, Duration::from_secs(100))
        .unwrap();
    assert_eq!(plan.timeout, Duration::from_secs(10));
    let hinted = RateLimitInfo {
        retry_after: Some(RetryAfter::Delay(5)),
        ..RateLimitInfo::default()
    };
    let failed = FailedAttempt::new(status(503), Idempotency::Idempotent)
        .with_rate_limit(&hinted)
        .at(Duration::from_secs(106), UNIX);
    assert_eq!(
        render(policy.decide(&mut state, &failed, None, None)),
        "give up deadline"
    );
    let failed = failed.at(Duration::from_secs(104), UNIX);
    assert_eq!(
        render(policy.decide(&mut state, &failed, None, None)),
        "retry 5s server_hint"
    );
    let plan = state
        .begin_attempt(&policy, Duration::from_secs(109))
        .unwrap();
    assert_eq!((plan.number, plan.timeout), (2, Duration::from_secs(1)));
    let over = state.begin_attempt(&policy, Duration::from_secs(110));
    assert_eq!(over.unwrap_err().reason, GiveUpReason::Deadline);
}

#[test]
fn the_budget_pays_for_retries_until_empty() {
    let policy = RetryPolicy::new().with_max_attempts(u32::MAX);
    let config = BudgetConfig {
        capacity: 12,
        retry_cost: 5,
        timeout_retry_cost: 10,
        success_refill: 1,
        refill_per_sec: 0,
    };
    let mut budget = RetryBudget::new(config, Duration::ZERO);
    let mut state = RetryState::start(&policy, Duration::ZERO);
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        state.begin_attempt(&policy, Duration::ZERO).unwrap();
        let failed = FailedAttempt::new(status(500), Idempotency::Idempotent);
        outcomes.push(
            match policy.decide(&mut state, &failed, Some(&mut budget), None) {
                Decision::Retry(retry) => format!("retry, {} left", retry.budget_left.unwrap()),
                other => render(other),
            },
        );
    }
    assert_eq!(
        outcomes,
        ["retry, 7 left", "retry, 2 left", "give up budget_empty"]
    );
    // A timeout costs more, and a give-up withdraws nothing.
    let mut budget = RetryBudget::new(config, Duration::ZERO);
    let timeout = FailedAttempt::new(
        Outcome::Transport(TransportFailure::Timeout),
        Idempotency::Idempotent,
    );
    let mut state = RetryState::start(&policy, Duration::ZERO);
    state.begin_attempt(&policy, Duration::ZERO).unwrap();
    assert!(matches!(
        policy.decide(&mut state, &timeout, Some(&mut budget), None),
        Decision::Retry(retry) if retry.budget_left == Some(2)
    ));
    let refused = FailedAttempt::new(status(404), Idempotency::Idempotent);
    policy.decide(&mut state, &refused, Some(&mut budget), None);
    assert_eq!(budget.available(Duration::ZERO), 2);
}

#[test]
fn displays_carry_what_a_trace_needs() {
    let policy = RetryPolicy::new().with_jitter(Jitter::None);
    let mut state = RetryState::start(&policy, Duration::ZERO);
    state.begin_attempt(&policy, Duration::ZERO).unwrap();
    let mut budget = RetryBudget::new(BudgetConfig::new(), Duration::ZERO);
    let failed = FailedAttempt::new(status(502), Idempotency::Idempotent);
    let decision = policy.decide(&mut state, &failed, Some(&mut budget), None);
    assert_eq!(
        decision.to_string(),
        "retry as attempt 2 after 500ms (backoff, 495 budget tokens left)"
    );
    assert_eq!(budget.to_string(), "495 of 500 retry tokens");
    assert_eq!(DelaySource::Pacing.as_str(), "pacing");
    assert_eq!(
        Outcome::Transport(TransportFailure::NotSent).to_string(),
        "failed before the request was sent"
    );
}
