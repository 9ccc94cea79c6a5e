//! The retry budget: withdrawals, refills by success and by time, and the outage it bounds.

use core::time::Duration;

use impact_retry::{BudgetConfig, RetryBudget};

fn check(steps: &[(&str, u64)], expect: &[u32]) {
    let mut budget = RetryBudget::new(BudgetConfig::new(), Duration::ZERO);
    let mut seen = Vec::new();
    for &(step, at_millis) in steps {
        let now = Duration::from_millis(at_millis);
        match step {
            "retry" => {
                budget.try_withdraw(BudgetConfig::new().retry_cost, now);
            }
            "success" => budget.on_first_try_success(now),
            "look" => {}
            other => panic!("unknown step {other}"),
        }
        seen.push(budget.available(now));
    }
    assert_eq!(seen, expect, "{steps:?}");
}

#[test]
fn starts_full_and_refills_with_time_and_successes() {
    check(&[("look", 0)], &[500]);
    check(
        &[
            ("retry", 0),
            ("retry", 0),
            ("success", 0),
            ("look", 999),
            ("look", 1000),
        ],
        &[495, 490, 491, 491, 492],
    );
    // Time refills are counted to the millisecond, never lost between calls.
    check(
        &[
            ("retry", 0),
            ("look", 400),
            ("look", 800),
            ("look", 1200),
            ("look", 5000),
        ],
        &[495, 495, 495, 496, 500],
    );
}

#[test]
fn a_sustained_outage_gets_about_a_hundred_retries() {
    // Thirty seconds of failures at 100 requests per second, each wanting a retry.
    let mut budget = RetryBudget::new(BudgetConfig::new(), Duration::ZERO);
    let mut granted = 0;
    for tick in 0..3000_u64 {
        if budget.try_withdraw(5, Duration::from_millis(tick * 10)) {
            granted += 1;
        }
    }
    assert!((100..=107).contains(&granted), "granted {granted}");
}

#[test]
fn a_clock_going_backwards_refills_nothing() {
    let mut budget = RetryBudget::new(BudgetConfig::new(), Duration::from_secs(10));
    assert!(budget.try_withdraw(400, Duration::from_secs(10)));
    assert_eq!(budget.available(Duration::from_secs(5)), 100);
}
