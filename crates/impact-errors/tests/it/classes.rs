//! Status classes and retryability agree with SPEC 3 and 6.1 for every code.

use impact_errors::{
    BodyFormat, BodyShape, BodyVerdict, DecodedBody, ErrorClass, Report, StatusCode,
};
use proptest::prelude::*;

/// The classes of SPEC 6.1, restated independently of the implementation's table.
// The overlapping arms mirror the wording of SPEC 6.1: "any other 4xx".
#[allow(clippy::match_overlapping_arm)]
fn expected_class(status: u16, body: BodyVerdict) -> &'static str {
    match status {
        200..=299 if body == BodyVerdict::ApiError => "error_in_body",
        200..=299 => "none",
        400 => "bad_request",
        401 => "unauthorized",
        402 => "request_failed",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        429 => "too_many_requests",
        400..=499 => "client_error",
        500..=599 => "server_error",
        _ => "unexpected_status",
    }
}

fn any_verdict() -> impl Strategy<Value = BodyVerdict> {
    prop_oneof![
        Just(BodyVerdict::NoError),
        Just(BodyVerdict::ReportsError),
        Just(BodyVerdict::ApiError),
    ]
}

proptest! {
    #[test]
    fn class_agrees_with_the_status(status in 100u16..=999, verdict in any_verdict()) {
        let code = StatusCode::from_u16(status).unwrap();
        let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Envelope);
        body.verdict = verdict;
        let report = Report::new(Some(code), body);
        prop_assert_eq!(report.class().as_str(), expected_class(status, verdict));
        prop_assert_eq!(report.is_error(), report.class() != ErrorClass::None);
        let retryable_code = [408, 429, 500, 502, 503, 504].contains(&status);
        prop_assert_eq!(report.retryable(), report.is_error() && retryable_code);
    }

    #[test]
    fn codes_above_999_are_refused(status in 1000u16..) {
        prop_assert!(StatusCode::from_u16(status).is_err());
    }

    #[test]
    fn codes_below_100_are_refused(status in 0u16..100) {
        prop_assert_eq!(StatusCode::from_u16(status).map_err(|error| error.value()), Err(status));
    }
}

#[test]
fn without_a_status_the_body_decides() {
    let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Problem);
    assert_eq!(Report::new(None, body.clone()).class(), ErrorClass::None);
    body.verdict = BodyVerdict::ReportsError;
    let report = Report::new(None, body);
    assert_eq!(report.class(), ErrorClass::ErrorInBody);
    assert!(!report.retryable(), "nothing is retryable without a status");
}

#[test]
fn every_class_and_documented_status_reads_well() {
    let mut table = String::new();
    for class in ErrorClass::ALL {
        table += &format!("{:<18} {}\n", class.as_str(), class.meaning());
    }
    table.push('\n');
    for code in [
        200, 201, 202, 302, 303, 400, 401, 402, 403, 404, 405, 408, 409, 429, 500, 501, 502, 503,
        504, 418, 599, 999,
    ] {
        let status = StatusCode::from_u16(code).unwrap();
        table += &format!(
            "{:<26} retryable={:<5} {}\n",
            status.to_string(),
            status.is_retryable(),
            status.meaning()
        );
    }
    insta::assert_snapshot!(table);
}
