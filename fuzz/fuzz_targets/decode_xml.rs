//! Fuzz target: XML bodies, through the tolerant decoder and the typed (serde) path.
//!
//! XML is where entity expansion and deep nesting live: both must be refused in bounded time
//! and memory (libFuzzer's -rss_limit_mb and -timeout catch either), and never panic.
#![no_main]

use impact_codec::{EXCERPT_MAX_BYTES, decode_body, from_xml, sniff};
use impact_errors::{BodyFormat, StatusCode};
use libfuzzer_sys::fuzz_target;

/// A typed write result, as a client would read one.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct WriteResult {
    #[serde(rename = "Status")]
    status: Option<String>,
    #[serde(rename = "Uri")]
    uri: Option<String>,
}

fuzz_target!(|data: &[u8]| {
    let decoded = decode_body(
        data,
        Some(StatusCode::INTERNAL_SERVER_ERROR),
    );
    if let Some(excerpt) = &decoded.excerpt {
        assert!(excerpt.len() <= EXCERPT_MAX_BYTES);
    }
    // The typed path refuses what sniffing refuses for the same reasons (entities, depth,
    // malformed or non-UTF-8 text); it does not check the root's name, so only that direction
    // holds.
    if sniff(data) == BodyFormat::Text && !data.windows(5).any(|w| w.eq_ignore_ascii_case(b"<html"))
    {
        assert!(
            from_xml::<WriteResult>(data).is_err(),
            "from_xml accepted a body sniffed as text"
        );
    } else {
        let _ = from_xml::<WriteResult>(data);
    }
    let _ = from_xml::<serde_json::Value>(data).map_err(|e| e.to_string());
});
