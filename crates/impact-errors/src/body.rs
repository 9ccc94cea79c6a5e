//! The model of a decoded response body and the report built from it and the HTTP status.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::{BodyFormat, BodyShape, BodyVerdict, ErrorClass, StatusCode};

/// One problem the API found with one field of the request, or a warning about it.
///
/// ```
/// use impact_errors::FieldError;
///
/// let error = FieldError::new(Some("AccountId".into()), "Not a numeric value".into(), None);
/// assert_eq!(error.to_string(), "AccountId: Not a numeric value");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldError {
    /// The request field at fault, when the API named one.
    pub field: Option<String>,
    /// What is wrong with it.
    pub message: String,
    /// The severity the conversion endpoints attach (`ERROR`, `WARNING`, ...).
    pub level: Option<String>,
}

impl FieldError {
    /// A field error from its parts.
    pub fn new(field: Option<String>, message: String, level: Option<String>) -> FieldError {
        FieldError {
            field,
            message,
            level,
        }
    }
}

/// `Field: message`, or the message alone.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) if !field.is_empty() => write!(f, "{field}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// What a response body said, whatever its format and shape.
///
/// Built by `impact-codec`'s decoder, which is the only place that reads bodies; this crate
/// only defines the model. Create one with [`DecodedBody::new`] and fill in its fields.
///
/// ```
/// use impact_errors::{BodyFormat, BodyShape, BodyVerdict, DecodedBody, FieldError};
///
/// let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Envelope);
/// body.status = Some("ERROR".into());
/// body.message = Some("Validation Failed".into());
/// body.errors.push(FieldError::new(Some("AccountId".into()), "Not a numeric value".into(), None));
/// body.verdict = BodyVerdict::ApiError;
/// assert_eq!(body.to_string(), "Validation Failed (AccountId: Not a numeric value)");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecodedBody {
    /// The format sniffed from the bytes.
    pub format: BodyFormat,
    /// The shape recognised.
    pub shape: BodyShape,
    /// The body's own status value (`ERROR`, `OK`, `QUEUED`, a problem body's number as text,
    /// a Spring body's `FORBIDDEN`, ...).
    pub status: Option<String>,
    /// The body's message (`Message`, `message`, `title`, `detail` or `error`, by shape).
    pub message: Option<String>,
    /// The field errors, in the order the body listed them.
    pub errors: Vec<FieldError>,
    /// Warnings, where the shape carries them (conversion endpoints).
    pub warnings: Vec<FieldError>,
    /// For bodies without a structure: a bounded, UTF-8-safe excerpt of the text.
    pub excerpt: Option<String>,
    /// What the body says about an error: nothing, an error in some shape, or an API error by
    /// the rule of SPEC 2.2 (which alone makes a 2xx answer an error).
    pub verdict: BodyVerdict,
}

impl DecodedBody {
    /// An empty model of the given format and shape, to be filled in.
    pub fn new(format: BodyFormat, shape: BodyShape) -> DecodedBody {
        DecodedBody {
            format,
            shape,
            status: None,
            message: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            excerpt: None,
            verdict: BodyVerdict::NoError,
        }
    }

    /// The model of an empty body.
    pub fn empty() -> DecodedBody {
        DecodedBody::new(BodyFormat::Empty, BodyShape::Empty)
    }

    /// Whether the body is an API error by the rule of SPEC 2.2 (see [`BodyVerdict`]).
    pub fn is_api_error(&self) -> bool {
        self.verdict.is_api_error()
    }

    /// Whether the body reports an error in any shape (see [`BodyVerdict`]).
    pub fn reports_error(&self) -> bool {
        self.verdict.reports_error()
    }
}

/// A one-line summary: the message and the field errors, or the excerpt.
impl fmt::Display for DecodedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(message) = self.message.as_deref().filter(|m| !m.is_empty()) {
            f.write_str(message)?;
            wrote = true;
        }
        if !self.errors.is_empty() {
            f.write_str(if wrote { " (" } else { "(" })?;
            for (index, error) in self.errors.iter().enumerate() {
                if index > 0 {
                    f.write_str("; ")?;
                }
                write!(f, "{error}")?;
            }
            f.write_str(")")?;
            wrote = true;
        }
        if !wrote {
            match self.excerpt.as_deref().filter(|e| !e.is_empty()) {
                Some(excerpt) => write!(f, "{excerpt:?}")?,
                None if self.shape == BodyShape::Empty => f.write_str("empty body")?,
                None => write!(f, "{} body", self.format)?,
            }
        }
        Ok(())
    }
}

/// A decoded body together with the HTTP status it came with: the class, whether it is an
/// error and whether retrying can help. This is what `impact explain` prints.
///
/// The class is derived from the status and the body when the report is made, so the parts
/// are read through accessors and cannot drift apart.
///
/// ```
/// use impact_errors::{BodyFormat, BodyShape, DecodedBody, ErrorClass, Report, StatusCode};
///
/// let report = Report::new(Some(StatusCode::SERVICE_UNAVAILABLE), DecodedBody::empty());
/// assert_eq!(report.class(), ErrorClass::ServerError);
/// assert!(report.retryable());
///
/// let report = Report::new(None, DecodedBody::new(BodyFormat::Json, BodyShape::Success));
/// assert!(!report.is_error());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Report {
    http_status: Option<StatusCode>,
    class: ErrorClass,
    body: DecodedBody,
}

impl Report {
    /// Classifies a decoded body by its status (SPEC 6.1). Without a status the body alone
    /// decides.
    pub fn new(http_status: Option<StatusCode>, body: DecodedBody) -> Report {
        let class = match http_status {
            Some(status) => ErrorClass::of_response(status, body.verdict),
            None => ErrorClass::of_body(body.verdict),
        };
        Report {
            http_status,
            class,
            body,
        }
    }

    /// The HTTP status, when known.
    pub fn http_status(&self) -> Option<StatusCode> {
        self.http_status
    }

    /// The class derived from the status and the body.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// The decoded body.
    pub fn body(&self) -> &DecodedBody {
        &self.body
    }

    /// The decoded body, consuming the report.
    pub fn into_body(self) -> DecodedBody {
        self.body
    }

    /// Whether the response is an error: its class is not [`ErrorClass::None`].
    pub fn is_error(&self) -> bool {
        self.class.is_error()
    }

    /// Whether retrying can help: an error whose status is 408, 429, 500, 502, 503 or 504.
    pub fn retryable(&self) -> bool {
        self.is_error() && self.http_status.is_some_and(StatusCode::is_retryable)
    }
}

/// `503 Service Unavailable: the API is unavailable for now: <body summary>`.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.http_status {
            Some(status) => write!(f, "{status}")?,
            None => f.write_str("response")?,
        }
        write!(f, " ({}): {}", self.class, self.body)
    }
}
