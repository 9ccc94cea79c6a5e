//! What happened to a failed attempt, and whether the request may be sent twice.

use core::fmt;

use impact_errors::{BodyVerdict, ErrorClass, StatusCode};

/// How an attempt failed before a complete response could be read.
///
/// ```
/// use impact_retry::TransportFailure;
///
/// assert!(TransportFailure::ConnectRefused.proves_not_processed());
/// assert!(!TransportFailure::Timeout.proves_not_processed());
/// assert_eq!(TransportFailure::BrokenBody.to_string(), "connection broken while reading the body");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// The connection was refused or could not be opened (DNS, TCP, TLS).
    ConnectRefused,
    /// The connection failed before the request was written out.
    NotSent,
    /// The attempt's timeout elapsed: the request may or may not have been processed.
    Timeout,
    /// The connection broke, or the body came up short of its `Content-Length`, after the
    /// request was sent (SPEC 3).
    BrokenBody,
}

impl TransportFailure {
    /// Whether this failure proves the server never processed the request, so that even a
    /// non-idempotent request can be sent again safely.
    pub const fn proves_not_processed(self) -> bool {
        matches!(
            self,
            TransportFailure::ConnectRefused | TransportFailure::NotSent
        )
    }

    /// A short snake_case name for logs: `connect_refused`, `not_sent`, `timeout`,
    /// `broken_body`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransportFailure::ConnectRefused => "connect_refused",
            TransportFailure::NotSent => "not_sent",
            TransportFailure::Timeout => "timeout",
            TransportFailure::BrokenBody => "broken_body",
        }
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFailure::ConnectRefused => "connection refused",
            TransportFailure::NotSent => "failed before the request was sent",
            TransportFailure::Timeout => "attempt timed out",
            TransportFailure::BrokenBody => "connection broken while reading the body",
        })
    }
}

/// The result of one failed attempt: an answer with a status, or a transport failure.
///
/// A 2xx whose body reports `Status: ERROR` is passed as [`Outcome::ErrorInBody`]; like any
/// other 2xx it is never retried.
///
/// ```
/// use impact_errors::StatusCode;
/// use impact_retry::{Outcome, TransportFailure};
///
/// assert!(Outcome::Status(StatusCode::SERVICE_UNAVAILABLE).is_retryable());
/// assert!(!Outcome::Status(StatusCode::NOT_IMPLEMENTED).is_retryable());
/// assert!(Outcome::Transport(TransportFailure::Timeout).is_retryable());
/// assert!(!Outcome::ErrorInBody(StatusCode::OK).is_retryable());
/// assert_eq!(Outcome::Status(StatusCode::TOO_MANY_REQUESTS).to_string(), "429 Too Many Requests");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The server answered with this status.
    Status(StatusCode),
    /// The server answered with a 2xx status whose body is an API error (SPEC 2.2).
    ErrorInBody(StatusCode),
    /// No complete answer was received.
    Transport(TransportFailure),
}

impl Outcome {
    /// Whether the outcome is worth retrying at all (SPEC 3), before idempotency is
    /// considered: 408, 429, 500, 502, 503, 504 and every transport failure.
    pub const fn is_retryable(self) -> bool {
        match self {
            Outcome::Status(status) => status.is_retryable(),
            Outcome::ErrorInBody(_) => false,
            Outcome::Transport(_) => true,
        }
    }

    /// Whether a request that is not idempotent may be sent again after this outcome: only
    /// after a 429 (the API refused it unprocessed) or a failure proving it was never
    /// processed.
    pub const fn allows_non_idempotent_retry(self) -> bool {
        match self {
            Outcome::Status(status) => status.as_u16() == 429,
            Outcome::ErrorInBody(_) => false,
            Outcome::Transport(failure) => failure.proves_not_processed(),
        }
    }

    /// Whether this is a 429 answer, the only status on which reset headers are hints.
    pub const fn is_too_many_requests(self) -> bool {
        matches!(self, Outcome::Status(status) if status.as_u16() == 429)
    }

    /// The error class of an answer, `None` for a transport failure.
    pub const fn class(self) -> Option<ErrorClass> {
        match self {
            Outcome::Status(status) => Some(status.class()),
            Outcome::ErrorInBody(status) => {
                Some(ErrorClass::of_response(status, BodyVerdict::ApiError))
            }
            Outcome::Transport(_) => None,
        }
    }

    /// A short snake_case name for logs: the error class of an answer, or the transport
    /// failure's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Status(status) => status.class().as_str(),
            Outcome::ErrorInBody(status) => {
                ErrorClass::of_response(status, BodyVerdict::ApiError).as_str()
            }
            Outcome::Transport(failure) => failure.as_str(),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Status(status) => write!(f, "{status}"),
            Outcome::ErrorInBody(status) => write!(f, "{status} with an error in the body"),
            Outcome::Transport(failure) => write!(f, "{failure}"),
        }
    }
}

/// Whether sending a request twice has the same effect as sending it once.
///
/// ```
/// use impact_retry::Idempotency;
///
/// assert_eq!(Idempotency::from_method("get"), Idempotency::Idempotent);
/// assert_eq!(Idempotency::from_method("POST"), Idempotency::NotIdempotent);
/// assert_eq!(Idempotency::from_method("PATCH"), Idempotency::NotIdempotent);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// GET, HEAD, PUT, DELETE, OPTIONS, or a request the caller marked idempotent.
    Idempotent,
    /// POST, PATCH and any other method: retried only when the request was surely not
    /// processed. The API has no idempotency keys, so a retried POST can double-submit.
    NotIdempotent,
}

impl Idempotency {
    /// The idempotency of an HTTP method by RFC 9110, letter case ignored.
    pub fn from_method(method: &str) -> Idempotency {
        const IDEMPOTENT: [&str; 5] = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"];
        if IDEMPOTENT
            .iter()
            .any(|known| known.eq_ignore_ascii_case(method))
        {
            Idempotency::Idempotent
        } else {
            Idempotency::NotIdempotent
        }
    }
}
