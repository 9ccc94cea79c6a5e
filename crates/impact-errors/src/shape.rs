//! The formats and shapes a response body can take (SPEC 2.2 and 6.1).

use core::fmt;

/// What a body was, sniffed from its bytes (the `Content-Type` is only a hint).
///
/// ```
/// use impact_errors::BodyFormat;
///
/// assert_eq!(BodyFormat::Xml.as_str(), "xml");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyFormat {
    /// Nothing but a byte-order mark and whitespace.
    Empty,
    /// A complete JSON document.
    Json,
    /// A well-formed XML document whose root is not `html` and that declares no entities.
    Xml,
    /// Anything else: HTML, plain text, invalid UTF-8, truncated or malformed JSON or XML, XML
    /// that declares entities.
    Text,
}

impl BodyFormat {
    /// The name used in reports: `empty`, `json`, `xml` or `text`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BodyFormat::Empty => "empty",
            BodyFormat::Json => "json",
            BodyFormat::Xml => "xml",
            BodyFormat::Text => "text",
        }
    }
}

impl fmt::Display for BodyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the body shapes the API sends a body had.
///
/// ```
/// use impact_errors::BodyShape;
///
/// assert_eq!(BodyShape::Conversion.as_str(), "conversion");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyShape {
    /// The canonical envelope: `Status`, `Message`, `Errors` (JSON), or `<ImpactRadiusResponse>`
    /// reporting an error (XML).
    Envelope,
    /// The conversion and tracking endpoints' lower-case `errors` (and `warnings`) with `level`.
    Conversion,
    /// A success envelope or resource with a top-level `Status` (`OK`, `QUEUED`, `DELETED`, a
    /// Job's status, ...), or any other parsed body that does not report an error.
    Success,
    /// Problem style: a numeric `status` (or `statusCode`) with `title`, `detail` or `message`.
    Problem,
    /// Spring style: a string `status` with `error` or `timestamp`.
    Spring,
    /// A body that reports an error without any structure this crate knows: text, HTML, or a
    /// parsed document of an unknown shape on an error status.
    Unstructured,
    /// No body at all.
    Empty,
}

impl BodyShape {
    /// The name used in reports: `envelope`, `conversion`, `success`, `problem`, `spring`,
    /// `unstructured` or `empty`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BodyShape::Envelope => "envelope",
            BodyShape::Conversion => "conversion",
            BodyShape::Success => "success",
            BodyShape::Problem => "problem",
            BodyShape::Spring => "spring",
            BodyShape::Unstructured => "unstructured",
            BodyShape::Empty => "empty",
        }
    }
}

impl fmt::Display for BodyShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
