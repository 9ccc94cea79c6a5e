//! Format sniffing, tolerant decoding of any body into the model of impact-errors, and the
//! bounded excerpt kept for bodies without structure (SPEC 2.2, 2.3 and 6.1).

use impact_errors::{BodyFormat, BodyShape, DecodedBody, Report, StatusCode};

use crate::prefilter;

use crate::{json, xml};

/// The most bytes [`DecodedBody::excerpt`] holds.
///
/// The excerpt is the body's text decoded lossily as UTF-8, control characters replaced by
/// U+FFFD, runs of whitespace collapsed to one space, trimmed, and cut on a character boundary
/// so that it holds at most this many bytes (the last three of them `...` when it was cut). For
/// HTML, the tags, comments and the contents of `script` and `style` are dropped so that the
/// excerpt is the page's readable text.
pub const EXCERPT_MAX_BYTES: usize = 512;

/// The bytes after a UTF-8 byte-order mark and surrounding whitespace.
fn trim_body(body: &[u8]) -> &[u8] {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |last| last + 1);
    &body[start..end.max(start)]
}

/// Which syntax a body can only be, from its first byte after a byte-order mark and whitespace:
/// `<` can only start XML and any other byte can only start JSON. Every reader of bodies
/// (decoding, sniffing, the prefilter, pages and typed decoding) dispatches through this one
/// rule, so that they always agree.
pub(crate) enum Syntax<'a> {
    /// Nothing but a byte-order mark and whitespace.
    Empty,
    /// The trimmed body, which starts with `<`.
    Xml(&'a [u8]),
    /// The trimmed body, which starts with anything else.
    Json(&'a [u8]),
}

impl Syntax<'_> {
    pub(crate) fn of(body: &[u8]) -> Syntax<'_> {
        let trimmed = trim_body(body);
        match trimmed.first() {
            None => Syntax::Empty,
            Some(b'<') => Syntax::Xml(trimmed),
            Some(_) => Syntax::Json(trimmed),
        }
    }
}

/// What one parse of the body found.
enum Parsed {
    Empty,
    /// A known shape, filled into the caller's body.
    Shaped,
    /// A well-formed document of no known shape.
    Unshaped(BodyFormat),
    Text,
}

/// Parses the body once in the one format its first byte allows and recognises its shape.
/// A body of known shape is filled into `decoded`, a new [`DecodedBody`], in place: the model
/// is large, and moving it through return values cost several percent of a small decode.
fn parse(body: &[u8], decoded: &mut DecodedBody) -> Parsed {
    match Syntax::of(body) {
        Syntax::Empty => Parsed::Empty,
        Syntax::Xml(trimmed) => {
            let Ok(text) = std::str::from_utf8(trimmed) else {
                return Parsed::Text;
            };
            match xml::decode(text) {
                Ok(Some(body)) => {
                    *decoded = body;
                    Parsed::Shaped
                }
                Ok(None) => Parsed::Unshaped(BodyFormat::Xml),
                Err(_) => Parsed::Text,
            }
        }
        Syntax::Json(trimmed) => {
            let Ok(text) = std::str::from_utf8(trimmed) else {
                return Parsed::Text;
            };
            let mut top = json::Top::default();
            match json::parse(text, &mut top) {
                Ok(()) if json::classify(&mut top, decoded) => Parsed::Shaped,
                Ok(()) => Parsed::Unshaped(BodyFormat::Json),
                Err(_) => Parsed::Text,
            }
        }
    }
}

/// Sniffs the format of a body from its bytes alone (SPEC 6.1).
///
/// `empty` when only a byte-order mark and whitespace remain; `json` when the rest is one
/// whole JSON document; `xml` when it is one well-formed XML document whose root is not `html`
/// and that declares no entities; `text` otherwise.
///
/// ```
/// use impact_codec::sniff;
/// use impact_errors::BodyFormat;
///
/// assert_eq!(sniff(b"\xEF\xBB\xBF  {\"Status\":\"OK\"}\n"), BodyFormat::Json);
/// assert_eq!(sniff(b"<ImpactRadiusResponse/>"), BodyFormat::Xml);
/// assert_eq!(sniff(b"<html><body>Bad Gateway</body></html>"), BodyFormat::Text);
/// assert_eq!(sniff(b"{\"Status\":"), BodyFormat::Text);
/// assert_eq!(sniff(b" \r\n"), BodyFormat::Empty);
/// ```
pub fn sniff(body: &[u8]) -> BodyFormat {
    // The same single parse as decoding, so that both always agree.
    let mut decoded = DecodedBody::empty();
    match parse(body, &mut decoded) {
        Parsed::Empty => BodyFormat::Empty,
        Parsed::Shaped => decoded.format,
        Parsed::Unshaped(format) => format,
        Parsed::Text => BodyFormat::Text,
    }
}

/// Decodes any response body into the model of impact-errors. Never fails and never panics:
/// a body of no known shape is kept as a bounded excerpt.
///
/// The format is sniffed from the bytes: the API is known to send bodies in another format
/// than its `Content-Type` declares, so that header is not consulted. `http_status` decides
/// whether a parsed body of no known shape is `success` (the answer is not an error) or
/// `unstructured` (it is).
///
/// ```
/// use impact_codec::decode_body;
/// use impact_errors::{BodyShape, StatusCode};
///
/// let body = decode_body(
///     br#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#,
///     Some(StatusCode::BAD_REQUEST),
/// );
/// assert_eq!(body.shape, BodyShape::Envelope);
/// assert_eq!(body.errors[0].field.as_deref(), Some("AccountId"));
/// assert!(body.is_api_error());
/// ```
pub fn decode_body(body: &[u8], http_status: Option<StatusCode>) -> DecodedBody {
    let mut decoded = DecodedBody::empty();
    match parse(body, &mut decoded) {
        Parsed::Empty | Parsed::Shaped => {}
        Parsed::Unshaped(format) => {
            let status_is_error = http_status.is_some_and(|status| status.class().is_error());
            decoded = if status_is_error {
                let mut unstructured = DecodedBody::new(format, BodyShape::Unstructured);
                unstructured.excerpt = Some(excerpt(trim_body(body)));
                unstructured
            } else {
                DecodedBody::new(format, BodyShape::Success)
            };
        }
        Parsed::Text => {
            let trimmed = trim_body(body);
            decoded = DecodedBody::new(BodyFormat::Text, BodyShape::Unstructured);
            decoded.excerpt = Some(if looks_like_html(trimmed) {
                html_excerpt(trimmed)
            } else {
                excerpt(trimmed)
            });
        }
    }
    decoded
}

/// Decodes a body and classifies it with its HTTP status: what `impact explain` prints. Never
/// fails and never panics.
///
/// ```
/// use impact_codec::decode;
/// use impact_errors::{ErrorClass, StatusCode};
///
/// let report = decode(
///     br#"{"Status":"ERROR","Message":"Not permitted to run report"}"#,
///     Some(StatusCode::OK),
/// );
/// assert_eq!(report.class(), ErrorClass::ErrorInBody);
/// assert!(!report.retryable());
///
/// let report = decode(b"<html><title>502 Bad Gateway</title></html>", Some(StatusCode::BAD_GATEWAY));
/// assert!(report.retryable());
/// assert_eq!(report.body().excerpt.as_deref(), Some("502 Bad Gateway"));
/// ```
pub fn decode(body: &[u8], http_status: Option<StatusCode>) -> Report {
    Report::new(http_status, decode_body(body, http_status))
}

/// The report of an answer that is an error, or `None` for a success: what a client needs to
/// know of every response, in one call.
///
/// Any status but a 2xx is an error, whatever its body, and is decoded for its report. A 2xx is
/// an error only when its body is an API error by the rule of SPEC 2.2 (`Status: ERROR` beside
/// a `Message` or `Errors`); most success bodies are cleared by a byte search that costs a
/// small fraction of a decode ([`may_be_api_error`](crate::may_be_api_error)), so the common
/// path parses each body once, in the caller's own types.
///
/// ```
/// use impact_codec::error_report;
/// use impact_errors::{ErrorClass, StatusCode};
///
/// let page = br#"{"@page":"1","Campaigns":[{"Id":"1000","Name":"Spring sale"}]}"#;
/// assert!(error_report(page, StatusCode::OK).is_none());
///
/// let refused = br#"{"Status":"ERROR","Message":"Not permitted to run report"}"#;
/// let report = error_report(refused, StatusCode::OK).unwrap();
/// assert_eq!(report.class(), ErrorClass::ErrorInBody);
///
/// let report = error_report(b"", StatusCode::SERVICE_UNAVAILABLE).unwrap();
/// assert!(report.retryable());
/// ```
pub fn error_report(body: &[u8], status: StatusCode) -> Option<Report> {
    if status.is_success() && !prefilter::may_be_api_error(body) {
        return None;
    }
    let report = decode(body, Some(status));
    report.is_error().then_some(report)
}

/// Whether a text body looks like an HTML page, by its first bytes.
fn looks_like_html(trimmed: &[u8]) -> bool {
    let head = &trimmed[..trimmed.len().min(512)];
    let lower = |needle: &[u8]| {
        head.windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
    };
    head.first() == Some(&b'<') && (lower(b"<html") || lower(b"<!doctype html") || lower(b"<body"))
}

/// Whether an excerpt keeps the text as it is or drops an HTML page's markup.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Markup {
    Keep,
    Strip,
}

/// A bounded, UTF-8-safe excerpt of a body's text (see [`EXCERPT_MAX_BYTES`]), every byte of it
/// read as text.
///
/// The input is read only until the excerpt is full, so a multi-MiB body costs no more than
/// its first part.
///
/// ```
/// assert_eq!(impact_codec::excerpt(b"upstream\r\n  connect error"), "upstream connect error");
/// ```
pub fn excerpt(body: &[u8]) -> String {
    bounded_text(body, Markup::Keep)
}

/// A bounded, UTF-8-safe excerpt of an HTML page's readable text (see [`EXCERPT_MAX_BYTES`]):
/// tags, comments, and the contents of `script` and `style` are dropped.
///
/// The input is read only until the excerpt is full (plus one scan past a huge tag).
///
/// ```
/// let page = b"<html><head><style>h1 {}</style></head><body><h1>502 Bad Gateway</h1></body></html>";
/// assert_eq!(impact_codec::html_excerpt(page), "502 Bad Gateway");
/// ```
pub fn html_excerpt(body: &[u8]) -> String {
    bounded_text(body, Markup::Strip)
}

fn bounded_text(body: &[u8], markup: Markup) -> String {
    const ELLIPSIS: &str = "...";
    let mut out = String::with_capacity(EXCERPT_MAX_BYTES.min(body.len()) + 4);
    let mut pending_space = false;
    let mut truncated = false;
    let mut rest = body;
    while !rest.is_empty() {
        if markup == Markup::Strip && rest[0] == b'<' {
            rest = skip_markup(rest);
            pending_space = true;
            continue;
        }
        let (c, len) = next_char(rest);
        rest = &rest[len..];
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let c = if c.is_control() { '\u{FFFD}' } else { c };
        let space = pending_space && !out.is_empty();
        if out.len() + c.len_utf8() + usize::from(space) > EXCERPT_MAX_BYTES {
            truncated = true;
            break;
        }
        if space {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    if truncated {
        // Make room for the marker, cutting on a character boundary.
        while out.len() + ELLIPSIS.len() > EXCERPT_MAX_BYTES {
            out.pop();
        }
        out.push_str(ELLIPSIS);
    }
    out
}

/// The next character of possibly invalid UTF-8, and how many bytes it took (an invalid
/// sequence becomes one U+FFFD per byte).
fn next_char(bytes: &[u8]) -> (char, usize) {
    let width = match bytes[0] {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return ('\u{FFFD}', 1),
    };
    match bytes
        .get(..width)
        .and_then(|chunk| std::str::from_utf8(chunk).ok())
        .and_then(|s| s.chars().next())
    {
        Some(c) => (c, width),
        None => ('\u{FFFD}', 1),
    }
}

/// Skips one tag, comment or `script`/`style` element of an HTML page.
fn skip_markup(rest: &[u8]) -> &[u8] {
    if rest.starts_with(b"<!--") {
        return match find(rest, b"-->") {
            Some(index) => &rest[index + 3..],
            None => &[],
        };
    }
    for element in [&b"script"[..], b"style"] {
        let opens = rest
            .get(1..1 + element.len())
            .is_some_and(|name| name.eq_ignore_ascii_case(element));
        if opens {
            let mut close = Vec::with_capacity(element.len() + 2);
            close.extend_from_slice(b"</");
            close.extend_from_slice(element);
            return match find_ignore_case(rest, &close) {
                Some(index) => skip_tag(&rest[index..]),
                None => &[],
            };
        }
    }
    skip_tag(rest)
}

fn skip_tag(rest: &[u8]) -> &[u8] {
    match rest.iter().position(|&b| b == b'>') {
        Some(index) => &rest[index + 1..],
        None => &[],
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}
