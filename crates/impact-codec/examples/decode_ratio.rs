//! Measures the decode figure of SPEC 7: our tolerant decode against plain serde baselines,
//! interleaved in one run. Run with `cargo run --release -p impact-codec --example decode_ratio`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::Deserialize;

const JSON: &[u8] = br#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#;

const XML: &[u8] = b"<ImpactRadiusResponse>
    <Status>ERROR</Status>
    <Message>Validation Failed</Message>
    <Errors>
        <Error>
      <Field>AccountId</Field>
      <Message>Not a numeric value</Message>
    </Error>
    </Errors>
</ImpactRadiusResponse>";

/// The baseline: the same three fields with owned strings.
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

fn time(iterations: u32, mut f: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..iterations {
        f();
    }
    started.elapsed()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let status = impact_errors::StatusCode::from_u16(400).ok();
    // The baselines must really decode, or they would time a quick failure.
    assert!(serde_json::from_slice::<Envelope>(JSON).is_ok());
    let xml_text = std::str::from_utf8(XML).unwrap_or_default();
    assert!(quick_xml::de::from_str::<XmlEnvelope>(xml_text).is_ok());
    assert_eq!(
        impact_codec::decode(JSON, None, status).body.errors.len(),
        1
    );
    assert_eq!(impact_codec::decode(XML, None, status).body.errors.len(), 1);
    let iterations = 20_000;
    let (mut ours_json, mut base_json, mut ours_xml, mut base_xml) =
        (vec![], vec![], vec![], vec![]);
    // `ONLY_JSON=1` runs our JSON decode alone, long enough for `perf record`.
    if std::env::var_os("ONLY_JSON").is_some() {
        for _ in 0..20_000_000u32 {
            black_box(impact_codec::decode(black_box(JSON), None, status));
        }
        return;
    }
    for _ in 0..41 {
        ours_json.push(time(iterations, || {
            black_box(impact_codec::decode(black_box(JSON), None, status));
        }));
        base_json.push(time(iterations, || {
            black_box(serde_json::from_slice::<Envelope>(black_box(JSON)).ok());
        }));
        ours_xml.push(time(iterations, || {
            black_box(impact_codec::decode(black_box(XML), None, status));
        }));
        base_xml.push(time(iterations, || {
            let text = std::str::from_utf8(black_box(XML)).unwrap_or_default();
            black_box(quick_xml::de::from_str::<XmlEnvelope>(text).ok());
        }));
    }
    let ns = |samples: &Vec<Duration>| {
        median(
            samples
                .iter()
                .map(|d| d.as_nanos() as f64 / f64::from(iterations))
                .collect(),
        )
    };
    let (oj, bj, ox, bx) = (ns(&ours_json), ns(&base_json), ns(&ours_xml), ns(&base_xml));
    println!(
        "json: ours {oj:.0} ns, serde_json baseline {bj:.0} ns, ratio {:.2}",
        oj / bj
    );
    println!(
        "xml:  ours {ox:.0} ns, quick-xml serde baseline {bx:.0} ns, ratio {:.2}",
        ox / bx
    );
}
