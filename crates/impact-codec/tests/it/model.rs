//! A reference model of SPEC 2.2 and 6.1 for the property tests: descriptions of bodies as a
//! generator built them, writers that turn a description into bytes, and what SPEC 6.1 says
//! `decode` must report, computed from the description alone (never from the bytes, never
//! through the codec).
//!
//! Where SPEC leaves a reading open, the model takes the one the codec documents and the
//! reviewed fixture snapshots pin: a key whose value is `null` counts as absent, a repeated key
//! keeps its last value, `Errors` may also be a bare string or an object that is itself one
//! item, the Job exception of SPEC 2.2 holds for XML as well as for JSON, and XML element
//! names match in any letter case and with any namespace prefix (JSON keys match exactly).

use std::fmt::Write as _;

/// A JSON value as a generator built it: objects keep their key order and repeated keys.
#[derive(Clone, Debug)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// Any integer serde_json reads as one (`i64` or `u64`).
    Int(i128),
    /// A finite float, written in its shortest form (`404.0`, `2.5`, `1e300`).
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// An XML element as a generator built it.
#[derive(Clone, Debug)]
pub(crate) struct Elem {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
}

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Elem(Elem),
    Text(String),
    CData(String),
    Comment(String),
    /// A processing instruction, `<?target data?>`.
    Pi(String),
    /// A reference to a declared entity, `&name;` (only in [`Doc::EntityXml`]).
    EntityRef(String),
}

/// What a body is, before decoration.
#[derive(Clone, Debug)]
pub(crate) enum Doc {
    Json(Json),
    Xml {
        prolog: bool,
        root: Elem,
    },
    /// An XML document whose DOCTYPE declares an entity (internal or external) that its root
    /// uses: never expanded, so text (SPEC 6.1).
    EntityXml {
        external: bool,
        root: Elem,
    },
    /// Plain text that starts with an upper-case ASCII letter, so that it is never JSON.
    Text(String),
    /// An HTML page: `<html>` in some letter case, with or without a DOCTYPE or a prolog.
    Html(String),
    /// Bytes that are not UTF-8 (a PDF, an image).
    Binary(Vec<u8>),
    /// Nothing at all (with the decoration, a BOM and whitespace at most).
    Empty,
}

/// A body: a document and how it is dressed.
#[derive(Clone, Debug)]
pub(crate) struct Body {
    pub(crate) doc: Doc,
    pub(crate) bom: bool,
    pub(crate) lead: String,
    pub(crate) trail: String,
    /// Drives the random choices of the writers (whitespace between tokens, escapes, character
    /// references); zero writes the canonical compact form.
    pub(crate) layout: u64,
    /// Bytes written right after a JSON or XML document: data after the end (`x`, `{}`, a
    /// second root) or, after XML, a comment or processing instruction, which may follow it.
    pub(crate) junk: Option<&'static str>,
    /// Where the body is cut, as a fraction of its length in 1/1000ths; `None` keeps it whole.
    pub(crate) cut: Option<u16>,
}

/// The written bytes and where the document sits among them.
pub(crate) struct Written {
    pub(crate) bytes: Vec<u8>,
    /// The length of the byte-order mark and the leading whitespace.
    doc_start: usize,
    /// Where the document ends (junk and trailing whitespace follow).
    doc_end: usize,
    /// Where the junk after the document ends.
    junk_end: usize,
    /// The length before the cut.
    whole: usize,
}

impl Body {
    pub(crate) fn write(&self) -> Written {
        let mut layout = Layout::new(self.layout);
        let mut bytes = Vec::new();
        if self.bom {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(self.lead.as_bytes());
        let doc_start = bytes.len();
        match &self.doc {
            Doc::Json(value) => {
                let mut out = String::new();
                value.write(&mut out, &mut layout);
                bytes.extend_from_slice(out.as_bytes());
            }
            Doc::Xml { prolog, root } => {
                let mut out = String::new();
                if *prolog {
                    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
                    out.push_str(layout.xml_space());
                }
                root.write(&mut out, &mut layout);
                bytes.extend_from_slice(out.as_bytes());
            }
            Doc::EntityXml { external, root } => {
                let (declaration, name) = if *external {
                    ("<!ENTITY xxe SYSTEM \"file:///etc/passwd\">", "xxe")
                } else {
                    (
                        "<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">",
                        "lol2",
                    )
                };
                let mut root = root.clone();
                root.children.push(Node::Elem(Elem::new(
                    "Message",
                    vec![Node::EntityRef(name.to_owned())],
                )));
                let mut out = format!(
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE {} [{declaration}]>\n",
                    root.name
                );
                root.write(&mut out, &mut layout);
                bytes.extend_from_slice(out.as_bytes());
            }
            Doc::Text(text) | Doc::Html(text) => bytes.extend_from_slice(text.as_bytes()),
            Doc::Binary(data) => bytes.extend_from_slice(data),
            Doc::Empty => {}
        }
        let doc_end = bytes.len();
        if let (Some(junk), Doc::Json(_) | Doc::Xml { .. }) = (self.junk, &self.doc) {
            bytes.extend_from_slice(junk.as_bytes());
        }
        let junk_end = bytes.len();
        bytes.extend_from_slice(self.trail.as_bytes());
        let whole = bytes.len();
        if let Some(cut) = self.cut.filter(|_| self.can_be_cut()) {
            bytes.truncate(whole * usize::from(cut) / 1000);
        }
        Written {
            bytes,
            doc_start,
            doc_end,
            junk_end,
            whole,
        }
    }

    /// A JSON scalar cut short can still be a JSON scalar (`12` of `123`): the generators cut
    /// only documents that a cut always breaks.
    fn can_be_cut(&self) -> bool {
        !matches!(
            self.doc,
            Doc::Json(Json::Null | Json::Bool(_) | Json::Int(_) | Json::Float(_) | Json::Str(_))
        )
    }
}

/// Random choices of the writers from a seed (SplitMix64); the seed zero makes none.
struct Layout(u64);

impl Layout {
    fn new(seed: u64) -> Layout {
        Layout(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True about once in `n` draws, never for the seed zero.
    fn one_in(&mut self, n: u64) -> bool {
        self.0 != 0 && self.next().is_multiple_of(n)
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        if self.0 == 0 {
            return options[0];
        }
        let index = usize::try_from(self.next() % options.len() as u64).unwrap();
        options[index]
    }

    /// Whitespace between JSON tokens (RFC 8259's four characters only).
    fn json_space(&mut self) -> &'static str {
        self.pick(&["", "", " ", "\n  ", "\t", "\r\n", "  \n\t "])
    }

    /// Whitespace between elements that hold only elements.
    fn xml_space(&mut self) -> &'static str {
        self.pick(&["", "", "\n", "\n  ", "\t", " "])
    }
}

impl Json {
    fn write(&self, out: &mut String, layout: &mut Layout) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => write!(out, "{b}").unwrap(),
            Json::Int(n) => write!(out, "{n}").unwrap(),
            Json::Float(f) => write!(out, "{f:?}").unwrap(),
            Json::Str(s) => write_json_string(s, out, layout),
            Json::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(layout.json_space());
                    item.write(out, layout);
                    out.push_str(layout.json_space());
                }
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (index, (key, value)) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(layout.json_space());
                    write_json_string(key, out, layout);
                    out.push_str(layout.json_space());
                    out.push(':');
                    out.push_str(layout.json_space());
                    value.write(out, layout);
                    out.push_str(layout.json_space());
                }
                out.push('}');
            }
        }
    }
}

/// A JSON string, some characters written as `\u` escapes (keys too: `"St\u0061tus"` is
/// `Status`), surrogate pairs beyond the BMP.
fn write_json_string(s: &str, out: &mut String, layout: &mut Layout) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => write!(out, "\\u{:04x}", u32::from(c)).unwrap(),
            '/' if layout.one_in(3) => out.push_str("\\/"),
            c if layout.one_in(6) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if layout.one_in(2) {
                        write!(out, "\\u{unit:04X}").unwrap();
                    } else {
                        write!(out, "\\u{unit:04x}").unwrap();
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Names whose direct text the model reads: whitespace is never added inside them.
const TEXT_ELEMENTS: [&str; 5] = ["Status", "Message", "StatusMessage", "Field", "Level"];

impl Elem {
    pub(crate) fn new(name: &str, children: Vec<Node>) -> Elem {
        Elem {
            name: name.to_owned(),
            attrs: Vec::new(),
            children,
        }
    }

    fn write(&self, out: &mut String, layout: &mut Layout) {
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attrs {
            write!(out, " {name}=\"").unwrap();
            write_xml_text(value, out, layout, Quote::Double);
            out.push('"');
        }
        if self.children.is_empty() && layout.one_in(2) {
            out.push_str("/>");
            return;
        }
        out.push('>');
        let spaced = !TEXT_ELEMENTS.iter().any(|name| is(&self.name, name))
            && self.children.iter().all(|c| matches!(c, Node::Elem(_)));
        for child in &self.children {
            if spaced {
                out.push_str(layout.xml_space());
            }
            match child {
                Node::Elem(elem) => elem.write(out, layout),
                Node::Text(text) => write_xml_text(text, out, layout, Quote::None),
                Node::CData(text) => write!(out, "<![CDATA[{text}]]>").unwrap(),
                Node::Comment(text) => write!(out, "<!--{text}-->").unwrap(),
                Node::Pi(text) => write!(out, "<?{text}?>").unwrap(),
                Node::EntityRef(name) => write!(out, "&{name};").unwrap(),
            }
        }
        if spaced && !self.children.is_empty() {
            out.push_str(layout.xml_space());
        }
        write!(out, "</{}>", self.name).unwrap();
    }
}

#[derive(PartialEq)]
enum Quote {
    None,
    Double,
}

/// Escaped character data or attribute value; some characters as character references.
/// Carriage returns are always references (a parser normalises a raw one away), and so are
/// tabs and line feeds in attributes.
fn write_xml_text(s: &str, out: &mut String, layout: &mut Layout, quote: Quote) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quote == Quote::Double => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' if quote == Quote::Double => write!(out, "&#{};", u32::from(c)).unwrap(),
            '\'' if layout.one_in(2) => out.push_str("&apos;"),
            c if layout.one_in(6) => {
                if layout.one_in(2) {
                    write!(out, "&#{};", u32::from(c)).unwrap();
                } else {
                    write!(out, "&#x{:X};", u32::from(c)).unwrap();
                }
            }
            c => out.push(c),
        }
    }
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Whether an element's name is `expected`, in any letter case and with any prefix.
fn is(name: &str, expected: &str) -> bool {
    local_name(name).eq_ignore_ascii_case(expected)
}

/// What SPEC 2.2 says a body reports about an error.
// The names mirror `impact_errors::BodyVerdict`, which the model is compared with.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    NoError,
    /// An error in some shape, not an API error by the rule of SPEC 2.2.
    ReportsError,
    /// An API error by the rule of SPEC 2.2.
    ApiError,
}

/// One field error: field, message, level.
pub(crate) type Item = (Option<String>, String, Option<String>);

/// What `decode` must report for a body.
#[derive(Debug)]
pub(crate) struct Expected {
    pub(crate) format: &'static str,
    /// `None` for a parsed document of no known shape: `success` or `unstructured` by class.
    shape: Option<&'static str>,
    verdict: Verdict,
    status: Option<String>,
    message: Option<String>,
    errors: Vec<Item>,
    warnings: Vec<Item>,
}

impl Expected {
    fn of(format: &'static str, shape: Option<&'static str>) -> Expected {
        Expected {
            format,
            shape,
            verdict: Verdict::NoError,
            status: None,
            message: None,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The class of SPEC 6.1 for this body with `http_status`.
    pub(crate) fn class(&self, http_status: Option<u16>) -> &'static str {
        class(http_status, self.verdict)
    }

    /// The one-line rendering compared with the codec's (see `render`).
    pub(crate) fn render(&self, http_status: Option<u16>) -> String {
        let class = class(http_status, self.verdict);
        let is_error = class != "none";
        let retryable = is_error && matches!(http_status, Some(408 | 429 | 500 | 502 | 503 | 504));
        let shape = self
            .shape
            .unwrap_or(if is_error { "unstructured" } else { "success" });
        let excerpt = shape == "unstructured";
        render(
            [self.format, shape, class],
            [is_error, retryable, excerpt],
            (&self.status, &self.message),
            (&self.errors, &self.warnings),
        )
    }
}

/// One line that names everything the properties compare.
pub(crate) fn render(
    [format, shape, class]: [&str; 3],
    [is_error, retryable, excerpt]: [bool; 3],
    (status, message): (&Option<String>, &Option<String>),
    (errors, warnings): (&[Item], &[Item]),
) -> String {
    format!(
        "format={format} shape={shape} class={class} is_error={is_error} retryable={retryable} \
         excerpt={excerpt} status={status:?} message={message:?} errors={errors:?} warnings={warnings:?}"
    )
}

/// The class of SPEC 6.1, from the status and the verdict.
fn class(http_status: Option<u16>, verdict: Verdict) -> &'static str {
    match http_status {
        None if verdict == Verdict::NoError => "none",
        None => "error_in_body",
        Some(200..=299) if verdict == Verdict::ApiError => "error_in_body",
        Some(200..=299) => "none",
        Some(400) => "bad_request",
        Some(401) => "unauthorized",
        Some(402) => "request_failed",
        Some(403) => "forbidden",
        Some(404) => "not_found",
        Some(405) => "method_not_allowed",
        Some(409) => "conflict",
        Some(429) => "too_many_requests",
        Some(400..=499) => "client_error",
        Some(500..=599) => "server_error",
        Some(_) => "unexpected_status",
    }
}

/// What SPEC 6.1 says of a written body, from its description and where it was cut.
pub(crate) fn expect(body: &Body, written: &Written) -> Expected {
    let cut = written.bytes.len();
    if cut < written.whole && cut < written.doc_end {
        return if cut <= written.doc_start && !(body.bom && (1..3).contains(&cut)) {
            Expected::of("empty", Some("empty"))
        } else {
            // Whatever remains of an object, an array, an XML document, a text or a binary
            // body is text: a cut before the end of a document breaks it, a text stays text
            // (it starts with a letter JSON cannot start with), and part of a byte-order mark
            // is not UTF-8.
            Expected::of("text", Some("unstructured"))
        };
    }
    let expected = match &body.doc {
        Doc::Empty => Expected::of("empty", Some("empty")),
        Doc::Text(_) | Doc::Html(_) | Doc::Binary(_) | Doc::EntityXml { .. } => {
            Expected::of("text", Some("unstructured"))
        }
        Doc::Json(value) => expect_json(value),
        Doc::Xml { root, .. } => expect_xml(root),
    };
    // Anything but whitespace after a JSON document, and anything but whitespace, comments
    // and processing instructions after the root element, makes the body text; so does part
    // of a comment.
    let junk = &written.bytes[written.doc_end.min(cut)..written.junk_end.min(cut)];
    let may_follow_xml = |junk: &[u8]| {
        (junk.starts_with(b"<!--") && junk.ends_with(b"-->"))
            || (junk.starts_with(b"<?") && junk.ends_with(b"?>"))
    };
    if junk.is_empty() || (expected.format == "xml" && may_follow_xml(junk)) {
        expected
    } else {
        Expected::of("text", Some("unstructured"))
    }
}

// ---- JSON (SPEC 2.2 and the JSON rules of 6.1) ----

/// The last value of a key (a repeated key keeps its last value, as the fixtures pin).
fn get<'a>(entries: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Present: there, and not `null`.
fn present(value: Option<&Json>) -> bool {
    !matches!(value, None | Some(Json::Null))
}

fn is_number(value: Option<&Json>) -> bool {
    matches!(value, Some(Json::Int(_) | Json::Float(_)))
}

/// A scalar's text: a string as it is, a number as its decimal text, a boolean as a word.
fn text(value: Option<&Json>) -> Option<String> {
    match value? {
        Json::Str(s) => Some(s.clone()),
        Json::Int(n) => Some(n.to_string()),
        Json::Float(f) => Some(f.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Null | Json::Array(_) | Json::Object(_) => None,
    }
}

/// Which letter case of the item keys a list prefers: `Field` in `Errors`, `field` in
/// `errors` and `warnings`.
#[derive(Clone, Copy, PartialEq)]
enum Case {
    Upper,
    Lower,
}

/// The items of `Errors`, `errors` or `warnings` in any of their forms (SPEC 2.2: an array, an
/// empty array, `{"Error": item}`, `{"Error": [items]}`; and, as the codec documents, a bare
/// scalar or an object that is itself an item). `None` for `null`.
fn items(value: &Json, case: Case) -> Option<Vec<Item>> {
    match value {
        Json::Null => None,
        Json::Array(values) => Some(values.iter().filter_map(|v| item(v, case)).collect()),
        Json::Object(entries) => {
            let mut found = Vec::new();
            for (key, value) in entries {
                if key == "Error" || key == "error" {
                    found.extend(items(value, case).unwrap_or_default());
                }
            }
            if entries.iter().any(|(key, _)| item_slot(key).is_some()) {
                found.insert(0, item_parts(entries, case));
            }
            Some(found)
        }
        scalar => Some(vec![(None, text(Some(scalar)).unwrap_or_default(), None)]),
    }
}

/// One entry of an error list: an object is an item, a scalar is an item's message, `null`
/// and arrays are no item.
fn item(value: &Json, case: Case) -> Option<Item> {
    match value {
        Json::Object(entries) => Some(item_parts(entries, case)),
        Json::Null | Json::Array(_) => None,
        scalar => Some((None, text(Some(scalar)).unwrap_or_default(), None)),
    }
}

fn item_slot(key: &str) -> Option<(usize, Case)> {
    match key {
        "Field" => Some((0, Case::Upper)),
        "Message" => Some((1, Case::Upper)),
        "Level" => Some((2, Case::Upper)),
        "field" => Some((0, Case::Lower)),
        "message" => Some((1, Case::Lower)),
        "level" => Some((2, Case::Lower)),
        _ => None,
    }
}

/// Field, message and level of an item: the last key in the preferred case, else the last
/// in the other case; a missing message is empty.
fn item_parts(entries: &[(String, Json)], case: Case) -> Item {
    let mut parts: [Option<String>; 3] = [None, None, None];
    for (slot, part) in parts.iter_mut().enumerate() {
        let of_case = |wanted: Case| {
            entries
                .iter()
                .rev()
                .find(|(key, _)| item_slot(key) == Some((slot, wanted)))
                .map(|(_, value)| text(Some(value)))
        };
        let other = if case == Case::Upper {
            Case::Lower
        } else {
            Case::Upper
        };
        *part = of_case(case).or_else(|| of_case(other)).flatten();
    }
    let [field, message, level] = parts;
    (field, message.unwrap_or_default(), level)
}

fn expect_json(value: &Json) -> Expected {
    let Json::Object(entries) = value else {
        // A bare array or scalar: parsed, of no known shape.
        return Expected::of("json", None);
    };
    let key = |name: &str| get(entries, name);
    let status_is_error =
        matches!(key("Status"), Some(Json::Str(s)) if s.eq_ignore_ascii_case("ERROR"));
    let has_message = present(key("Message"));
    let has_errors = present(key("Errors"));
    let api_error = status_is_error && (has_message || has_errors || present(key("errors")));
    let job = present(key("StatusMessage")) && !has_message && !has_errors;

    let mut expected;
    if matches!(key("errors"), Some(Json::Array(_))) && !has_errors && !has_message {
        expected = Expected::of("json", Some("conversion"));
        expected.status = text(key("Status"));
        expected.message = text(key("message"));
        expected.errors = key("errors")
            .and_then(|v| items(v, Case::Lower))
            .unwrap_or_default();
        if !expected.errors.is_empty() {
            expected.verdict = Verdict::ReportsError;
        }
    } else if (has_errors || status_is_error || (has_message && !present(key("Status")))) && !job {
        expected = Expected::of("json", Some("envelope"));
        expected.status = text(key("Status"));
        expected.message = text(key("Message"));
        expected.errors = key("Errors")
            .and_then(|v| items(v, Case::Upper))
            .unwrap_or_default();
    } else if present(key("Status")) {
        expected = Expected::of("json", Some("success"));
        expected.status = text(key("Status"));
        expected.message = text(key("Message"));
    } else if matches!(key("status"), Some(Json::Str(_)))
        && (present(key("error")) || present(key("timestamp")))
    {
        expected = Expected::of("json", Some("spring"));
        expected.status = text(key("status"));
        expected.message = text(key("message")).or_else(|| text(key("error")));
        expected.verdict = Verdict::ReportsError;
    } else if (is_number(key("status")) || is_number(key("statusCode")))
        && (present(key("title")) || present(key("detail")) || present(key("message")))
    {
        expected = Expected::of("json", Some("problem"));
        expected.status = if is_number(key("status")) {
            text(key("status"))
        } else {
            text(key("statusCode"))
        };
        expected.message = text(key("title"))
            .or_else(|| text(key("detail")))
            .or_else(|| text(key("message")));
        expected.verdict = Verdict::ReportsError;
    } else {
        return Expected::of("json", None);
    }
    if api_error {
        expected.verdict = Verdict::ApiError;
    }
    expected.warnings = key("warnings")
        .and_then(|v| items(v, Case::Lower))
        .unwrap_or_default();
    expected
}

// ---- XML (SPEC 6.1) ----

/// The deepest nesting an XML document may have (SECURITY.md: deeper is text).
const MAX_XML_DEPTH: usize = 1024;

fn depth(elem: &Elem) -> usize {
    1 + elem
        .children
        .iter()
        .filter_map(|child| match child {
            Node::Elem(e) => Some(depth(e)),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// The character data directly inside an element.
fn own_text(elem: &Elem) -> String {
    elem.children
        .iter()
        .filter_map(|child| match child {
            Node::Text(t) | Node::CData(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn elements(elem: &Elem) -> impl Iterator<Item = &Elem> {
    elem.children.iter().filter_map(|child| match child {
        Node::Elem(e) => Some(e),
        _ => None,
    })
}

fn named<'a>(elem: &'a Elem, name: &'a str) -> impl Iterator<Item = &'a Elem> {
    elements(elem).filter(move |e| is(&e.name, name))
}

/// The items of `<Errors>`: one per `<Error>` (an empty one too, as `{}` is in JSON), and one
/// for `Field`/`Message`/`Level` written directly inside `<Errors>`.
fn xml_items(errors: &Elem, out: &mut Vec<Item>) {
    let mut bare: Option<[Option<String>; 3]> = None;
    for child in elements(errors) {
        let slot = ["Field", "Message", "Level"]
            .iter()
            .position(|name| is(&child.name, name));
        if is(&child.name, "Error") {
            if let Some(parts) = bare.take() {
                out.push(finish(parts));
            }
            let mut parts = [None, None, None];
            for part in elements(child) {
                if let Some(slot) = ["Field", "Message", "Level"]
                    .iter()
                    .position(|name| is(&part.name, name))
                {
                    parts[slot] = Some(own_text(part));
                }
            }
            out.push(finish(parts));
        } else if let Some(slot) = slot {
            bare.get_or_insert([None, None, None])[slot] = Some(own_text(child));
        }
    }
    if let Some(parts) = bare {
        out.push(finish(parts));
    }
}

fn finish([field, message, level]: [Option<String>; 3]) -> Item {
    (field, message.unwrap_or_default(), level)
}

fn expect_xml(root: &Elem) -> Expected {
    if depth(root) > MAX_XML_DEPTH || is(&root.name, "html") {
        return Expected::of("text", Some("unstructured"));
    }
    if !is(&root.name, "ImpactRadiusResponse") {
        return Expected::of("xml", None);
    }
    let status = named(root, "Status").last().map(own_text);
    let message = named(root, "Message").last().map(own_text);
    let has_errors = named(root, "Errors").next().is_some();
    let job = named(root, "StatusMessage").next().is_some() && message.is_none() && !has_errors;
    let status_is_error = status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("ERROR"));
    let shape = if (status_is_error || has_errors) && !job {
        "envelope"
    } else {
        "success"
    };
    let mut expected = Expected::of("xml", Some(shape));
    if status_is_error && (message.is_some() || has_errors) {
        expected.verdict = Verdict::ApiError;
    }
    for errors in named(root, "Errors") {
        xml_items(errors, &mut expected.errors);
    }
    expected.status = status;
    expected.message = message;
    expected
}

// ---- Descriptions of the committed fixtures ----

/// A JSON fixture as a description (its keys in serde_json's order; the generators shuffle
/// them anyway).
pub(crate) fn json_of(value: &serde_json::Value) -> Json {
    use serde_json::Value;
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .map_or_else(|| Json::Float(n.as_f64().unwrap_or_default()), Json::Int),
        Value::String(s) => Json::Str(s.clone()),
        Value::Array(items) => Json::Array(items.iter().map(json_of).collect()),
        Value::Object(map) => {
            Json::Object(map.iter().map(|(k, v)| (k.clone(), json_of(v))).collect())
        }
    }
}

/// An XML fixture as a description, or `None` when it is not a plain well-formed document
/// (a DOCTYPE, a reference to an entity, malformed).
pub(crate) fn xml_of(bytes: &[u8]) -> Option<(bool, Elem)> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).ok()?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Elem> = Vec::new();
    let mut prolog = false;
    let mut root = None;
    loop {
        let event = reader.read_event().ok()?;
        let open = |start: &quick_xml::events::BytesStart<'_>| -> Option<Elem> {
            let name = String::from_utf8(start.name().as_ref().to_vec()).ok()?;
            let mut attrs = Vec::new();
            for attr in start.attributes() {
                let attr = attr.ok()?;
                let key = String::from_utf8(attr.key.as_ref().to_vec()).ok()?;
                attrs.push((key, attr.unescape_value().ok()?.into_owned()));
            }
            Some(Elem {
                name,
                attrs,
                children: Vec::new(),
            })
        };
        match event {
            Event::Decl(_) => prolog = true,
            Event::Start(start) => stack.push(open(&start)?),
            Event::Empty(start) => {
                let elem = open(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(elem)),
                    None => root = Some(elem),
                }
            }
            Event::End(_) => {
                let elem = stack.pop()?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(elem)),
                    None => root = Some(elem),
                }
            }
            Event::Text(t) => {
                if let Some(parent) = stack.last_mut() {
                    parent
                        .children
                        .push(Node::Text(t.xml10_content().ok()?.into_owned()));
                }
            }
            Event::CData(t) => {
                let text = String::from_utf8(t.into_inner().into_owned()).ok()?;
                stack.last_mut()?.children.push(Node::CData(text));
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok()??
                } else {
                    match r.as_ref() {
                        b"lt" => '<',
                        b"gt" => '>',
                        b"amp" => '&',
                        b"apos" => '\'',
                        b"quot" => '"',
                        _ => return None,
                    }
                };
                stack.last_mut()?.children.push(Node::Text(c.to_string()));
            }
            Event::Comment(t) => {
                if let Some(parent) = stack.last_mut() {
                    let text = String::from_utf8(t.into_inner().into_owned()).ok()?;
                    parent.children.push(Node::Comment(text));
                }
            }
            Event::DocType(_) => return None,
            Event::PI(t) => {
                if let Some(parent) = stack.last_mut() {
                    let text = String::from_utf8(t.into_inner().into_owned()).ok()?;
                    parent.children.push(Node::Pi(text));
                }
            }
            Event::Eof => break,
        }
    }
    if stack.is_empty() {
        root.map(|root| (prolog, root))
    } else {
        None
    }
}

/// Shuffles `items` by a seed (Fisher-Yates), for descriptions loaded from fixtures.
pub(crate) fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut layout = Layout::new(seed);
    for i in (1..items.len()).rev() {
        let j = usize::try_from(layout.next() % (i as u64 + 1)).unwrap();
        items.swap(i, j);
    }
}

/// `text` with the letter case of each ASCII letter chosen by a seed.
pub(crate) fn recase(text: &str, seed: u64) -> String {
    let mut layout = Layout::new(seed);
    text.chars()
        .map(|c| {
            if layout.next().is_multiple_of(2) {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}
