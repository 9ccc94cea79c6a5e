//! Fuzz target: JSON bodies, through the tolerant decoder and the typed (serde) path.
//!
//! Whatever serde_json accepts as a document must be sniffed as JSON by the codec, and the
//! typed path must fail with a position inside the body, never panic.
#![no_main]

use impact_codec::{EXCERPT_MAX_BYTES, decode_body, from_json, sniff};
use impact_errors::{BodyFormat, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = decode_body(
        data,
        Some(StatusCode::BAD_REQUEST),
    );
    match from_json::<serde_json::Value>(data) {
        Ok(_) => assert_eq!(
            sniff(data),
            BodyFormat::Json,
            "serde_json accepted a body the codec did not sniff as json"
        ),
        Err(error) => {
            // Lines are 1-based and cannot exceed the body's line count.
            let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                error.line() <= lines,
                "error on line {} of {lines}",
                error.line()
            );
            let _ = (error.classify(), error.to_string());
        }
    }
    // Decoding a JSON-declared body never fails; what it keeps of one without structure is
    // bounded like any excerpt.
    if let Some(excerpt) = &decoded.excerpt {
        assert!(excerpt.len() <= EXCERPT_MAX_BYTES);
    }
});
