//! Shared helpers: the fixture manifest and readable renderings of reports and pages.

use std::fmt::Write as _;
use std::path::PathBuf;

use impact_codec::Page;
use impact_errors::{FieldError, Report, StatusCode};

/// One line of `fixtures/bodies.tsv` with the body's bytes.
pub(crate) struct FixtureBody {
    pub(crate) file: String,
    pub(crate) status: Option<StatusCode>,
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every body listed in the manifest, in manifest order.
pub(crate) fn fixture_bodies() -> Vec<FixtureBody> {
    let dir = fixtures_dir();
    let manifest = std::fs::read_to_string(dir.join("bodies.tsv")).expect("fixtures/bodies.tsv");
    let mut bodies = Vec::new();
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let columns: Vec<&str> = line.split('\t').collect();
        assert!(columns.len() >= 3, "malformed manifest line {line:?}");
        let status = match columns[1] {
            "-" => None,
            code => {
                Some(StatusCode::from_u16(code.parse().expect("numeric status")).expect("status"))
            }
        };
        let content_type = match columns[2] {
            "-" => None,
            ct => Some(ct.to_owned()),
        };
        let bytes = std::fs::read(dir.join("bodies").join(columns[0])).expect("fixture body");
        bodies.push(FixtureBody {
            file: columns[0].to_owned(),
            status,
            content_type,
            bytes,
        });
    }
    bodies
}

fn opt(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:?}"))
}

fn errors_block(out: &mut String, title: &str, errors: &[FieldError]) {
    if errors.is_empty() {
        writeln!(out, "{title}: []").unwrap();
        return;
    }
    writeln!(out, "{title}:").unwrap();
    for error in errors {
        writeln!(
            out,
            "  - field: {}, message: {:?}, level: {}",
            opt(error.field.as_deref()),
            error.message,
            opt(error.level.as_deref())
        )
        .unwrap();
    }
}

/// A readable multi-line rendering of a report, for snapshots.
pub(crate) fn render_report(report: &Report) -> String {
    let body = report.body();
    let mut out = String::new();
    writeln!(
        out,
        "http_status: {}",
        report
            .http_status()
            .map_or_else(|| "-".to_owned(), |s| s.as_u16().to_string())
    )
    .unwrap();
    writeln!(out, "format: {}", body.format).unwrap();
    writeln!(out, "shape: {}", body.shape).unwrap();
    writeln!(out, "class: {}", report.class()).unwrap();
    writeln!(out, "is_error: {}", report.is_error()).unwrap();
    writeln!(out, "retryable: {}", report.retryable()).unwrap();
    writeln!(out, "api_error: {}", body.is_api_error()).unwrap();
    writeln!(out, "reports_error: {}", body.reports_error()).unwrap();
    writeln!(out, "status: {}", opt(body.status.as_deref())).unwrap();
    writeln!(out, "message: {}", opt(body.message.as_deref())).unwrap();
    errors_block(&mut out, "errors", &body.errors);
    errors_block(&mut out, "warnings", &body.warnings);
    writeln!(out, "excerpt: {}", opt(body.excerpt.as_deref())).unwrap();
    out
}

/// A one-line summary of a report, for tables of explicit expectations:
/// `format shape class [retryable] status=.. message=.. errors=[field|message|level, ...]`.
pub(crate) fn summarize(report: &Report) -> String {
    let body = report.body();
    let mut out = format!("{} {} {}", body.format, body.shape, report.class());
    if report.retryable() {
        out.push_str(" retryable");
    }
    if let Some(status) = &body.status {
        write!(out, " status={status}").unwrap();
    }
    if let Some(message) = &body.message {
        write!(out, " message={message}").unwrap();
    }
    for (title, list) in [("errors", &body.errors), ("warnings", &body.warnings)] {
        if !list.is_empty() {
            let items: Vec<String> = list
                .iter()
                .map(|e| {
                    format!(
                        "{}|{}|{}",
                        e.field.as_deref().unwrap_or("-"),
                        e.message,
                        e.level.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            write!(out, " {title}=[{}]", items.join(", ")).unwrap();
        }
    }
    out
}

/// A readable rendering of a page, for snapshots.
pub(crate) fn render_page(page: &Page) -> String {
    let mut out = String::new();
    writeln!(out, "list_key: {}", opt(page.list_key.as_deref())).unwrap();
    let m = &page.meta;
    let number = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    writeln!(
        out,
        "page: {}, num_pages: {}, page_size: {}, total: {}, start: {}, end: {}",
        number(m.page),
        number(m.num_pages),
        number(m.page_size),
        number(m.total),
        number(m.start),
        number(m.end)
    )
    .unwrap();
    for (name, uri) in [
        ("uri", &m.uri),
        ("first_page_uri", &m.first_page_uri),
        ("previous_page_uri", &m.previous_page_uri),
        ("next_page_uri", &m.next_page_uri),
        ("last_page_uri", &m.last_page_uri),
    ] {
        writeln!(out, "{name}: {}", opt(uri.as_deref())).unwrap();
    }
    writeln!(out, "next: {}", opt(page.meta.next())).unwrap();
    writeln!(out, "items ({}):", page.items.len()).unwrap();
    for item in &page.items {
        writeln!(out, "  {item}").unwrap();
    }
    out
}
