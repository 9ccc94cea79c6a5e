//! `impact explain` over every body in `fixtures/bodies.tsv`: the report's invariants for each
//! (SPEC 6.1), one reviewed snapshot of all the JSON reports, and the text report of the first
//! fixture of each kind.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{impact, one_json_object};

/// One line of the manifest: `file  status  content_type  note`.
struct Case {
    file: String,
    status: Option<String>,
    content_type: Option<String>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The manifest's cases, in its order. `-` stands for "none" in the status and content type.
fn cases() -> Vec<Case> {
    let path = fixtures_dir().join("bodies.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut lines = text.lines();
    assert_eq!(
        lines
            .next()
            .map(|header| header.split('\t').take(3).collect::<Vec<_>>()),
        Some(vec!["file", "status", "content_type"]),
        "the manifest's header"
    );
    let dash_is_none = |value: &str| (value != "-").then(|| value.to_owned());
    let cases: Vec<Case> = lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut columns = line.split('\t');
            let mut next = || {
                columns
                    .next()
                    .unwrap_or_else(|| panic!("short line {line:?}"))
            };
            Case {
                file: next().to_owned(),
                status: dash_is_none(next()),
                content_type: dash_is_none(next()),
            }
        })
        .collect();
    assert!(
        cases.len() >= 10,
        "only {} cases in the manifest",
        cases.len()
    );
    cases
}

fn args_for(case: &Case, path: &str, json: bool) -> Vec<String> {
    let mut args = vec!["explain".to_owned(), path.to_owned()];
    if let Some(status) = &case.status {
        args.extend(["--status".to_owned(), status.clone()]);
    }
    if let Some(content_type) = &case.content_type {
        args.extend(["--content-type".to_owned(), content_type.clone()]);
    }
    if json {
        args.push("--json".to_owned());
    }
    args
}

/// The class SPEC 6.1 gives a status, written out here independently of impact-errors so that
/// the two check each other; `None` for 2xx, where the body decides.
fn class_of_status(status: u16) -> Option<&'static str> {
    Some(match status {
        200..=299 => return None,
        400 => "bad_request",
        401 => "unauthorized",
        402 => "request_failed",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        429 => "too_many_requests",
        406..=408 | 410..=428 | 430..=499 => "client_error",
        500..=599 => "server_error",
        _ => "unexpected_status",
    })
}

const KEYS: [&str; 9] = [
    "http_status",
    "is_error",
    "class",
    "retryable",
    "format",
    "shape",
    "status",
    "message",
    "errors",
];

/// Checks one JSON report line against the invariants of SPEC 6.1 for `case`.
fn check(case: &Case, line: &str) {
    let name = &case.file;
    // Each key's first `"key":` is the key itself: inside string values the quotes are
    // escaped. Their positions must rise in SPEC order.
    let positions: Vec<usize> = KEYS
        .iter()
        .map(|key| {
            line.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{name}: no key {key}: {line}"))
        })
        .collect();
    assert!(
        positions.is_sorted(),
        "{name}: keys out of SPEC order: {line}"
    );

    let report: Value = serde_json::from_str(line).expect("one JSON object");
    let object = report.as_object().expect("an object");
    assert_eq!(object.len(), KEYS.len(), "{name}: extra keys: {line}");
    let http_status = case
        .status
        .as_deref()
        .map(|s| s.parse::<u16>().expect("numeric status"));
    assert_eq!(
        report["http_status"].as_u64(),
        http_status.map(u64::from),
        "{name}"
    );
    let class = report["class"].as_str().expect("class is a string");
    let is_error = report["is_error"].as_bool().expect("is_error is a bool");
    assert_eq!(is_error, class != "none", "{name}: {line}");
    match http_status.and_then(class_of_status) {
        Some(expected) => assert_eq!(class, expected, "{name}: {line}"),
        None => assert!(["none", "error_in_body"].contains(&class), "{name}: {line}"),
    }
    let transient = matches!(http_status, Some(408 | 429 | 500 | 502 | 503 | 504));
    assert_eq!(
        report["retryable"].as_bool(),
        Some(is_error && transient),
        "{name}"
    );
    let format = report["format"].as_str().expect("format is a string");
    let shape = report["shape"].as_str().expect("shape is a string");
    assert!(
        ["empty", "json", "xml", "text"].contains(&format),
        "{name}: {line}"
    );
    let shapes = [
        "envelope",
        "conversion",
        "success",
        "spring",
        "problem",
        "unstructured",
        "empty",
    ];
    assert!(shapes.contains(&shape), "{name}: {line}");
    assert_eq!(format == "empty", shape == "empty", "{name}: {line}");
    if format == "text" {
        assert_eq!(shape, "unstructured", "{name}: {line}");
    }
    for key in ["status", "message"] {
        assert!(
            report[key].is_null() || report[key].is_string(),
            "{name}: {key}"
        );
    }
    for error in report["errors"].as_array().expect("errors is an array") {
        let error = error.as_object().expect("an error is an object");
        assert_eq!(error.len(), 3, "{name}: {line}");
        assert!(error["message"].is_string(), "{name}: {line}");
        for key in ["field", "level"] {
            assert!(
                error[key].is_null() || error[key].is_string(),
                "{name}: {key}"
            );
        }
    }
}

#[test]
fn every_fixture_yields_a_valid_report() {
    let mut all = String::new();
    for case in cases() {
        let path = fixtures_dir().join("bodies").join(&case.file);
        let args = args_for(&case, path.to_str().expect("UTF-8 path"), true);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = impact(&args, b"");
        assert_eq!(run.code, 0, "{}: {}", case.file, run.stderr);
        one_json_object(&run);
        let line = String::from_utf8(run.stdout).expect("UTF-8 report");
        check(&case, line.trim_end());
        all.push_str(&format!("{}\n  {}", case.file, line));
    }
    insta::assert_snapshot!("all-fixtures-json", all);
}

/// The text report of the first fixture whose name starts with each prefix.
#[test]
fn text_reports_of_representative_fixtures() {
    let cases = cases();
    let prefixes = [
        "envelope-400-validation.json",
        "envelope-400-validation.xml",
        "envelope-200-report-not-permitted",
        "envelope-403-job-replay",
        "conversion-400-with-warnings",
        "problem-",
        "spring-",
        "job-200-status-error",
        "success-queued",
        "page-campaigns-1",
        "html-502",
        "text-",
        "invalid-utf8",
        "xml-entity-external",
        "empty-",
    ];
    let mut shown: Vec<&str> = Vec::new();
    for prefix in prefixes {
        let first = cases
            .iter()
            .find(|case| case.file.starts_with(prefix) && !shown.contains(&case.file.as_str()));
        let Some(case) = first else {
            continue;
        };
        let relative = format!("fixtures/bodies/{}", case.file);
        let path = fixtures_dir().join("bodies").join(&case.file);
        let args = args_for(case, path.to_str().expect("UTF-8 path"), false);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = impact(&args, b"");
        assert_eq!(run.code, 0, "{}: {}", case.file, run.stderr);
        let shown_args = args_for(case, &relative, false).join(" ");
        let text = String::from_utf8(run.stdout).expect("UTF-8 text report");
        // The extension stays in the name: a case exists in JSON and in XML.
        insta::assert_snapshot!(
            format!("text-{}", case.file.replace('.', "-")),
            format!("$ impact {shown_args}\n{text}")
        );
        shown.push(&case.file);
    }
    assert!(
        shown.len() >= 5,
        "only these representative fixtures: {shown:?}"
    );
}
