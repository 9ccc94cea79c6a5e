//! HTTP status codes as the impact.com APIs use them, and the error classes derived from them.

use core::fmt;

use crate::BodyVerdict;

/// An HTTP status code, with the meaning impact.com gives it.
///
/// A small newtype in the spirit of `http::StatusCode`, but without a dependency on the `http`
/// crate so that it builds without `std`. Any three-digit value from 100 to 999 can be held:
/// the API (and the gateways in front of it) sometimes answer with codes outside the registered
/// ranges, and those are classed as [`ErrorClass::UnexpectedStatus`] rather than rejected.
///
/// The constants, reason phrases, classes, retryability and meanings of the codes the API is
/// known to send come from one declared table, so they cannot drift apart.
///
/// ```
/// use impact_errors::{ErrorClass, StatusCode};
///
/// let status = StatusCode::from_u16(503).unwrap();
/// assert!(status.is_server_error());
/// assert!(status.is_retryable());
/// assert_eq!(status.reason(), Some("Service Unavailable"));
/// assert_eq!(status.class(), ErrorClass::ServerError);
/// assert!(!StatusCode::NOT_IMPLEMENTED.is_retryable());
/// assert!(StatusCode::from_u16(99).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

/// The error returned by [`StatusCode::from_u16`] for a value outside 100 to 999.
///
/// Its `Display` wording is for people and may change; read the refused value with
/// [`InvalidStatusCode::value`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidStatusCode(u16);

impl InvalidStatusCode {
    /// The value that was refused.
    pub const fn value(self) -> u16 {
        self.0
    }
}

impl fmt::Display for InvalidStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid HTTP status code {}: must be from 100 to 999",
            self.0
        )
    }
}

impl core::error::Error for InvalidStatusCode {}

/// Whether an answer with a status is worth retrying: a column of the status table.
#[derive(Clone, Copy)]
enum Retry {
    /// A later attempt may succeed (SPEC 3: 408, 429, 500, 502, 503, 504).
    Retryable,
    /// Sending the same request again cannot change the answer.
    Final,
}

/// One table declares every code the impact.com docs and specs mention: the constant, the
/// number, the reason phrase, the class of an answer with that code whose body reports no
/// error, whether retrying can help, and what the code means for a caller of the API. Codes
/// outside the table get the class and meaning of their range, and are never retryable.
macro_rules! status_table {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $reason:literal, $class:ident, $retry:ident, $meaning:literal; )*) => {
        impl StatusCode {
            $(
                $(#[$doc])*
                pub const $name: StatusCode = StatusCode($code);
            )*

            /// The registered reason phrase, for the codes the impact.com APIs are known to send.
            pub const fn reason(self) -> Option<&'static str> {
                match self.0 {
                    $( $code => Some($reason), )*
                    _ => None,
                }
            }

            /// What this code means when the impact.com APIs send it, in one line.
            pub const fn meaning(self) -> &'static str {
                match self.0 {
                    $( $code => $meaning, )*
                    100..=199 => "an informational status the API does not use",
                    200..=299 => "the call succeeded",
                    300..=399 => "a redirect the client did not follow",
                    400..=499 => "the request was refused",
                    500..=599 => "the server failed",
                    _ => "a status code outside the HTTP ranges",
                }
            }

            /// The class of an answer with this status whose body reports no API error
            /// (SPEC 6.1). A 2xx is [`ErrorClass::None`] here; whether its body makes it
            /// [`ErrorClass::ErrorInBody`] is for [`ErrorClass::of_response`] to say.
            pub const fn class(self) -> ErrorClass {
                match self.0 {
                    $( $code => ErrorClass::$class, )*
                    200..=299 => ErrorClass::None,
                    400..=499 => ErrorClass::ClientError,
                    500..=599 => ErrorClass::ServerError,
                    _ => ErrorClass::UnexpectedStatus,
                }
            }

            /// Whether an answer with this status is worth retrying (SPEC 3): 408, 429, 500,
            /// 502, 503 and 504. Retryability follows the code, not its class: 501 is not
            /// retryable.
            pub const fn is_retryable(self) -> bool {
                let retry = match self.0 {
                    $( $code => Retry::$retry, )*
                    _ => Retry::Final,
                };
                matches!(retry, Retry::Retryable)
            }
        }
    };
}

status_table! {
    /// 200: everything worked as expected.
    OK = 200, "OK", None, Final, "everything worked as expected";
    /// 201: everything worked as expected; a resource was created.
    CREATED = 201, "Created", None, Final, "everything worked as expected";
    /// 202: the work was queued; a job is not ready yet.
    ACCEPTED = 202, "Accepted", None, Final, "the work was queued and is not ready yet";
    /// 302: a download redirect.
    FOUND = 302, "Found", UnexpectedStatus, Final, "a download redirect";
    /// 303: a download redirect.
    SEE_OTHER = 303, "See Other", UnexpectedStatus, Final, "a download redirect";
    /// 400: often a missing required parameter.
    BAD_REQUEST = 400, "Bad Request", BadRequest, Final, "the request was malformed, often a missing required parameter";
    /// 401: no valid API key was provided.
    UNAUTHORIZED = 401, "Unauthorized", Unauthorized, Final, "no valid API credentials were provided";
    /// 402: the parameters were valid but the request failed (registered as "Payment Required";
    /// impact.com calls it "Request Failed").
    REQUEST_FAILED = 402, "Request Failed", RequestFailed, Final, "the parameters were valid but the request failed";
    /// 403: a scoped token is disabled or lacks this endpoint, the account lacks it, or a
    /// business rule refused the call. A job replay also answers 403 while the job is queued.
    FORBIDDEN = 403, "Forbidden", Forbidden, Final, "the credentials may not use this endpoint, or a business rule refused the call";
    /// 404: the resource does not exist.
    NOT_FOUND = 404, "Not Found", NotFound, Final, "the requested resource does not exist";
    /// 405: the method is not supported on this resource.
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed", MethodNotAllowed, Final, "the method is not supported on this resource";
    /// 408: the server timed out waiting for the request.
    REQUEST_TIMEOUT = 408, "Request Timeout", ClientError, Retryable, "the server timed out waiting for the request";
    /// 409: a decision was already recorded (contracts).
    CONFLICT = 409, "Conflict", Conflict, Final, "the request conflicts with the resource's state, such as a decision already recorded";
    /// 429: a rate limit was exhausted.
    TOO_MANY_REQUESTS = 429, "Too Many Requests", TooManyRequests, Retryable, "a rate limit was exhausted; slow down";
    /// 500: something went wrong on impact.com's end.
    INTERNAL_SERVER_ERROR = 500, "Internal Server Error", ServerError, Retryable, "something went wrong on impact.com's end";
    /// 501: the server does not implement this; retrying cannot help.
    NOT_IMPLEMENTED = 501, "Not Implemented", ServerError, Final, "the server does not implement this request";
    /// 502: a gateway in front of the API failed.
    BAD_GATEWAY = 502, "Bad Gateway", ServerError, Retryable, "a gateway in front of the API failed";
    /// 503: the API is unavailable for now.
    SERVICE_UNAVAILABLE = 503, "Service Unavailable", ServerError, Retryable, "the API is unavailable for now";
    /// 504: a gateway in front of the API timed out.
    GATEWAY_TIMEOUT = 504, "Gateway Timeout", ServerError, Retryable, "a gateway in front of the API timed out";
}

impl StatusCode {
    /// A status code from its number: any three-digit value, 100 to 999.
    pub const fn from_u16(code: u16) -> Result<StatusCode, InvalidStatusCode> {
        if code < 100 || code > 999 {
            Err(InvalidStatusCode(code))
        } else {
            Ok(StatusCode(code))
        }
    }

    /// The number.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// 100 to 199.
    pub const fn is_informational(self) -> bool {
        matches!(self.0, 100..=199)
    }

    /// 200 to 299. A success status may still carry an error in its body: see
    /// [`ErrorClass::of_response`].
    pub const fn is_success(self) -> bool {
        matches!(self.0, 200..=299)
    }

    /// 300 to 399.
    pub const fn is_redirection(self) -> bool {
        matches!(self.0, 300..=399)
    }

    /// 400 to 499.
    pub const fn is_client_error(self) -> bool {
        matches!(self.0, 400..=499)
    }

    /// 500 to 599.
    pub const fn is_server_error(self) -> bool {
        matches!(self.0, 500..=599)
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// `429 Too Many Requests`, or just the number for a code without a known reason phrase.
impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason() {
            Some(reason) => write!(f, "{} {}", self.0, reason),
            None => write!(f, "{}", self.0),
        }
    }
}

impl From<StatusCode> for u16 {
    fn from(status: StatusCode) -> u16 {
        status.0
    }
}

impl TryFrom<u16> for StatusCode {
    type Error = InvalidStatusCode;

    fn try_from(code: u16) -> Result<StatusCode, InvalidStatusCode> {
        StatusCode::from_u16(code)
    }
}

#[cfg(feature = "http")]
impl From<http::StatusCode> for StatusCode {
    fn from(status: http::StatusCode) -> StatusCode {
        // `http::StatusCode` only holds 100 to 999, the same range.
        StatusCode(status.as_u16())
    }
}

/// What kind of failure a response is, as a program would branch on it.
///
/// The names (see [`ErrorClass::as_str`]) are those of the `impact explain --json` report.
///
/// ```
/// use impact_errors::{BodyVerdict, ErrorClass, StatusCode};
///
/// assert_eq!(ErrorClass::of_response(StatusCode::NOT_FOUND, BodyVerdict::NoError), ErrorClass::NotFound);
/// assert_eq!(ErrorClass::of_response(StatusCode::OK, BodyVerdict::ApiError), ErrorClass::ErrorInBody);
/// assert_eq!(ErrorClass::of_body(BodyVerdict::ReportsError), ErrorClass::ErrorInBody);
/// assert_eq!(StatusCode::NOT_IMPLEMENTED.class().as_str(), "server_error");
/// assert!(!ErrorClass::None.is_error());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Not an error: a 2xx whose body does not report one.
    None,
    /// A 2xx whose body is an API error (`Status: ERROR`), or, without a status, a body that
    /// reports an error in any shape.
    ErrorInBody,
    /// 400.
    BadRequest,
    /// 401.
    Unauthorized,
    /// 402.
    RequestFailed,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 409.
    Conflict,
    /// 429.
    TooManyRequests,
    /// Any other 4xx, 408 included.
    ClientError,
    /// Any 5xx.
    ServerError,
    /// 1xx, 3xx, and codes outside 100 to 599.
    UnexpectedStatus,
}

impl ErrorClass {
    /// Every class, in declaration order.
    pub const ALL: [ErrorClass; 13] = [
        ErrorClass::None,
        ErrorClass::ErrorInBody,
        ErrorClass::BadRequest,
        ErrorClass::Unauthorized,
        ErrorClass::RequestFailed,
        ErrorClass::Forbidden,
        ErrorClass::NotFound,
        ErrorClass::MethodNotAllowed,
        ErrorClass::Conflict,
        ErrorClass::TooManyRequests,
        ErrorClass::ClientError,
        ErrorClass::ServerError,
        ErrorClass::UnexpectedStatus,
    ];

    /// The class of an answer (SPEC 6.1): its status decides, except that a 2xx whose body
    /// is an API error by the rule of SPEC 2.2 is [`ErrorClass::ErrorInBody`].
    pub const fn of_response(status: StatusCode, body: BodyVerdict) -> ErrorClass {
        if status.is_success() && body.is_api_error() {
            ErrorClass::ErrorInBody
        } else {
            status.class()
        }
    }

    /// The class of a body seen without its HTTP status: [`ErrorClass::ErrorInBody`] when the
    /// body reports an error in any shape, else [`ErrorClass::None`].
    pub const fn of_body(body: BodyVerdict) -> ErrorClass {
        if body.reports_error() {
            ErrorClass::ErrorInBody
        } else {
            ErrorClass::None
        }
    }

    /// Whether this class is an error at all.
    pub const fn is_error(self) -> bool {
        !matches!(self, ErrorClass::None)
    }

    /// The snake_case name used in reports: `bad_request`, `too_many_requests`, `none`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorClass::None => "none",
            ErrorClass::ErrorInBody => "error_in_body",
            ErrorClass::BadRequest => "bad_request",
            ErrorClass::Unauthorized => "unauthorized",
            ErrorClass::RequestFailed => "request_failed",
            ErrorClass::Forbidden => "forbidden",
            ErrorClass::NotFound => "not_found",
            ErrorClass::MethodNotAllowed => "method_not_allowed",
            ErrorClass::Conflict => "conflict",
            ErrorClass::TooManyRequests => "too_many_requests",
            ErrorClass::ClientError => "client_error",
            ErrorClass::ServerError => "server_error",
            ErrorClass::UnexpectedStatus => "unexpected_status",
        }
    }

    /// What the class means and what to do about it, in one line a person can read.
    pub const fn meaning(self) -> &'static str {
        match self {
            ErrorClass::None => "the call succeeded",
            ErrorClass::ErrorInBody => {
                "the API reported an error in the body of a successful response"
            }
            ErrorClass::BadRequest => {
                "the request was malformed, often a missing required parameter; fix it before sending again"
            }
            ErrorClass::Unauthorized => {
                "no valid API credentials were provided; check the Account SID and auth token"
            }
            ErrorClass::RequestFailed => "the parameters were valid but the request failed",
            ErrorClass::Forbidden => {
                "the credentials may not use this endpoint, or a business rule refused the call"
            }
            ErrorClass::NotFound => "the requested resource does not exist",
            ErrorClass::MethodNotAllowed => "the method is not supported on this resource",
            ErrorClass::Conflict => {
                "the request conflicts with the resource's state, such as a decision already recorded"
            }
            ErrorClass::TooManyRequests => {
                "a rate limit was exhausted; wait for the reset before calling again"
            }
            ErrorClass::ClientError => "the API refused the request",
            ErrorClass::ServerError => "the API or a gateway in front of it failed",
            ErrorClass::UnexpectedStatus => "the API answered with a status it does not document",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: u16, body: BodyVerdict, class: &str, retryable: bool) {
        let code = StatusCode::from_u16(status).expect("in range");
        assert_eq!(
            ErrorClass::of_response(code, body).as_str(),
            class,
            "class of {status}"
        );
        assert_eq!(code.is_retryable(), retryable, "retryability of {status}");
    }

    #[test]
    fn classes_follow_spec_6_1() {
        use BodyVerdict::{ApiError, NoError};
        check(200, NoError, "none", false);
        check(201, ApiError, "error_in_body", false);
        check(202, NoError, "none", false);
        check(302, NoError, "unexpected_status", false);
        check(400, NoError, "bad_request", false);
        check(401, NoError, "unauthorized", false);
        check(402, NoError, "request_failed", false);
        check(403, NoError, "forbidden", false);
        check(404, NoError, "not_found", false);
        check(405, NoError, "method_not_allowed", false);
        check(408, NoError, "client_error", true);
        check(409, NoError, "conflict", false);
        check(418, ApiError, "client_error", false);
        check(429, NoError, "too_many_requests", true);
        check(500, NoError, "server_error", true);
        check(501, NoError, "server_error", false);
        check(502, NoError, "server_error", true);
        check(503, NoError, "server_error", true);
        check(504, NoError, "server_error", true);
        check(599, NoError, "server_error", false);
        check(100, NoError, "unexpected_status", false);
        check(700, NoError, "unexpected_status", false);
        assert!(
            StatusCode::from_u16(0).is_err(),
            "codes below 100 cannot be built"
        );
    }

    #[test]
    fn display_names_the_reason() {
        assert_eq!(
            format!("{}", StatusCode::REQUEST_FAILED),
            "402 Request Failed"
        );
        assert_eq!(format!("{}", StatusCode(599)), "599");
        assert_eq!(StatusCode::from_u16(1000).unwrap_err().value(), 1000);
        assert_eq!(StatusCode::from_u16(99).unwrap_err().value(), 99);
    }

    extern crate std;
    use std::format;
}
