//! Per-attempt timeouts and the total deadline (SPEC 3), in paused time.

use std::time::Duration;

use impact_client::{ErrorKind, Request, RetryPolicy};
use impact_mock::{Fault, Misbehaviour, RequestMatch};
use tokio::time::Instant;

use crate::{client_with, quiet_mock};

/// Runs a GET against `fault` with `policy`, checking the kind, attempts and virtual time taken.
async fn check(fault: Fault, policy: RetryPolicy, attempts: u32, within: (Duration, Duration)) {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 10, fault);
    let client = client_with(&server, policy);
    let start = Instant::now();
    let error = client.get("/Campaigns").await.expect_err("times out");
    let took = start.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.is_timeout());
    assert!(error.is_transport());
    assert_eq!(error.attempts(), attempts, "{error}");
    assert!(
        took >= within.0 && took <= within.1,
        "took {took:?}, want {within:?}"
    );
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn slow_answers_time_out_per_attempt_and_are_retried() {
    let policy = RetryPolicy::new()
        .with_max_attempts(3)
        .with_attempt_timeout(Duration::from_secs(2))
        .with_initial_backoff(Duration::from_millis(10));
    // Headers that never end.
    check(
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
        policy,
        3,
        (Duration::from_secs(6), Duration::from_secs(7)),
    )
    .await;
    // A body that trickles slower than the timeout allows: the timeout covers the body too.
    check(
        Fault::raw(200, "application/json", vec![b' '; 1000])
            .trickle(10, Duration::from_millis(100)),
        policy,
        3,
        (Duration::from_secs(6), Duration::from_secs(7)),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn the_total_deadline_bounds_the_call() {
    let policy = RetryPolicy::new()
        .with_attempt_timeout(Duration::from_secs(30))
        .with_total_deadline(Some(Duration::from_secs(5)));
    // One attempt gets only the time left: 5 s, not 30.
    check(
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
        policy,
        1,
        (Duration::from_secs(5), Duration::from_millis(5100)),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn never_sleeps_past_the_deadline() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        10,
        Fault::status(503).header("Retry-After", "20"),
    );
    let policy = RetryPolicy::new().with_total_deadline(Some(Duration::from_secs(10)));
    let client = client_with(&server, policy);
    let start = Instant::now();
    let error = client.get("/Campaigns").await.expect_err("deadline");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.status().map(u16::from), Some(503));
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_request_can_shorten_its_timeout() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
    );
    let client = client_with(&server, RetryPolicy::new().with_max_attempts(1));
    let start = Instant::now();
    let error = client
        .send(Request::get("/Campaigns").timeout(Duration::from_secs(1)))
        .await
        .expect_err("times out");
    assert!(error.is_timeout(), "{error}");
    assert!(start.elapsed() < Duration::from_secs(2));
    server.shutdown().await;
}
