//! The retry budget (SPEC 3): shared by all calls of a client, spent by retries, refilled by
//! time, so that an outage does not multiply the load.

use std::time::Duration;

use impact_client::ErrorKind;
use impact_mock::{Fault, RequestMatch};

use crate::{clocked, quiet_mock, small_budget};

/// Makes one GET against a server that always answers 503 and checks the attempts it took.
async fn check(client: &impact_client::Client, expect_attempts: u32) {
    let error = client.get("/Campaigns").await.expect_err("always 503");
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.attempts(), expect_attempts, "{error}");
}

#[tokio::test]
async fn an_empty_budget_stops_retries_until_time_refills_it() {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 1000, Fault::status(503));
    let (builder, clock) = clocked(&server);
    let client = builder
        .budget(Some(small_budget(2)))
        .build()
        .expect("a valid client");
    let full = client.budget_left().expect("a budget");
    assert_eq!(full, 10, "a new budget starts full");
    // Two retries are paid for; the third is refused.
    check(&client, 3).await;
    // Shared: a clone has nothing left either.
    check(&client.clone(), 1).await;
    check(&client, 1).await;
    // Ten seconds refill ten tokens: two retries again.
    clock.advance(Duration::from_secs(10));
    check(&client, 3).await;
}

#[tokio::test]
async fn an_outage_adds_little_load_with_the_default_budget() {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 100_000, Fault::status(503));
    let (builder, _clock) = clocked(&server);
    let client = builder.build().expect("a valid client");
    let calls = 400;
    for _ in 0..calls {
        let _ = client.get("/Campaigns").await;
    }
    let sent = server.requests().len();
    // Without a budget this would be 4 attempts per call; the default 500-token bucket at 5
    // per retry pays for about 100 retries plus the time refill.
    assert!(sent < calls * 2, "{sent} attempts for {calls} calls");
    assert!(sent > calls, "some retries were made: {sent}");
}
