//! Quotas: rate-limit headers on every authenticated answer, 429 with Retry-After, windows.

use std::time::Duration;

use impact_mock::{MockServer, Quota};

use crate::raw::{Req, exchange};

const OTHER_SID: &str = "IR00000000000000000000000000000003";

/// (status, limit, remaining, reset, retry-after) of one answer.
type Seen = (u16, Option<u64>, Option<u64>, Option<u64>, Option<u64>);

/// Sends `request` and checks the quota headers against `expect`.
async fn check(server: &MockServer, request: Req, expect: Seen) {
    let received = exchange(server.addr(), &request).await;
    let number = |name: &str| received.header(name).map(|v| v.parse::<u64>().unwrap());
    let seen = (
        received.status(),
        number("X-RateLimit-Limit"),
        number("X-RateLimit-Remaining"),
        number("X-RateLimit-Reset"),
        number("Retry-After"),
    );
    assert_eq!(seen, expect, "{}", received.head());
}

#[tokio::test]
async fn a_window_counts_down_refuses_and_resets() {
    let server = MockServer::builder()
        .account(OTHER_SID, "t")
        .quota(Quota::per_window(3, Duration::from_secs(60)))
        .start()
        .await
        .unwrap();
    let get = || Req::get("/Campaigns").json();
    check(&server, get(), (200, Some(3), Some(2), Some(60), None)).await;
    // Errors count too: the quota is per call, not per success.
    check(
        &server,
        get().method("PUT"),
        (405, Some(3), Some(1), Some(60), None),
    )
    .await;
    check(&server, get(), (200, Some(3), Some(0), Some(60), None)).await;
    check(&server, get(), (429, Some(3), Some(0), Some(60), Some(60))).await;
    // Unauthenticated calls count against nobody and carry no quota headers.
    check(&server, get().no_auth(), (401, None, None, None, None)).await;
    // Another account has its own window.
    let other = Req::get("")
        .absolute(&format!("/Mediapartners/{OTHER_SID}/Ads"))
        .auth(OTHER_SID, "t");
    check(&server, other, (200, Some(3), Some(2), Some(60), None)).await;

    // 45 s later the reset is 15 s away; at 60 s a new window starts.
    server.advance_clock(Duration::from_secs(45));
    check(&server, get(), (429, Some(3), Some(0), Some(15), Some(15))).await;
    server.advance_clock(Duration::from_secs(15));
    check(&server, get(), (200, Some(3), Some(2), Some(60), None)).await;

    server.reset_quota();
    check(&server, get(), (200, Some(3), Some(2), Some(60), None)).await;
}

#[tokio::test]
async fn the_default_quota_is_the_partner_hourly_limit() {
    let server = MockServer::start().await.unwrap();
    check(
        &server,
        Req::get("/Campaigns"),
        (200, Some(1000), Some(999), Some(3600), None),
    )
    .await;
}

#[tokio::test]
async fn a_429_body_is_an_envelope_in_the_asked_format() {
    let server = MockServer::builder()
        .quota(Quota::per_window(0, Duration::from_secs(10)))
        .start()
        .await
        .unwrap();
    let received = exchange(server.addr(), &Req::get("/Campaigns").json()).await;
    assert_eq!(received.status(), 429);
    let report = impact_codec::decode(
        received.body(),
        Some(impact_errors::StatusCode::TOO_MANY_REQUESTS),
    );
    assert_eq!(report.body().shape, impact_errors::BodyShape::Envelope);
    assert!(report.retryable());
    let received = exchange(server.addr(), &Req::get("/Campaigns")).await;
    assert!(
        received.body_text().starts_with("<ImpactRadiusResponse>"),
        "{}",
        received.body_text()
    );
}
