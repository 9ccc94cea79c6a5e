//! Server hints (SPEC 2.6, 3): `Retry-After` as seconds and as an HTTP date, each reset header
//! family and both `X-RateLimit-Reset` forms, the maximum wait, and resets that are not hints.

use std::time::Duration;

use impact_client::{ErrorKind, RetryPolicy};
use impact_mock::{Fault, RequestMatch};

use crate::{START_UNIX, clocked, quiet_mock};

/// A 429 with `headers`, then success: the retry must wait at least `min_wait` on the client's
/// manual clock (whose wall time starts at [`START_UNIX`], so that epochs and dates are
/// fixed); no backoff can reach it because the initial backoff is 1 ms.
async fn check(headers: &[(&str, String)], min_wait: Duration) {
    let server = quiet_mock().await;
    let mut fault = Fault::raw(
        429,
        "application/json",
        r#"{"Status":"ERROR","Message":"slow down"}"#,
    );
    for (name, value) in headers {
        fault = fault.header(name, value);
    }
    server.push_fault(RequestMatch::any(), 1, fault);
    let (builder, clock) = clocked(&server);
    let client = builder
        .budget(None)
        .retry_policy(RetryPolicy::new().with_initial_backoff(Duration::from_millis(1)))
        .build()
        .expect("a valid client");
    let response = client.get("/Campaigns").await.expect("the retry succeeds");
    let waited = clock.elapsed();
    assert_eq!(response.attempts(), 2, "{headers:?}");
    assert!(
        waited >= min_wait,
        "{headers:?}: waited {waited:?}, want at least {min_wait:?}"
    );
    assert!(
        waited < min_wait + Duration::from_secs(3),
        "{headers:?}: waited {waited:?}, far longer than {min_wait:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn every_hint_is_honoured_on_a_429() {
    let at = |secs: u64| (START_UNIX + secs).to_string();
    check(&[("Retry-After", "7".into())], Duration::from_secs(7)).await;
    // 1,800,000,009 is Fri, 15 Jan 2027 08:00:09 GMT.
    check(
        &[("Retry-After", "Fri, 15 Jan 2027 08:00:09 GMT".into())],
        Duration::from_secs(8),
    )
    .await;
    check(&[("X-RateLimit-Reset", "5".into())], Duration::from_secs(5)).await;
    check(&[("X-RateLimit-Reset", at(6))], Duration::from_secs(5)).await;
    check(&[("RateLimit-Reset", "4".into())], Duration::from_secs(4)).await;
    check(
        &[
            ("X-RateLimit-Limit-hour", "500".into()),
            ("X-RateLimit-Remaining-hour", "0".into()),
            ("RateLimit-Reset", "9".into()),
        ],
        Duration::from_secs(9),
    )
    .await;
    check(
        &[
            ("x-ratelimit-limit", "1000".into()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", "3".into()),
        ],
        Duration::from_secs(3),
    )
    .await;
    // Garbage is ignored, never trusted: backoff alone decides.
    check(&[("Retry-After", "-30".into())], Duration::ZERO).await;
}

#[test]
fn the_date_above_is_the_epoch_it_claims() {
    assert_eq!(
        impact_errors::parse_http_date("Fri, 15 Jan 2027 08:00:09 GMT"),
        Ok(START_UNIX + 9)
    );
}

#[tokio::test]
async fn a_wait_beyond_the_maximum_is_a_rate_limit_error() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(
            429,
            "application/json",
            r#"{"Status":"ERROR","Message":"slow down"}"#,
        )
        .header("Retry-After", "240"),
    );
    let (builder, clock) = clocked(&server);
    let client = builder
        .retry_policy(RetryPolicy::new().with_max_wait(Duration::from_secs(60)))
        .build()
        .expect("a valid client");
    let error = client.get("/Campaigns").await.expect_err("rate limited");
    assert_eq!(clock.sleeps(), [], "never sleeps the long wait");
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert!(error.is_rate_limited());
    assert_eq!(error.attempts(), 1);
    // The pacer adds a safety margin of at most a second to the server's wait.
    let after = error.retry_after().expect("says when to come back");
    assert!(
        after >= Duration::from_secs(240) && after <= Duration::from_secs(241),
        "{after:?}"
    );
    assert!(error.retry_at().is_some());
    assert_eq!(error.status().map(u16::from), Some(429));
    assert!(error.to_string().contains("retry in 24"), "{error}");
    assert_eq!(server.requests().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_reset_header_on_a_503_is_not_a_hint() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::status(503)
            .header("X-RateLimit-Reset", "1200")
            .header("X-RateLimit-Remaining", "900"),
    );
    let (builder, clock) = clocked(&server);
    let client = builder.budget(None).build().expect("a valid client");
    let response = client
        .get("/Campaigns")
        .await
        .expect("retried with backoff");
    assert_eq!(response.attempts(), 2);
    // The default backoff's first delay is at most 500 ms; the reset would be 1,200 s.
    assert!(
        clock.elapsed() <= Duration::from_millis(500),
        "{:?}",
        clock.elapsed()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn retry_after_on_a_503_is_honoured() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::status(503).header("Retry-After", "12"),
    );
    let (builder, clock) = clocked(&server);
    let client = builder.budget(None).build().expect("a valid client");
    let response = client
        .get("/Campaigns")
        .await
        .expect("retried after the hint");
    assert_eq!(response.attempts(), 2);
    assert!(
        clock.elapsed() >= Duration::from_secs(12),
        "{:?}",
        clock.elapsed()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn persistent_429s_within_the_wait_end_as_an_api_error() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        10,
        Fault::raw(
            429,
            "application/json",
            r#"{"Status":"ERROR","Message":"slow down"}"#,
        )
        .header("Retry-After", "2"),
    );
    let (builder, clock) = clocked(&server);
    let client = builder.budget(None).build().expect("a valid client");
    let error = client.get("/Campaigns").await.expect_err("429 to the end");
    assert_eq!(error.kind(), ErrorKind::Api, "{error}");
    assert_eq!(error.attempts(), 4);
    // Each of the three retries waited out the server's two seconds.
    assert_eq!(clock.sleeps().len(), 3, "{:?}", clock.sleeps());
    assert!(
        clock
            .sleeps()
            .iter()
            .all(|&slept| slept >= Duration::from_secs(2)),
        "{:?}",
        clock.sleeps()
    );
    assert_eq!(error.status().map(u16::from), Some(429));
    assert!(error.is_retryable());
    server.shutdown().await;
}
