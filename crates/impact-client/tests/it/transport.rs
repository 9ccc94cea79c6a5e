//! Connection failures (SPEC 3, 4): refused connections, resets mid-body, bodies shorter than
//! their `Content-Length`, and what an error status's partial body still tells.

use std::sync::Arc;

use impact_client::{Client, ErrorKind, Request, RetryPolicy};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, Misbehaviour, RequestMatch};

use crate::{client, manual_clock, quiet_mock};

/// A base URL on loopback where nothing listens.
async fn refused_base() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    drop(listener);
    format!("http://{addr}")
}

/// Sends `request` where nothing listens and checks the error, the attempts, and that a
/// backoff was waited (on the manual clock) between each two attempts.
async fn check(request: Request, expect_attempts: u32) {
    let base = refused_base().await;
    let clock = manual_clock();
    let client = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(base)
        .retry_policy(RetryPolicy::new())
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("a valid client");
    let error = client.send(request).await.expect_err("nothing listens");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(error.is_connection() && error.is_transport());
    assert_eq!(error.attempts(), expect_attempts, "{error}");
    assert!(
        std::error::Error::source(&error).is_some(),
        "the cause is chained"
    );
    assert_eq!(
        clock.sleeps().len() as u32,
        expect_attempts - 1,
        "{:?}",
        clock.sleeps()
    );
}

#[tokio::test]
async fn refused_connections_are_retried_even_for_post() {
    check(Request::get("/Campaigns"), 4).await;
    // A refused connection proves the request was never processed.
    check(Request::post("/Conversions").form([("OrderId", "1")]), 4).await;
}

#[tokio::test]
async fn a_reset_mid_body_of_a_2xx_is_retried_for_get() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", vec![b'x'; 10_000])
            .misbehave(Misbehaviour::ResetAfterBodyBytes(100)),
    );
    let response = client(&server)
        .get("/Campaigns")
        .await
        .expect("the retry works");
    assert_eq!(response.attempts(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_partial_error_body_is_explained_not_retried_as_a_connection_failure() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(
            400,
            "application/json",
            r#"{"Status":"ERROR","Message":"Validation Failed","Errors":[]}"#,
        )
        .misbehave(Misbehaviour::ResetAfterBodyBytes(20)),
    );
    let error = client(&server).get("/Campaigns").await.expect_err("a 400");
    assert_eq!(error.kind(), ErrorKind::Api, "{error}");
    assert_eq!(error.status().map(u16::from), Some(400));
    let report = error.api_error().expect("a report of the bytes received");
    let excerpt = report.body().excerpt.as_deref().unwrap_or_default();
    assert!(excerpt.starts_with(r#"{"Status":"ERROR""#), "{report:?}");
    server.shutdown().await;
}
