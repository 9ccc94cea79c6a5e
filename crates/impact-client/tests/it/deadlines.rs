//! Per-attempt timeouts and the total deadline (SPEC 3).
//!
//! The attempt timeouts are real tokio timers over real sockets, kept short so that the tests
//! stay fast; the time the call took is read on the client's manual clock, where a timed-out
//! attempt counts as its whole timeout and the backoffs between attempts take no real time.
//! A real-time bound, far wider than the timeouts so that a loaded machine stays within it,
//! shows that no wait was really slept.

use std::time::Duration;

use impact_client::{ErrorKind, Request, RetryPolicy};
use impact_mock::{Fault, Misbehaviour, RequestMatch};

use crate::{clocked, quiet_mock};

/// Real time any of these calls may take: their timeouts add up to a second at most.
const REAL_BOUND: Duration = Duration::from_secs(5);

/// Runs a GET against `fault` with `policy`, checking the kind, attempts and the time taken on
/// the manual clock.
async fn check(fault: Fault, policy: RetryPolicy, attempts: u32, within: (Duration, Duration)) {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 10, fault);
    let (builder, clock) = clocked(&server);
    let client = builder
        .retry_policy(policy)
        .budget(None)
        .build()
        .expect("a valid client");
    let real = std::time::Instant::now();
    let error = client.get("/Campaigns").await.expect_err("times out");
    let took = clock.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.is_timeout());
    assert!(error.is_transport());
    assert_eq!(error.attempts(), attempts, "{error}");
    assert!(
        took >= within.0 && took <= within.1,
        "took {took:?}, want {within:?}"
    );
    assert!(real.elapsed() < REAL_BOUND, "{:?}", real.elapsed());
    server.shutdown().await;
}

#[tokio::test]
async fn slow_answers_time_out_per_attempt_and_are_retried() {
    let policy = RetryPolicy::new()
        .with_max_attempts(3)
        .with_attempt_timeout(Duration::from_millis(200))
        .with_initial_backoff(Duration::from_millis(10));
    // Three timeouts of 200 ms and two backoffs of at most 10 and 20 ms.
    let within = (Duration::from_millis(600), Duration::from_millis(630));
    // Headers that never end.
    check(
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
        policy,
        3,
        within,
    )
    .await;
    // A body that trickles slower than the timeout allows: the timeout covers the body too.
    check(
        Fault::raw(200, "application/json", vec![b' '; 1000])
            .trickle(10, Duration::from_millis(100)),
        policy,
        3,
        within,
    )
    .await;
}

#[tokio::test]
async fn the_total_deadline_bounds_the_call() {
    let policy = RetryPolicy::new()
        .with_attempt_timeout(Duration::from_secs(30))
        .with_total_deadline(Some(Duration::from_millis(300)));
    // One attempt gets only the time left: 300 ms, not 30 s; then no time is left to retry.
    check(
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
        policy,
        1,
        (Duration::from_millis(300), Duration::from_millis(300)),
    )
    .await;
}

#[tokio::test]
async fn an_attempt_after_a_backoff_gets_only_the_time_left() {
    // The first attempt times out after 200 ms; the second starts after a backoff of up to
    // 100 ms, with 150 ms or less left, and must time out when the deadline passes, at 350 ms
    // on the clock, not 200 ms after it started.
    let policy = RetryPolicy::new()
        .with_max_attempts(2)
        .with_attempt_timeout(Duration::from_millis(200))
        .with_initial_backoff(Duration::from_millis(100))
        .with_total_deadline(Some(Duration::from_millis(350)));
    check(
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
        policy,
        2,
        (Duration::from_millis(350), Duration::from_millis(350)),
    )
    .await;
}

#[tokio::test]
async fn never_sleeps_past_the_deadline() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        10,
        Fault::status(503).header("Retry-After", "20"),
    );
    let policy = RetryPolicy::new().with_total_deadline(Some(Duration::from_secs(10)));
    let (builder, clock) = clocked(&server);
    let client = builder
        .retry_policy(policy)
        .budget(None)
        .build()
        .expect("a valid client");
    let error = client.get("/Campaigns").await.expect_err("deadline");
    assert_eq!(clock.sleeps(), [], "no sleep was even started");
    assert_eq!(clock.elapsed(), Duration::ZERO);
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.status().map(u16::from), Some(503));
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_can_shorten_its_timeout() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
    );
    let (builder, clock) = clocked(&server);
    let client = builder
        .retry_policy(RetryPolicy::new().with_max_attempts(1))
        .budget(None)
        .build()
        .expect("a valid client");
    let real = std::time::Instant::now();
    let error = client
        .send(Request::get("/Campaigns").timeout(Duration::from_millis(200)))
        .await
        .expect_err("times out");
    assert!(error.is_timeout(), "{error}");
    // The policy's 30 s would show here instead.
    assert_eq!(clock.elapsed(), Duration::from_millis(200));
    assert!(real.elapsed() < REAL_BOUND, "{:?}", real.elapsed());
    server.shutdown().await;
}
