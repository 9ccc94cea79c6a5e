//! The retry matrix of SPEC 3: every status class and transport failure against GET, POST and
//! a POST marked idempotent, counted on the mock's request log.

use impact_client::{ErrorKind, Request};
use impact_errors::ErrorClass;
use impact_mock::{Fault, Misbehaviour, RequestMatch};

use crate::{client, quiet_mock};

#[derive(Debug, Clone, Copy)]
enum Call {
    Get,
    Post,
    IdempotentPost,
}

const CALLS: [Call; 3] = [Call::Get, Call::Post, Call::IdempotentPost];

fn request(call: Call) -> Request {
    match call {
        Call::Get => Request::get("/Campaigns"),
        Call::Post => Request::post("/Conversions").form([("CampaignId", "1")]),
        Call::IdempotentPost => Request::post("/Conversions")
            .form([("CampaignId", "1")])
            .idempotent(true),
    }
}

/// Answers every request with `fault`, makes the call, and checks the attempts the server saw
/// and the error's kind.
async fn check(fault: Fault, call: Call, expect_attempts: u32, expect_kind: ErrorKind) {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 10, fault.clone());
    let error = client(&server)
        .send(request(call))
        .await
        .expect_err("every answer is a failure");
    let label = format!("{fault:?} {call:?}");
    assert_eq!(error.kind(), expect_kind, "{label}: {error}");
    assert_eq!(error.attempts(), expect_attempts, "{label}: {error}");
    assert_eq!(server.requests().len() as u32, expect_attempts, "{label}");
    server.shutdown().await;
}

fn envelope(status: u16) -> Fault {
    Fault::raw(
        status,
        "application/json",
        r#"{"Status":"ERROR","Message":"scripted failure"}"#,
    )
}

#[tokio::test]
async fn statuses_by_method() {
    let retryable = [408, 429, 500, 502, 503, 504];
    let final_ = [400, 401, 402, 403, 404, 405, 409, 418, 501, 505];
    for call in CALLS {
        for status in retryable {
            // POST is retried only on 429 unless marked idempotent.
            let attempts = match call {
                Call::Post if status != 429 => 1,
                _ => 4,
            };
            check(envelope(status), call, attempts, ErrorKind::Api).await;
        }
        for status in final_ {
            check(envelope(status), call, 1, ErrorKind::Api).await;
        }
    }
}

#[tokio::test]
async fn api_errors_carry_the_decoded_report() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(
            400,
            "application/json",
            r#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#,
        ),
    );
    let error = client(&server).get("/Campaigns").await.expect_err("a 400");
    let report = error.api_error().expect("a decoded report");
    assert_eq!(error.status().map(u16::from), Some(400));
    assert_eq!(report.class(), ErrorClass::BadRequest);
    assert_eq!(report.body().errors[0].field.as_deref(), Some("AccountId"));
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(
        text.starts_with("api error after 1 attempt: 400 Bad Request"),
        "{text}"
    );
    assert!(text.contains("AccountId: Not a numeric value"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn error_inside_a_2xx_is_an_api_error_and_not_retried() {
    for call in CALLS {
        let fault = Fault::raw(
            200,
            "application/json",
            r#"{"Status":"ERROR","Message":"Not permitted to run report"}"#,
        );
        check(fault, call, 1, ErrorKind::Api).await;
    }
    // A Job whose status is ERROR beside a StatusMessage is data, not an error.
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(
            200,
            "application/json",
            r#"{"Id":"1","Status":"ERROR","StatusMessage":"failed"}"#,
        ),
    );
    let response = client(&server).get("/Jobs/1").await.expect("a job is data");
    assert_eq!(response.attempts(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn transport_failures_by_method() {
    for call in CALLS {
        // A reset before any answer may come after the server processed the request.
        let not_safe_for_post = match call {
            Call::Post => 1,
            _ => 4,
        };
        check(
            Fault::reset_before_headers(),
            call,
            not_safe_for_post,
            ErrorKind::Connection,
        )
        .await;
        check(
            Fault::raw(200, "application/json", r#"{"Status":"OK","Uri":"/x"}"#)
                .misbehave(Misbehaviour::ResetAfterBodyBytes(5)),
            call,
            not_safe_for_post,
            ErrorKind::Connection,
        )
        .await;
        check(
            Fault::raw(200, "application/json", r#"{"Status":"OK","Uri":"/x"}"#)
                .misbehave(Misbehaviour::ContentLengthLonger(100)),
            call,
            not_safe_for_post,
            ErrorKind::Connection,
        )
        .await;
    }
}

#[tokio::test]
async fn a_retry_that_succeeds_reports_its_attempts() {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 2, envelope(503));
    let response = client(&server)
        .get("/Campaigns")
        .await
        .expect("the third try works");
    assert_eq!(response.attempts(), 3);
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}
