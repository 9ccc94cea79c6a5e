//! The decoding figures: our tolerant decode of the canonical error bodies against plain serde
//! baselines (SPEC 7), and the throughput of our decode over the whole fixture corpus.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use impact_errors::{BodyShape, StatusCode};
use serde::Deserialize;

use super::stats::{Paired, calibrate, median, time_per_call_ns};

/// SPEC 2.2's first example, compact, exactly as SPEC 7 names it.
pub(crate) const CANONICAL_JSON: &[u8] = br#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#;

/// The seed page's XML body byte for byte (its odd indentation included); the fixture
/// `envelope-400-validation.xml` holds the same bytes.
pub(crate) const SEED_XML: &[u8] = b"<ImpactRadiusResponse>
    <Status>ERROR</Status>
    <Message>Validation Failed</Message>
    <Errors>
        <Error>
      <Field>AccountId</Field>
      <Message>Not a numeric value</Message>
    </Error>
    </Errors>
</ImpactRadiusResponse>";

/// The JSON baseline: the same three fields with owned strings.
#[derive(Deserialize)]
struct JsonEnvelope {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Errors")]
    errors: Vec<FieldItem>,
}

#[derive(Deserialize)]
struct FieldItem {
    #[serde(rename = "Field")]
    field: String,
    #[serde(rename = "Message")]
    message: String,
}

/// The XML baseline: the equivalent struct for quick-xml's serde deserializer, whose lists
/// need the `<Error>` wrapper spelled out.
#[derive(Deserialize)]
struct XmlEnvelope {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Errors")]
    errors: XmlErrors,
}

#[derive(Deserialize)]
struct XmlErrors {
    #[serde(rename = "Error")]
    error: Vec<FieldItem>,
}

/// The figures of one run.
#[derive(Debug, Clone)]
pub(crate) struct CodecFigures {
    pub(crate) json: Paired,
    pub(crate) xml: Paired,
    /// MiB/s of each repetition over the corpus.
    pub(crate) mixed_mib_s: Vec<f64>,
    pub(crate) corpus_files: usize,
    pub(crate) corpus_bytes: usize,
}

impl CodecFigures {
    pub(crate) fn mixed_median(&self) -> f64 {
        median(&self.mixed_mib_s)
    }
}

/// How long each repetition lasts and how many there are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) pairs: usize,
    pub(crate) repetition: Duration,
}

/// Checks that every side really decodes what it is timed on: a side that failed fast would
/// fake a good figure.
fn check_sides(status: Option<StatusCode>) -> Result<(), String> {
    let json: JsonEnvelope = serde_json::from_slice(CANONICAL_JSON)
        .map_err(|error| format!("json baseline does not decode: {error}"))?;
    let xml_text = std::str::from_utf8(SEED_XML).map_err(|error| error.to_string())?;
    let xml: XmlEnvelope = quick_xml::de::from_str(xml_text)
        .map_err(|error| format!("xml baseline does not decode: {error}"))?;
    let baseline_ok = |status: &str, message: &str, field: &str, field_message: &str| {
        status == "ERROR"
            && message == "Validation Failed"
            && field == "AccountId"
            && field_message == "Not a numeric value"
    };
    let json_item = json.errors.first().ok_or("json baseline lost the errors")?;
    let xml_item = xml
        .errors
        .error
        .first()
        .ok_or("xml baseline lost the errors")?;
    if !baseline_ok(
        &json.status,
        &json.message,
        &json_item.field,
        &json_item.message,
    ) || !baseline_ok(
        &xml.status,
        &xml.message,
        &xml_item.field,
        &xml_item.message,
    ) {
        return Err("a baseline decoded the wrong values".to_owned());
    }
    for (name, body) in [("json", CANONICAL_JSON), ("xml", SEED_XML)] {
        let report = impact_codec::decode(body, status);
        let first = report.body().errors.first();
        let decoded_all = report.body().shape == BodyShape::Envelope
            && report.body().status.as_deref() == Some("ERROR")
            && report.body().message.as_deref() == Some("Validation Failed")
            && first.and_then(|item| item.field.as_deref()) == Some("AccountId")
            && first.map(|item| item.message.as_str()) == Some("Not a numeric value");
        if !decoded_all {
            return Err(format!(
                "our {name} decode did not find the envelope: {:?}",
                report.body()
            ));
        }
    }
    Ok(())
}

/// One side of a comparison, timed over a calibrated number of calls: nanoseconds per call.
fn side(plan: Plan, mut f: impl FnMut()) -> impl FnMut() -> Result<f64, String> {
    let iterations = calibrate(plan.repetition, &mut f);
    move || Ok(time_per_call_ns(iterations, &mut f))
}

/// Runs the decode comparisons and the corpus throughput.
pub(crate) fn run(plan: Plan, fixtures: &Path) -> Result<CodecFigures, String> {
    let status = StatusCode::from_u16(400).ok();
    check_sides(status)?;
    let xml_text = std::str::from_utf8(SEED_XML).map_err(|error| error.to_string())?;

    let json = Paired::interleave(
        plan.pairs,
        side(plan, || {
            black_box(impact_codec::decode(black_box(CANONICAL_JSON), status));
        }),
        side(plan, || {
            black_box(serde_json::from_slice::<JsonEnvelope>(black_box(CANONICAL_JSON)).ok());
        }),
    )?;
    let xml = Paired::interleave(
        plan.pairs,
        side(plan, || {
            black_box(impact_codec::decode(black_box(SEED_XML), status));
        }),
        side(plan, || {
            // The baseline pays for the UTF-8 check too, as our decode does.
            let text = std::str::from_utf8(black_box(SEED_XML)).unwrap_or(xml_text);
            black_box(quick_xml::de::from_str::<XmlEnvelope>(text).ok());
        }),
    )?;

    let corpus = load_corpus(fixtures)?;
    let corpus_bytes: usize = corpus.iter().map(|case| case.body.len()).sum();
    let mut decode_all = || {
        for case in &corpus {
            black_box(impact_codec::decode(black_box(&case.body), case.status));
        }
    };
    let rounds = calibrate(plan.repetition, &mut decode_all);
    let mut mixed_mib_s = Vec::with_capacity(plan.pairs);
    for _ in 0..plan.pairs {
        let started = Instant::now();
        for _ in 0..rounds {
            decode_all();
        }
        let seconds = started.elapsed().as_secs_f64();
        mixed_mib_s.push((corpus_bytes as f64 * rounds as f64) / seconds / (1024.0 * 1024.0));
    }
    Ok(CodecFigures {
        json,
        xml,
        mixed_mib_s,
        corpus_files: corpus.len(),
        corpus_bytes,
    })
}

/// One body of the fixture corpus with what the server said about it.
struct Case {
    body: Vec<u8>,
    status: Option<StatusCode>,
}

/// Every body listed in `fixtures/bodies.tsv` (`file`, `status`, `content_type`, `note`).
fn load_corpus(fixtures: &Path) -> Result<Vec<Case>, String> {
    let manifest_path = fixtures.join("bodies.tsv");
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|error| format!("cannot read {}: {error}", manifest_path.display()))?;
    let mut corpus = Vec::new();
    for line in manifest.lines().skip(1).filter(|line| !line.is_empty()) {
        let mut columns = line.split('\t');
        // The content type column is not read: the codec sniffs the format from the bytes.
        let (Some(file), Some(status)) = (columns.next(), columns.next()) else {
            return Err(format!("malformed line in bodies.tsv: {line:?}"));
        };
        let path = fixtures.join("bodies").join(file);
        let body = std::fs::read(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let status = match status {
            "-" => None,
            code => Some(
                code.parse::<u16>()
                    .ok()
                    .and_then(|code| StatusCode::from_u16(code).ok())
                    .ok_or_else(|| format!("bad status {code:?} in bodies.tsv"))?,
            ),
        };
        corpus.push(Case { body, status });
    }
    if corpus.is_empty() {
        return Err("the fixture corpus is empty".to_owned());
    }
    Ok(corpus)
}
