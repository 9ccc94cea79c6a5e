//! Scripted misbehaviour: answers and byte-level failures a test asks the mock to produce.

use std::time::Duration;

use bytes::Bytes;
use impact_errors::DecodedBody;

/// What the body of a scripted answer is made of.
///
/// ```
/// use impact_mock::FaultBody;
///
/// let body = FaultBody::Raw(bytes::Bytes::from_static(b"<html>bad gateway</html>"));
/// assert!(matches!(body, FaultBody::Raw(_)));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultBody {
    /// No body.
    Empty,
    /// These bytes, exactly.
    Raw(Bytes),
    /// A decoded body encoded as JSON by `impact-codec`, in the shape it names.
    Json(DecodedBody),
    /// A decoded body encoded as XML by `impact-codec`.
    Xml(DecodedBody),
    /// `len` bytes made by repeating `pattern`, generated while sending so that a body of
    /// gigabytes costs no memory.
    Repeated {
        /// The total length in bytes.
        len: u64,
        /// The bytes repeated; an empty pattern repeats `x`.
        pattern: Bytes,
    },
}

/// How the answer breaks the HTTP/1.1 framing, if it does.
///
/// ```
/// use impact_mock::{Fault, Misbehaviour};
///
/// let fault = Fault::status(200).misbehave(Misbehaviour::ResetAfterBodyBytes(10));
/// assert_eq!(fault.misbehaviour(), Misbehaviour::ResetAfterBodyBytes(10));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    /// A well-formed answer; the connection stays open when the client wants it.
    None,
    /// Read the request, then reset the connection (TCP RST) without answering.
    ResetBeforeHeaders,
    /// Read the request, then close the connection cleanly without answering a byte.
    CloseBeforeHeaders,
    /// Send the headers and this many body bytes, then reset the connection.
    ResetAfterBodyBytes(u64),
    /// Declare a `Content-Length` this many bytes larger than the body, send the body, close.
    ContentLengthLonger(u64),
    /// Declare a `Content-Length` this many bytes smaller than the body, send all of it, close.
    ContentLengthShorter(u64),
    /// Send the body chunked, with a chunk-size line that is not hexadecimal after the first
    /// chunk, then close.
    BrokenChunked,
    /// Send the status line and the headers but never the blank line that ends them; hold the
    /// connection open until the client gives up.
    EndlessHeaders,
}

/// One scripted answer: a status, headers, a body and the ways the sending goes wrong.
///
/// Built with the constructors and the chained modifiers, then queued with
/// [`MockServer::push_fault`](crate::MockServer::push_fault).
///
/// ```
/// use std::time::Duration;
/// use impact_mock::Fault;
///
/// let fault = Fault::raw(503, "text/html", "<html>down</html>")
///     .header("Retry-After", "2")
///     .delay(Duration::from_millis(50));
/// assert_eq!(fault.status_code(), 503);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub(crate) status: u16,
    pub(crate) reason: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: FaultBody,
    pub(crate) delay: Duration,
    pub(crate) trickle: Option<(usize, Duration)>,
    pub(crate) misbehaviour: Misbehaviour,
    pub(crate) http10: bool,
}

impl Fault {
    /// An answer with this status and no body.
    pub fn status(status: u16) -> Fault {
        Fault {
            status,
            reason: None,
            headers: Vec::new(),
            body: FaultBody::Empty,
            delay: Duration::ZERO,
            trickle: None,
            misbehaviour: Misbehaviour::None,
            http10: false,
        }
    }

    /// An answer with this status, `Content-Type` and body bytes, sent as given.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Bytes>) -> Fault {
        Fault::status(status)
            .header("Content-Type", content_type)
            .body(FaultBody::Raw(body.into()))
    }

    /// An answer whose body is `body` encoded as JSON by `impact-codec`.
    pub fn json(status: u16, body: DecodedBody) -> Fault {
        Fault::status(status).body(FaultBody::Json(body))
    }

    /// An answer whose body is `body` encoded as XML by `impact-codec`.
    pub fn xml(status: u16, body: DecodedBody) -> Fault {
        Fault::status(status).body(FaultBody::Xml(body))
    }

    /// A redirect (`302`, `303`, ...) to `location`, with an empty body.
    pub fn redirect(status: u16, location: &str) -> Fault {
        Fault::status(status).header("Location", location)
    }

    /// An answer with a body of `len` bytes generated while sending (a repeated pattern).
    pub fn huge(status: u16, content_type: &str, len: u64) -> Fault {
        Fault::status(status)
            .header("Content-Type", content_type)
            .body(FaultBody::Repeated {
                len,
                pattern: Bytes::from_static(b"x"),
            })
    }

    /// The request is read, then the connection is reset (RST) without an answer.
    pub fn reset_before_headers() -> Fault {
        Fault::status(0).misbehave(Misbehaviour::ResetBeforeHeaders)
    }

    /// The request is read, then the connection is closed without an answer.
    pub fn close_before_headers() -> Fault {
        Fault::status(0).misbehave(Misbehaviour::CloseBeforeHeaders)
    }

    /// Replaces the body.
    pub fn body(mut self, body: FaultBody) -> Fault {
        self.body = body;
        self
    }

    /// Adds a header, sent as given (several with the same name are all sent). A
    /// `Content-Type` given here replaces the default one.
    pub fn header(mut self, name: &str, value: &str) -> Fault {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the reason phrase of the status line (default: the registered one).
    pub fn reason(mut self, reason: &str) -> Fault {
        self.reason = Some(reason.to_owned());
        self
    }

    /// Waits this long after reading the request before sending anything.
    pub fn delay(mut self, delay: Duration) -> Fault {
        self.delay = delay;
        self
    }

    /// Sends the body `chunk` bytes at a time with `interval` between writes.
    pub fn trickle(mut self, chunk: usize, interval: Duration) -> Fault {
        self.trickle = Some((chunk.max(1), interval));
        self
    }

    /// Breaks the framing this way.
    pub fn misbehave(mut self, misbehaviour: Misbehaviour) -> Fault {
        self.misbehaviour = misbehaviour;
        self
    }

    /// Answers `HTTP/1.0` without `Content-Length`: the body ends when the connection closes.
    pub fn http10(mut self) -> Fault {
        self.http10 = true;
        self
    }

    /// The status code sent (0 for faults that send no status line).
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// How the framing is broken.
    pub fn misbehaviour(&self) -> Misbehaviour {
        self.misbehaviour
    }
}

/// Which requests a scripted fault applies to: a path (exact or prefix) and, optionally, a
/// method.
///
/// An exact pattern without `?` is compared with the request's path alone; with a `?` it is
/// compared with the path and the query. A prefix is compared with the path and the query.
///
/// ```
/// use impact_mock::RequestMatch;
///
/// let m = RequestMatch::prefix("/Mediapartners/").method("GET");
/// assert!(m.matches("GET", "/Mediapartners/IR1/Campaigns?Page=2"));
/// assert!(!m.matches("POST", "/Mediapartners/IR1/Campaigns"));
/// assert!(RequestMatch::exact("/a").matches("GET", "/a?x=1"));
/// assert!(!RequestMatch::exact("/a").matches("GET", "/ab"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMatch {
    path: PathPattern,
    method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PathPattern {
    Any,
    Exact(String),
    Prefix(String),
}

impl RequestMatch {
    /// Every request.
    pub fn any() -> RequestMatch {
        RequestMatch {
            path: PathPattern::Any,
            method: None,
        }
    }

    /// Requests whose path (or path and query, when the pattern has a `?`) is exactly this.
    pub fn exact(path: &str) -> RequestMatch {
        RequestMatch {
            path: PathPattern::Exact(path.to_owned()),
            method: None,
        }
    }

    /// Requests whose path and query start with this.
    pub fn prefix(prefix: &str) -> RequestMatch {
        RequestMatch {
            path: PathPattern::Prefix(prefix.to_owned()),
            method: None,
        }
    }

    /// Only requests with this method (compared case-sensitively, as HTTP methods are).
    pub fn method(mut self, method: &str) -> RequestMatch {
        self.method = Some(method.to_owned());
        self
    }

    /// Whether a request with this method and target (path and query) matches.
    pub fn matches(&self, method: &str, target: &str) -> bool {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return false;
        }
        match &self.path {
            PathPattern::Any => true,
            PathPattern::Prefix(prefix) => target.starts_with(prefix.as_str()),
            PathPattern::Exact(path) if path.contains('?') => target == path,
            PathPattern::Exact(path) => target.split('?').next() == Some(path.as_str()),
        }
    }
}

/// A fault waiting in the script, with how many more requests it applies to.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedFault {
    pub(crate) matcher: RequestMatch,
    pub(crate) remaining: u32,
    pub(crate) fault: Fault,
}
