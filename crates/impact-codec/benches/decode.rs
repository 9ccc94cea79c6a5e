//! Divan benches of the decoding hot paths, beside the plain serde baselines SPEC 7 compares
//! them with: `cargo bench -p impact-codec --bench decode`. The interleaved figures of record
//! come from `cargo xtask bench`; these are for looking closer at one path.

use divan::black_box;
use impact_errors::StatusCode;
use serde::Deserialize;

fn main() {
    divan::main();
}

/// SPEC 2.2's first example, compact.
const CANONICAL_JSON: &[u8] = br#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#;

/// The seed page's XML example, byte for byte.
const SEED_XML: &[u8] = include_bytes!("../../../fixtures/bodies/envelope-400-validation.xml");

/// The first page of a campaign list.
const PAGE_JSON: &[u8] = include_bytes!("../../../fixtures/bodies/page-campaigns-1.json");

const BAD_REQUEST: Option<StatusCode> = Some(StatusCode::BAD_REQUEST);

#[derive(Deserialize)]
#[allow(dead_code, reason = "only decoded")]
struct Envelope {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Errors")]
    errors: Vec<Item>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "only decoded")]
struct Item {
    #[serde(rename = "Field")]
    field: String,
    #[serde(rename = "Message")]
    message: String,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "only decoded")]
struct XmlEnvelope {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Errors")]
    errors: XmlErrors,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "only decoded")]
struct XmlErrors {
    #[serde(rename = "Error")]
    error: Vec<Item>,
}

/// Our tolerant decode of the canonical JSON error body.
#[divan::bench]
fn decode_canonical_json() -> impact_errors::Report {
    impact_codec::decode(black_box(CANONICAL_JSON), BAD_REQUEST)
}

/// The baseline: `serde_json::from_slice` into the same three fields.
#[divan::bench]
fn serde_json_canonical_json() -> Option<Envelope> {
    serde_json::from_slice(black_box(CANONICAL_JSON)).ok()
}

/// Our tolerant decode of the seed's XML body.
#[divan::bench]
fn decode_seed_xml() -> impact_errors::Report {
    impact_codec::decode(black_box(SEED_XML), BAD_REQUEST)
}

/// The baseline: quick-xml's serde deserializer into the equivalent struct.
#[divan::bench]
fn quick_xml_seed_xml() -> Option<XmlEnvelope> {
    let text = std::str::from_utf8(black_box(SEED_XML)).ok()?;
    quick_xml::de::from_str(text).ok()
}

/// Format sniffing alone, on the canonical JSON body.
#[divan::bench]
fn sniff_canonical_json() -> impact_errors::BodyFormat {
    impact_codec::sniff(black_box(CANONICAL_JSON))
}

/// A JSON list page: its paging metadata and items.
#[divan::bench]
fn decode_page_json() -> Option<impact_codec::Page> {
    impact_codec::decode_page(black_box(PAGE_JSON)).ok()
}

/// The bounded excerpt of a 1 MiB HTML page (only its start is read).
#[divan::bench]
fn decode_huge_html(bencher: divan::Bencher<'_, '_>) {
    let mut page = b"<html><head><title>502 Bad Gateway</title></head><body>".to_vec();
    page.resize(1024 * 1024, b'x');
    bencher.bench_local(|| impact_codec::decode(black_box(&page), Some(StatusCode::BAD_GATEWAY)));
}
