//! The retry budget (SPEC 3): shared by all calls of a client, spent by retries, refilled by
//! time, so that an outage does not multiply the load.

use std::time::Duration;

use impact_client::{Client, ErrorKind, ManualClock};
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

/// SPEC 7's outage, on the client itself: 100 GET calls a second (sent one after another on
/// the manual clock, each at its turn or as soon as the previous call ended), 60 s healthy,
/// then 30 s in which every attempt is answered 503. Amplification = attempts sent in the outage
/// divided by its 3,000 calls: at most SPEC's 1.05 with the default budget (a full bucket pays
/// for 100 retries, the time refill for some more), and above 1.033, which the full bucket's
/// 100 retries alone make: retries are made while the budget lasts.
#[tokio::test]
async fn an_outage_adds_at_most_five_percent_of_load_with_the_default_budget() {
    let server = quiet_mock().await;
    let (builder, clock) = clocked(&server);
    let client = builder.build().expect("a valid client");
    let spacing = Duration::from_millis(10);
    let mut call = 0_u32;
    // Each call at its turn, or at once when the previous one ended later than that.
    let mut send_until = |until: Duration, client: &Client, clock: &ManualClock| {
        let mut turns = Vec::new();
        while spacing * call < until {
            turns.push(spacing * call);
            call += 1;
        }
        let (client, clock) = (client.clone(), clock.clone());
        async move {
            for turn in turns {
                let elapsed = clock.elapsed();
                if turn > elapsed {
                    clock.advance(turn - elapsed);
                }
                let _ = client.get("/Campaigns").await;
            }
        }
    };
    send_until(Duration::from_secs(60), &client, &clock).await;
    assert_eq!(
        client.budget_left(),
        Some(500),
        "a healthy minute leaves the budget full"
    );
    server.push_fault(RequestMatch::any(), 1_000_000, Fault::status(503));
    let before = server.requests_seen();
    send_until(Duration::from_secs(90), &client, &clock).await;
    let attempts = server.requests_seen() - before;
    let amplification = attempts as f64 / 3_000.0;
    println!("outage: {attempts} attempts for 3,000 calls, amplification {amplification:.4}");
    assert!(
        (1.033..=1.05).contains(&amplification),
        "{attempts} attempts for 3,000 calls: amplification {amplification:.4}"
    );
    server.shutdown().await;
}
