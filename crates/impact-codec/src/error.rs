//! The errors of typed decoding and encoding, with the serde_json and quick-xml errors kept private.

use core::fmt;

/// What kind of failure a [`DecodeError`] is, as a program would branch on it.
///
/// ```
/// use impact_codec::{DecodeErrorKind, from_json};
///
/// let error = from_json::<Vec<u32>>(b"[1,").unwrap_err();
/// assert_eq!(error.classify(), DecodeErrorKind::Eof);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeErrorKind {
    /// The bytes are not well-formed JSON or XML.
    Syntax,
    /// The document is well-formed but does not fit the expected type or shape.
    Data,
    /// The document ended before it was complete.
    Eof,
    /// The document nests deeper than the decoder allows.
    TooDeep,
    /// The bytes are not valid UTF-8.
    Encoding,
    /// The XML document declares or references entities, which are never expanded.
    Entity,
}

impl DecodeErrorKind {
    /// A short lowercase name: `syntax`, `data`, `eof`, `too_deep`, `encoding` or `entity`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DecodeErrorKind::Syntax => "syntax",
            DecodeErrorKind::Data => "data",
            DecodeErrorKind::Eof => "eof",
            DecodeErrorKind::TooDeep => "too_deep",
            DecodeErrorKind::Encoding => "encoding",
            DecodeErrorKind::Entity => "entity",
        }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a body could not be decoded into the type asked for, and where.
///
/// The parsers' own error types stay private so that their versions are not part of this
/// crate's API; the message is kept as text for people. Its `Display` wording may change:
/// programs branch on [`DecodeError::classify`] and read [`DecodeError::line`] and
/// [`DecodeError::column`].
///
/// ```
/// use impact_codec::{DecodeErrorKind, from_json};
///
/// #[derive(serde::Deserialize, Debug)]
/// struct Job { #[serde(rename = "Id")] id: u64 }
///
/// let error = from_json::<Job>(b"{\n\"Id\": \"x\"}").unwrap_err();
/// assert_eq!(error.classify(), DecodeErrorKind::Data);
/// assert_eq!(error.line(), 2);
/// assert!(error.to_string().starts_with("invalid json body at line 2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    format: &'static str,
    line: usize,
    column: usize,
    message: String,
}

impl DecodeError {
    pub(crate) fn new(
        kind: DecodeErrorKind,
        format: &'static str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> DecodeError {
        DecodeError {
            kind,
            format,
            line,
            column,
            message: message.into(),
        }
    }

    /// An error located at a byte offset of `body`, converted to a line and a column.
    pub(crate) fn at_offset(
        kind: DecodeErrorKind,
        format: &'static str,
        body: &[u8],
        offset: usize,
        message: impl Into<String>,
    ) -> DecodeError {
        let (line, column) = line_column(body, offset);
        DecodeError::new(kind, format, line, column, message)
    }

    /// A serde_json error, classified by its category and, for a syntax error, by whether the
    /// document nests as deep as serde_json's recursion limit before the error: that limit is
    /// reported as a syntax error, and its message text is not an API to match on. `body` is
    /// the text serde_json read, when it read one (a [`serde_json::Value`] has no limit).
    pub(crate) fn from_json(error: &serde_json::Error, body: Option<&[u8]>) -> DecodeError {
        use serde_json::error::Category;
        let text = error.to_string();
        // serde_json appends " at line L column C"; keep only the reason, the position is
        // reported separately.
        let reason = match text.rfind(" at line ") {
            Some(index) => lowercase_first_word(&text[..index]),
            None => lowercase_first_word(&text),
        };
        let kind = match error.classify() {
            Category::Syntax
                if body.is_some_and(|body| {
                    json_depth_reached(body, error.line(), error.column())
                        >= SERDE_JSON_RECURSION_LIMIT
                }) =>
            {
                DecodeErrorKind::TooDeep
            }
            Category::Io | Category::Syntax => DecodeErrorKind::Syntax,
            Category::Data => DecodeErrorKind::Data,
            Category::Eof => DecodeErrorKind::Eof,
        };
        DecodeError::new(kind, "json", error.line(), error.column(), reason)
    }

    /// The kind of failure.
    pub fn classify(&self) -> DecodeErrorKind {
        self.kind
    }

    /// The 1-based line of the failure, or 0 when it has no position.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column (in bytes) of the failure, or 0 when it has no position.
    pub fn column(&self) -> usize {
        self.column
    }
}

/// `invalid json body at line 1 column 4: expected value`.
impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} body", self.format)?;
        if self.line > 0 {
            write!(f, " at line {} column {}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DecodeError {}

/// Why a value could not be encoded (a map with non-string keys, a failing `Serialize`). Its
/// `Display` wording is for people and may change.
///
/// ```
/// use std::collections::BTreeMap;
///
/// let mut map = BTreeMap::new();
/// map.insert(vec![1u8], 2u8);
/// let error = impact_codec::to_json(&map).unwrap_err();
/// assert!(error.to_string().starts_with("cannot encode json"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    message: String,
}

impl EncodeError {
    pub(crate) fn from_json(error: &serde_json::Error) -> EncodeError {
        EncodeError {
            message: error.to_string(),
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot encode json: {}", self.message)
    }
}

impl std::error::Error for EncodeError {}

/// How deep serde_json lets a document nest before it stops with an error.
const SERDE_JSON_RECURSION_LIMIT: usize = 128;

/// The deepest nesting of arrays and objects in a JSON text up to and including the byte at a
/// 1-based line and column (brackets inside strings do not count).
fn json_depth_reached(body: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|&(_, &byte)| byte == b'\n')
            .nth(line - 2)
            .map_or(body.len(), |(index, _)| index + 1)
    };
    let end = line_start.saturating_add(column).min(body.len());
    let (mut depth, mut deepest) = (0_usize, 0_usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in &body[..end] {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The 1-based line and byte column of `offset` in `body`.
pub(crate) fn line_column(body: &[u8], offset: usize) -> (usize, usize) {
    let before = &body[..offset.min(body.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = match before.iter().rposition(|&b| b == b'\n') {
        Some(newline) => before.len() - newline,
        None => before.len() + 1,
    };
    (line, column)
}

/// Error messages start in lower case, as Rust's do; only the first word is changed so that
/// names quoted later in the message keep their case (`EOF while parsing` becomes `eof ...`).
pub(crate) fn lowercase_first_word(text: &str) -> String {
    let end = text.find(' ').unwrap_or(text.len());
    let mut out = text[..end].to_lowercase();
    out.push_str(&text[end..]);
    out
}
