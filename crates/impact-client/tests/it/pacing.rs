//! Pacing (SPEC 3): after a response says `Remaining: 0`, nothing is sent on the account until
//! the reset, across all calls of the client; a wait beyond the maximum fails fast.

use std::time::Duration;

use impact_client::{ErrorKind, RetryPolicy};
use impact_mock::{Fault, RequestMatch};

use crate::{clocked, quiet_mock};

/// Answers one call with `headers` on a 200, then checks how long the next call waits on the
/// client's manual clock.
async fn check(headers: &[(&str, &str)], expect_wait: Duration) {
    let server = quiet_mock().await;
    let mut fault = Fault::raw(200, "application/json", r#"{"Campaigns":[]}"#);
    for (name, value) in headers {
        fault = fault.header(name, value);
    }
    server.push_fault(RequestMatch::any(), 1, fault);
    let (builder, clock) = clocked(&server);
    let client = builder.build().expect("a valid client");
    client.get("/Campaigns").await.expect("first call");
    let start = clock.elapsed();
    // A clone shares the pacing state.
    client.clone().get("/Campaigns").await.expect("second call");
    let waited = clock.elapsed() - start;
    assert!(waited >= expect_wait, "{headers:?}: waited {waited:?}");
    assert!(
        waited < expect_wait + Duration::from_secs(2),
        "{headers:?}: waited {waited:?}"
    );
    assert_eq!(server.requests().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn exhausted_windows_hold_the_next_call() {
    check(
        &[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "30")],
        Duration::from_secs(30),
    )
    .await;
    check(
        &[("RateLimit-Remaining", "0"), ("RateLimit-Reset", "12")],
        Duration::from_secs(12),
    )
    .await;
    check(
        &[
            ("X-RateLimit-Remaining-hour", "0"),
            ("X-RateLimit-Reset", "20"),
        ],
        Duration::from_secs(20),
    )
    .await;
    check(
        &[("X-RateLimit-Remaining", "5"), ("X-RateLimit-Reset", "30")],
        Duration::ZERO,
    )
    .await;
}

#[tokio::test]
async fn a_long_reset_fails_fast_without_sending() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", r#"{"Campaigns":[]}"#)
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", "3600"),
    );
    let (builder, clock) = clocked(&server);
    let client = builder
        .retry_policy(RetryPolicy::new().with_max_wait(Duration::from_secs(60)))
        .build()
        .expect("a valid client");
    client.get("/Campaigns").await.expect("first call");
    let error = client.get("/Campaigns").await.expect_err("held back");
    assert_eq!(clock.sleeps(), [], "failed fast, without waiting");
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.attempts(), 0);
    let after = error.retry_after().expect("says when");
    assert!(
        after >= Duration::from_secs(3599) && after <= Duration::from_secs(3602),
        "{after:?}"
    );
    assert_eq!(server.requests().len(), 1, "nothing sent while exhausted");
    server.shutdown().await;
}

#[tokio::test]
async fn concurrent_calls_all_wait_for_the_reset() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", r#"{"Campaigns":[]}"#)
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", "10"),
    );
    let (builder, clock) = clocked(&server);
    let client = builder.build().expect("a valid client");
    client.get("/Campaigns").await.expect("first call");
    let start = clock.elapsed();
    let calls = (0..4).map(|_| {
        let client = client.clone();
        let clock = clock.clone();
        async move {
            client
                .get("/Campaigns")
                .await
                .map(|_| clock.elapsed() - start)
        }
    });
    for waited in futures_util::future::join_all(calls).await {
        let waited = waited.expect("each call succeeds after the reset");
        assert!(waited >= Duration::from_secs(10), "{waited:?}");
    }
    assert_eq!(server.requests().len(), 5);
    server.shutdown().await;
}

#[tokio::test]
async fn each_rate_limit_group_is_paced_apart() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", r#"{"Results":[]}"#)
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", "20"),
    );
    let (builder, clock) = clocked(&server);
    let client = builder.build().expect("a valid client");
    client
        .get("/Reports/partner_performance")
        .await
        .expect("a report");
    // Campaigns are in the default group: not held by the reports' limit.
    client.get("/Campaigns").await.expect("campaigns");
    assert_eq!(clock.sleeps(), [], "another group is not held back");
    // Another report is held until the reports' reset.
    let _ = client.get("/Reports/partner_performance").await;
    let waited = clock.total_slept();
    assert!(
        waited >= Duration::from_secs(20) && waited < Duration::from_secs(22),
        "waited {waited:?}"
    );
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}
