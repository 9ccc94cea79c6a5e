//! Renders a decoded [`Report`] for programs (the JSON object of SPEC 6.1) and for people.
//!
//! `impact explain` prints these, and `impact api --json-errors` reuses [`ReportJson`] (with
//! `attempts` beside it) so that both commands describe an answer in exactly the same words.

use std::fmt::Write as _;

use impact_errors::{BodyFormat, BodyShape, ErrorClass, FieldError, Report, StatusCode};
use serde::Serialize;

/// The `explain --json` report of SPEC 6.1: every key always present, in the order listed
/// there (serde serialises struct fields in declaration order), unknown values as `null`.
///
/// Other commands that print a report with more keys flatten this one into their own struct:
///
/// ```ignore
/// // The binary's own modules are not a library, so this example is not compiled.
/// #[derive(serde::Serialize)]
/// struct ApiErrorJson<'a> {
///     #[serde(flatten)]
///     report: ReportJson<'a>,
///     attempts: u32,
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ReportJson<'a> {
    /// The HTTP status, or `null` when it was not given.
    pub(crate) http_status: Option<u16>,
    /// Whether the class is not `none`.
    pub(crate) is_error: bool,
    /// The error class, such as `bad_request` or `none`.
    pub(crate) class: &'static str,
    /// Whether retrying can help (SPEC 3).
    pub(crate) retryable: bool,
    /// `empty`, `json`, `xml` or `text`.
    pub(crate) format: &'static str,
    /// `envelope`, `conversion`, `success`, `spring`, `problem`, `unstructured` or `empty`.
    pub(crate) shape: &'static str,
    /// The body's own status value.
    pub(crate) status: Option<&'a str>,
    /// The body's message.
    pub(crate) message: Option<&'a str>,
    /// The field errors, always an array.
    pub(crate) errors: Vec<FieldErrorJson<'a>>,
}

/// One entry of the report's `errors` array: every key always present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldErrorJson<'a> {
    /// The request field at fault, or `null`.
    pub(crate) field: Option<&'a str>,
    /// What is wrong with it.
    pub(crate) message: &'a str,
    /// The severity (`ERROR`, `WARNING`, ...), or `null`.
    pub(crate) level: Option<&'a str>,
}

impl<'a> ReportJson<'a> {
    /// The JSON view of a report, borrowing its strings.
    pub(crate) fn new(report: &'a Report) -> ReportJson<'a> {
        let body = &report.body();
        ReportJson {
            http_status: report.http_status().map(StatusCode::as_u16),
            is_error: report.is_error(),
            class: report.class().as_str(),
            retryable: report.retryable(),
            format: body.format.as_str(),
            shape: body.shape.as_str(),
            status: body.status.as_deref(),
            message: body.message.as_deref(),
            errors: body
                .errors
                .iter()
                .map(|error| FieldErrorJson {
                    field: error.field.as_deref(),
                    message: &error.message,
                    level: error.level.as_deref(),
                })
                .collect(),
        }
    }

    /// The report as one line of compact JSON, without a line end.
    pub(crate) fn to_line(&self) -> String {
        // Serialising plain structs of strings, numbers and booleans into a String cannot
        // fail, but the fallback keeps the promise of one JSON object even if it did.
        serde_json::to_string(self).unwrap_or_else(|error| {
            serde_json::json!({ "error": "report", "message": error.to_string() }).to_string()
        })
    }
}

/// At most this many characters of the body's message are shown to a person; the JSON report
/// always carries it whole.
const MESSAGE_MAX_CHARS: usize = 2_000;
/// At most this many field errors (and as many warnings) are listed for a person.
const ERRORS_MAX_SHOWN: usize = 50;
/// At most this many characters of a field name or field message are shown to a person.
const FIELD_MAX_CHARS: usize = 500;
/// At most this many lines of an unstructured body's excerpt are shown.
const EXCERPT_MAX_LINES: usize = 20;
/// At most this many characters of an unstructured body's excerpt are shown.
const EXCERPT_MAX_CHARS: usize = 1_000;
/// The excerpt is wrapped into lines of at most this many characters, to read in a terminal.
const EXCERPT_LINE_CHARS: usize = 76;

/// Where the body came from and how much of it was read, for the human report's last lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InputInfo<'a> {
    /// How many bytes were explained, when known (`impact api` sees only the decoded report
    /// of a failed call, not its length).
    pub(crate) bytes_read: Option<usize>,
    /// Whether the input went on beyond what was read.
    pub(crate) truncated: bool,
    /// The Content-Type given as a hint, if any.
    pub(crate) content_type: Option<&'a str>,
}

/// The width of the label column of the human report.
const LABEL_WIDTH: usize = 15;

/// The human report: what happened, whether to retry and why, the body's message, the fields
/// to fix, what the body was, and a bounded excerpt of an unstructured body.
///
/// Every text taken from the body has its control characters escaped, so that a hostile body
/// cannot drive the terminal, and is cut to a bounded length.
pub(crate) fn render_human(report: &Report, input: &InputInfo<'_>) -> String {
    let mut out = String::new();
    let body = &report.body();

    line(&mut out, "what happened", &what_happened(report));
    line(&mut out, "retry", &retry_advice(report));
    if let Some(message) = body.message.as_deref().filter(|m| !m.trim().is_empty()) {
        line(&mut out, "message", &one_line(message, MESSAGE_MAX_CHARS));
    }
    list(&mut out, "fields to fix", &body.errors);
    list(&mut out, "warnings", &body.warnings);
    line(&mut out, "body", &describe_body(report, input));
    let notes = [
        content_type_note(report, input.content_type),
        entities_note(report).map(str::to_owned),
        resource_status_note(report).map(str::to_owned),
    ];
    for note in notes.iter().flatten() {
        line(&mut out, "note", note);
    }
    if let Some(excerpt) = body.excerpt.as_deref().filter(|_| shows_excerpt(report)) {
        excerpt_lines(&mut out, excerpt);
    }
    out
}

/// One labelled line, the label padded so that the values line up.
fn line(out: &mut String, label: &str, value: &str) {
    // Writing into a String cannot fail.
    let _ = writeln!(out, "{label:<LABEL_WIDTH$}{value}");
}

/// A labelled list, one item per line, the first beside the label and the rest under it.
fn list(out: &mut String, label: &str, errors: &[FieldError]) {
    for (index, error) in errors.iter().take(ERRORS_MAX_SHOWN).enumerate() {
        let label = if index == 0 { label } else { "" };
        line(out, label, &describe_field_error(error));
    }
    if errors.len() > ERRORS_MAX_SHOWN {
        let more = errors.len() - ERRORS_MAX_SHOWN;
        line(out, "", &format!("... and {more} more (see --json)"));
    }
}

/// `Field: message [LEVEL]`, or the message alone when the API named no field.
fn describe_field_error(error: &FieldError) -> String {
    let mut text = String::new();
    if let Some(field) = error.field.as_deref().filter(|f| !f.trim().is_empty()) {
        text.push_str(&one_line(field, FIELD_MAX_CHARS));
        text.push_str(": ");
    }
    let message = error.message.trim();
    if message.is_empty() {
        text.push_str("(no message)");
    } else {
        text.push_str(&one_line(message, FIELD_MAX_CHARS));
    }
    if let Some(level) = error.level.as_deref().filter(|l| !l.trim().is_empty()) {
        let _ = write!(text, " [{}]", one_line(level, FIELD_MAX_CHARS));
    }
    text
}

/// The first line: the status, the class and what it means.
fn what_happened(report: &Report) -> String {
    match (report.http_status(), report.class()) {
        (Some(status), ErrorClass::None) => format!("HTTP {status}: {}", status.meaning()),
        (Some(status), ErrorClass::ErrorInBody) => format!(
            "HTTP {status}, but the body reports an error (error_in_body): the API answered \
             the call as a success and said in the body that it failed"
        ),
        // The status's own meaning says more than the class here: "a download redirect".
        (Some(status), ErrorClass::UnexpectedStatus) => format!(
            "HTTP {status} ({}): {}",
            ErrorClass::UnexpectedStatus,
            status.meaning()
        ),
        (Some(status), class) => format!("HTTP {status} ({class}): {}", class.meaning()),
        (None, ErrorClass::None) => {
            "no HTTP status given (--status); the body does not report an error (none)".into()
        }
        (None, class) => format!(
            "no HTTP status given (--status); the body reports an error ({class}): {}",
            body_error_kind(report)
        ),
    }
}

/// What kind of error a body reports by its shape, for a report without a status.
fn body_error_kind(report: &Report) -> &'static str {
    match report.body().shape {
        BodyShape::Problem => "a problem-style error body",
        BodyShape::Spring => "a Spring-style error body",
        BodyShape::Conversion => "a conversion endpoint's error list",
        _ => "an error envelope",
    }
}

/// Whether to retry, and why or why not (SPEC 3).
fn retry_advice(report: &Report) -> String {
    if !report.is_error() {
        return "no need: nothing failed".into();
    }
    let Some(status) = report.http_status() else {
        return "no: only a transient HTTP status (408, 429, 500, 502, 503, 504) is worth \
                retrying, and none was given; pass --status N to judge"
            .into();
    };
    let code = status.as_u16();
    if report.retryable() {
        return match code {
            429 => "yes, but only after the wait the server asks for: honour Retry-After, \
                    else the rate-limit reset headers, before calling again"
                .into(),
            408 => {
                "yes, with exponential backoff: the server gave up waiting for the request".into()
            }
            _ => "yes, with exponential backoff and jitter: the failure is likely transient; \
                  a POST only if it is idempotent, since the API has no idempotency keys and a \
                  retried POST can submit twice"
                .into(),
        };
    }
    match code {
        200..=299 => "no: the API answered with a success status and an error in the body; \
                      the same request would fail the same way"
            .into(),
        401 => "no: fix the credentials first (the Account SID and the auth token)".into(),
        403 => "no: retrying does not grant access; check the token's scope and what the \
                account may use. A job replay answers 403 while the job is still queued or \
                running: poll the job instead"
            .into(),
        409 => "no: the resource's state conflicts with the request; read it again before \
                deciding what to send"
            .into(),
        400..=499 => "no: the request itself must change; sent again unchanged it fails the \
                      same way"
            .into(),
        501 => "no: 501 means the server does not implement this request".into(),
        302 | 303 => "no: follow its Location header instead (downloads answer with a \
                      redirect)"
            .into(),
        500..=599 => format!("no: {code} is not a transient failure"),
        _ => format!("no: {code} is not a status that retrying can fix"),
    }
}

/// What the body was: its format, its shape, its own status and its size.
fn describe_body(report: &Report, input: &InputInfo<'_>) -> String {
    let body = &report.body();
    let mut text = match (body.format, body.shape) {
        (BodyFormat::Empty, _) => "empty".to_owned(),
        (BodyFormat::Text, BodyShape::Unstructured) => "text, unstructured".to_owned(),
        (format, shape) => format!("{format}, {shape} shape"),
    };
    if let Some(status) = body.status.as_deref() {
        let _ = write!(text, ", status {:?}", one_line(status, FIELD_MAX_CHARS));
    }
    let Some(bytes) = input.bytes_read else {
        return text;
    };
    let unit = if bytes == 1 { "byte" } else { "bytes" };
    if input.truncated {
        let _ = write!(
            text,
            ", the first {bytes} {unit} of a longer input (the rest was not read)"
        );
    } else {
        let _ = write!(text, ", {bytes} {unit}");
    }
    text
}

/// A note when the Content-Type hint named a format the bytes are not in, since that often
/// explains a client's decoding failure (a gateway's HTML page under `application/json`).
fn content_type_note(report: &Report, content_type: Option<&str>) -> Option<String> {
    let content_type = content_type?;
    if entities_note(report).is_some() {
        // That note says why the bytes are not XML; this one would only repeat it.
        return None;
    }
    let lower = content_type.to_ascii_lowercase();
    let claimed = if lower.contains("json") {
        "json"
    } else if lower.contains("xml") {
        "xml"
    } else if lower.contains("html") || lower.starts_with("text/") {
        "text"
    } else {
        return None;
    };
    let actual = report.body().format;
    if actual.as_str() == claimed || actual == BodyFormat::Empty {
        return None;
    }
    Some(format!(
        "the Content-Type {:?} says {claimed}, but the body is {actual}; the bytes decide",
        one_line(content_type, FIELD_MAX_CHARS)
    ))
}

/// A note when a body is text because it is XML that declares entities, which are never
/// expanded (SPEC 6.1): otherwise a person would wonder why well-formed XML was not read.
/// Only the excerpt is at hand, so this sees declarations in the first few hundred bytes.
fn entities_note(report: &Report) -> Option<&'static str> {
    let excerpt = report.body().excerpt.as_deref()?;
    let declares_entities = report.body().format == BodyFormat::Text
        && excerpt.starts_with('<')
        && excerpt.contains("<!ENTITY");
    declares_entities.then_some(
        "the body is XML that declares entities: it is read as text and its entities are \
         never expanded",
    )
}

/// A note when a body that is not an error carries `Status: ERROR`: a resource's own state,
/// such as a Job that failed, not a failure of this call (SPEC 2.2).
fn resource_status_note(report: &Report) -> Option<&'static str> {
    let status = report.body().status.as_deref()?;
    (!report.is_error() && status.trim().eq_ignore_ascii_case("error")).then_some(
        "the body's Status ERROR describes the resource it returns (such as a Job that \
         failed), not this call",
    )
}

/// Whether to show the excerpt: only for bodies without a structure, whose text is all there
/// is to read.
fn shows_excerpt(report: &Report) -> bool {
    report.body().shape == BodyShape::Unstructured
}

/// The excerpt, wrapped at word boundaries into short lines behind `| `, bounded in lines and
/// characters. The codec has already collapsed whitespace and dropped HTML markup, and marks
/// an excerpt it cut with a trailing `...`.
fn excerpt_lines(out: &mut String, excerpt: &str) {
    let (shown, cut) = cut_chars(excerpt.trim(), EXCERPT_MAX_CHARS);
    let heading = if cut || shown.ends_with("...") {
        "the start of the body's text:"
    } else {
        "the body's text:"
    };
    line(out, "excerpt", heading);
    let wrapped = wrap(&escape_controls(shown), EXCERPT_LINE_CHARS);
    for text in wrapped.iter().take(EXCERPT_MAX_LINES) {
        line(out, "", &format!("| {text}"));
    }
    if cut || wrapped.len() > EXCERPT_MAX_LINES {
        line(out, "", "| ...");
    }
}

/// Splits text into lines of at most `width` characters, breaking between words where it can
/// and inside a word only when the word alone is wider.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_chars = 0;
    for word in text.split_whitespace() {
        let mut word = word;
        loop {
            let word_chars = word.chars().count();
            let needed = word_chars + usize::from(current_chars > 0);
            if current_chars + needed <= width {
                if current_chars > 0 {
                    current.push(' ');
                }
                current.push_str(word);
                current_chars += needed;
                break;
            }
            if current_chars > 0 {
                lines.push(std::mem::take(&mut current));
                current_chars = 0;
                continue;
            }
            // The word alone is wider than a line: cut it.
            let (head, _) = cut_chars(word, width);
            lines.push(head.to_owned());
            word = &word[head.len()..];
        }
    }
    if current_chars > 0 {
        lines.push(current);
    }
    lines
}

/// Text on one line: control characters (line ends included) escaped, cut to `max_chars`.
fn one_line(text: &str, max_chars: usize) -> String {
    let (shown, cut) = cut_chars(text.trim(), max_chars);
    let mut escaped = escape_controls(shown);
    if cut {
        let _ = write!(
            escaped,
            " ... ({} more bytes)",
            text.trim().len() - shown.len()
        );
    }
    escaped
}

/// The longest prefix of at most `max_chars` characters, and whether anything was cut. Cutting
/// at a character boundary keeps the output valid UTF-8.
fn cut_chars(text: &str, max_chars: usize) -> (&str, bool) {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    }
}

/// Escapes control characters (ESC, CR, tabs, line ends, DEL, C1 controls) the way Rust's
/// `escape_debug` does, so that a body cannot move the cursor or recolour the terminal.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use impact_errors::{BodyVerdict, DecodedBody};

    fn envelope() -> DecodedBody {
        let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Envelope);
        body.status = Some("ERROR".into());
        body.message = Some("Validation Failed".into());
        body.errors.push(FieldError::new(
            Some("AccountId".into()),
            "Not a numeric value".into(),
            None,
        ));
        body.errors.push(FieldError::new(
            None,
            "Too late\u{1b}[31m".into(),
            Some("WARNING".into()),
        ));
        body.verdict = BodyVerdict::ApiError;
        body
    }

    fn unstructured(excerpt: &str) -> DecodedBody {
        let mut body = DecodedBody::new(BodyFormat::Text, BodyShape::Unstructured);
        body.excerpt = Some(excerpt.into());
        body
    }

    /// Renders `body` with `status` both ways and compares with the expected JSON and text.
    fn check(status: Option<u16>, body: DecodedBody, expect_json: &str, expect_human: &str) {
        let status = status.map(|code| StatusCode::from_u16(code).expect("valid code"));
        let report = Report::new(status, body);
        assert_eq!(ReportJson::new(&report).to_line(), expect_json);
        let input = InputInfo {
            bytes_read: Some(42),
            truncated: false,
            content_type: Some("application/json"),
        };
        assert_eq!(render_human(&report, &input), expect_human);
    }

    #[test]
    fn envelope_on_400() {
        check(
            Some(400),
            envelope(),
            r#"{"http_status":400,"is_error":true,"class":"bad_request","retryable":false,"format":"json","shape":"envelope","status":"ERROR","message":"Validation Failed","errors":[{"field":"AccountId","message":"Not a numeric value","level":null},{"field":null,"message":"Too late\u001b[31m","level":"WARNING"}]}"#,
            "what happened  HTTP 400 Bad Request (bad_request): the request was malformed, often a missing required parameter; fix it before sending again\n\
             retry          no: the request itself must change; sent again unchanged it fails the same way\n\
             message        Validation Failed\n\
             fields to fix  AccountId: Not a numeric value\n\
             \x20              Too late\\u{1b}[31m [WARNING]\n\
             body           json, envelope shape, status \"ERROR\", 42 bytes\n",
        );
    }

    #[test]
    fn envelope_without_status() {
        check(
            None,
            envelope(),
            r#"{"http_status":null,"is_error":true,"class":"error_in_body","retryable":false,"format":"json","shape":"envelope","status":"ERROR","message":"Validation Failed","errors":[{"field":"AccountId","message":"Not a numeric value","level":null},{"field":null,"message":"Too late\u001b[31m","level":"WARNING"}]}"#,
            "what happened  no HTTP status given (--status); the body reports an error (error_in_body): an error envelope\n\
             retry          no: only a transient HTTP status (408, 429, 500, 502, 503, 504) is worth retrying, and none was given; pass --status N to judge\n\
             message        Validation Failed\n\
             fields to fix  AccountId: Not a numeric value\n\
             \x20              Too late\\u{1b}[31m [WARNING]\n\
             body           json, envelope shape, status \"ERROR\", 42 bytes\n",
        );
    }

    #[test]
    fn gateway_page_on_503() {
        check(
            Some(503),
            unstructured("Service down for maintenance until 10:00 UTC"),
            r#"{"http_status":503,"is_error":true,"class":"server_error","retryable":true,"format":"text","shape":"unstructured","status":null,"message":null,"errors":[]}"#,
            "what happened  HTTP 503 Service Unavailable (server_error): the API or a gateway in front of it failed\n\
             retry          yes, with exponential backoff and jitter: the failure is likely transient; a POST only if it is idempotent, since the API has no idempotency keys and a retried POST can submit twice\n\
             body           text, unstructured, 42 bytes\n\
             note           the Content-Type \"application/json\" says json, but the body is text; the bytes decide\n\
             excerpt        the body's text:\n\
             \x20              | Service down for maintenance until 10:00 UTC\n",
        );
    }

    #[test]
    fn success_queued() {
        let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Success);
        body.status = Some("QUEUED".into());
        check(
            Some(202),
            body,
            r#"{"http_status":202,"is_error":false,"class":"none","retryable":false,"format":"json","shape":"success","status":"QUEUED","message":null,"errors":[]}"#,
            "what happened  HTTP 202 Accepted: the work was queued and is not ready yet\n\
             retry          no need: nothing failed\n\
             body           json, success shape, status \"QUEUED\", 42 bytes\n",
        );
    }

    #[test]
    fn bounds_hold_for_long_texts() {
        let long = "\u{e9}".repeat(MESSAGE_MAX_CHARS * 3);
        let mut body = unstructured(&"line\n".repeat(500));
        body.message = Some(long.clone());
        for _ in 0..ERRORS_MAX_SHOWN + 7 {
            body.errors
                .push(FieldError::new(Some(long.clone()), long.clone(), None));
        }
        let report = Report::new(StatusCode::from_u16(502).ok(), body);
        let input = InputInfo {
            bytes_read: Some(10_000),
            truncated: true,
            content_type: None,
        };
        let text = render_human(&report, &input);
        assert!(text.len() < 200_000, "{} bytes", text.len());
        assert!(text.contains("... and 7 more (see --json)"));
        assert!(text.contains(&format!(
            " ... ({} more bytes)",
            2 * (MESSAGE_MAX_CHARS * 3 - MESSAGE_MAX_CHARS)
        )));
        let excerpt: Vec<&str> = text.lines().filter(|l| l.contains("| ")).collect();
        assert!(excerpt.len() <= EXCERPT_MAX_LINES + 1, "{excerpt:?}");
        assert_eq!(excerpt.last().map(|l| l.trim()), Some("| ..."));
        assert!(
            excerpt
                .iter()
                .all(|l| l.chars().count() <= LABEL_WIDTH + 2 + EXCERPT_LINE_CHARS)
        );
        assert!(text.contains("the first 10000 bytes of a longer input"));
    }

    #[test]
    fn wrapping_breaks_between_words() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("  aa   bb  ", 80), ["aa bb"]);
        assert_eq!(wrap("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
        assert_eq!(
            wrap("\u{e9}\u{e9}\u{e9}\u{e9}", 2),
            ["\u{e9}\u{e9}", "\u{e9}\u{e9}"]
        );
        assert!(wrap("", 10).is_empty());
    }

    #[test]
    fn retry_advice_follows_the_status() {
        let advice = |code: u16| {
            retry_advice(&Report::new(
                StatusCode::from_u16(code).ok(),
                unstructured("x"),
            ))
        };
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(advice(code).starts_with("yes"), "{code}");
        }
        for code in [
            400, 401, 402, 403, 404, 405, 409, 418, 501, 507, 101, 302, 600,
        ] {
            assert!(advice(code).starts_with("no:"), "{code}");
        }
        assert_eq!(advice(200), "no need: nothing failed");
    }

    mod properties {
        use super::*;
        use impact_errors::DecodedBody;
        use proptest::prelude::*;

        const FORMATS: [BodyFormat; 4] = [
            BodyFormat::Empty,
            BodyFormat::Json,
            BodyFormat::Xml,
            BodyFormat::Text,
        ];
        const SHAPES: [BodyShape; 7] = [
            BodyShape::Envelope,
            BodyShape::Conversion,
            BodyShape::Success,
            BodyShape::Problem,
            BodyShape::Spring,
            BodyShape::Unstructured,
            BodyShape::Empty,
        ];

        /// Any text, control characters and line ends included, sometimes long.
        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[\\x00-\\x1f\\x7f-\\u{9f} a-z\\u{e9}\\u{1f600}]{0,40}",
                (any::<char>(), 0usize..5_000).prop_map(|(c, n)| c.to_string().repeat(n)),
            ]
        }

        fn field_error() -> impl Strategy<Value = FieldError> {
            (
                proptest::option::of(text()),
                text(),
                proptest::option::of(text()),
            )
                .prop_map(|(field, message, level)| FieldError::new(field, message, level))
        }

        fn report() -> impl Strategy<Value = Report> {
            (
                proptest::option::of(100u16..=999),
                0..FORMATS.len(),
                0..SHAPES.len(),
                (proptest::option::of(text()), proptest::option::of(text())),
                proptest::option::of(text()),
                proptest::collection::vec(field_error(), 0..60),
                proptest::collection::vec(field_error(), 0..3),
                prop_oneof![
                    Just(BodyVerdict::NoError),
                    Just(BodyVerdict::ReportsError),
                    Just(BodyVerdict::ApiError),
                ],
            )
                .prop_map(
                    |(
                        status,
                        format,
                        shape,
                        (own_status, message),
                        excerpt,
                        errors,
                        warnings,
                        verdict,
                    )| {
                        let mut body = DecodedBody::new(FORMATS[format], SHAPES[shape]);
                        body.status = own_status;
                        body.message = message;
                        body.excerpt = excerpt;
                        body.errors = errors;
                        body.warnings = warnings;
                        body.verdict = verdict;
                        Report::new(
                            status.and_then(|code| StatusCode::from_u16(code).ok()),
                            body,
                        )
                    },
                )
        }

        /// Checks that the human report is safe for a terminal and bounded, and that the JSON
        /// report carries every value exactly.
        fn check(report: &Report, expect_max_line_chars: usize) {
            let input = InputInfo {
                bytes_read: Some(1_000),
                truncated: false,
                content_type: Some("application/json"),
            };
            let text = render_human(report, &input);
            for line in text.lines() {
                assert!(!line.chars().any(char::is_control), "{line:?}");
                assert!(
                    line.chars().count() <= expect_max_line_chars,
                    "{} chars",
                    line.chars().count()
                );
            }
            assert!(text.lines().count() <= 2 * ERRORS_MAX_SHOWN + EXCERPT_MAX_LINES + 12);

            let json: serde_json::Value =
                serde_json::from_str(&ReportJson::new(report).to_line()).expect("valid JSON");
            let body = &report.body();
            assert_eq!(json["message"].as_str(), body.message.as_deref());
            assert_eq!(json["status"].as_str(), body.status.as_deref());
            assert_eq!(json["is_error"].as_bool(), Some(report.is_error()));
            assert_eq!(json["retryable"].as_bool(), Some(report.retryable()));
            let errors = json["errors"].as_array().expect("errors is an array");
            assert_eq!(errors.len(), body.errors.len());
            for (got, want) in errors.iter().zip(&body.errors) {
                assert_eq!(got["field"].as_str(), want.field.as_deref());
                assert_eq!(got["message"].as_str(), Some(want.message.as_str()));
                assert_eq!(got["level"].as_str(), want.level.as_deref());
            }
        }

        proptest! {
            #[test]
            fn reports_are_safe_bounded_and_exact(report in report()) {
                // An escaped control character takes at most 6 characters (`\u{9f}`), and a
                // field error line holds a field, a message and a level of FIELD_MAX_CHARS each.
                let max_line = LABEL_WIDTH + 6 * (MESSAGE_MAX_CHARS.max(3 * FIELD_MAX_CHARS)) + 200;
                check(&report, max_line);
            }
        }
    }
}
