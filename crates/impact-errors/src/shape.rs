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

/// What a body says about an error, whatever its shape (SPEC 2.2 and 6.1).
///
/// Two questions decide a class and they are not the same: whether a 2xx answer is an error
/// (only an API error by the rule of SPEC 2.2 makes it one), and whether a body seen without
/// its status reports an error (any shape that reports one does). Every API error also reports
/// one, so three values cover every body.
///
/// ```
/// use impact_errors::{BodyVerdict, ErrorClass, StatusCode};
///
/// // A conversion body with `errors` but no `Status: ERROR`: an error on its own, not in a 200.
/// let verdict = BodyVerdict::ReportsError;
/// assert!(verdict.reports_error() && !verdict.is_api_error());
/// assert_eq!(ErrorClass::of_response(StatusCode::OK, verdict), ErrorClass::None);
/// assert_eq!(ErrorClass::of_body(verdict), ErrorClass::ErrorInBody);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BodyVerdict {
    /// The body reports no error.
    #[default]
    NoError,
    /// The body reports an error, but is not an API error by the rule of SPEC 2.2: a
    /// conversion body with `errors`, a problem or a Spring body. It makes a body seen without
    /// its status an error, not a 2xx answer.
    ReportsError,
    /// The body is an API error by the rule of SPEC 2.2: a top-level `Status` of `ERROR` (any
    /// case) beside a top-level `Message`, `Errors` or `errors`. It makes a 2xx answer an error.
    ApiError,
}

impl BodyVerdict {
    /// Whether the body is an API error by the rule of SPEC 2.2, which decides the class of a
    /// 2xx answer.
    pub const fn is_api_error(self) -> bool {
        matches!(self, BodyVerdict::ApiError)
    }

    /// Whether the body reports an error in any shape, which decides the class of a body seen
    /// without its status.
    pub const fn reports_error(self) -> bool {
        !matches!(self, BodyVerdict::NoError)
    }
}
