//! Fuzz target: the codec's auto-detected decoding of any body (SPEC 2.2, 2.3, 6.1).
//!
//! The first two bytes choose the HTTP status (or none), so that every branch of the classifier
//! is reached; the rest is the body (the codec reads no content type: the bytes decide). Besides not panicking,
//! decoding must keep its promises: the excerpt is bounded, sniffing agrees with decoding, the
//! prefilter never clears a body decoding calls an API error, `error_report` agrees with the
//! report, and what the encoder writes back is itself a well-formed document of the same format.
#![no_main]

use impact_codec::{
    EXCERPT_MAX_BYTES, decode, encode_json, encode_xml, error_report, may_be_api_error, sniff,
};
use impact_errors::{BodyFormat, BodyShape, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [high, low, body @ ..] => (
            StatusCode::from_u16(u16::from_be_bytes([*high, *low]) % 700).ok(),
            body,
        ),
        _ => (None, data),
    };
    let report = decode(body, status);
    if let Some(excerpt) = &report.body().excerpt {
        assert!(
            excerpt.len() <= EXCERPT_MAX_BYTES,
            "excerpt of {} bytes",
            excerpt.len()
        );
    }
    assert_eq!(sniff(body), report.body().format, "sniff and decode disagree");
    // The retry decision may only be true for errors.
    assert!(!report.retryable() || report.is_error());
    // `false` from the prefilter is a promise that decoding finds no API error, so a client may
    // skip decoding a 2xx body it clears.
    if report.body().is_api_error() {
        assert!(may_be_api_error(body), "the prefilter cleared an API error");
    }
    if let Some(status) = status {
        assert_eq!(
            error_report(body, status).is_some(),
            report.is_error(),
            "error_report and decode disagree"
        );
    }

    // Re-encoding a structured body must give a document of the right format. Empty and
    // unstructured bodies are written back as their bytes and excerpt, by design.
    if matches!(
        report.body().shape,
        BodyShape::Empty | BodyShape::Unstructured
    ) {
        return;
    }
    let json = encode_json(report.body());
    assert_eq!(
        sniff(&json),
        BodyFormat::Json,
        "encode_json wrote {:?}",
        String::from_utf8_lossy(&json)
    );
    let xml = encode_xml(report.body());
    assert_eq!(
        sniff(&xml),
        BodyFormat::Xml,
        "encode_xml wrote {:?}",
        String::from_utf8_lossy(&xml)
    );
});
