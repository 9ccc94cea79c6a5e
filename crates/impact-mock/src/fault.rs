//! Scripted misbehaviour: answers and byte-level failures a test asks the mock to produce.

use std::time::Duration;

use bytes::Bytes;
use impact_errors::DecodedBody;
use serde_json::{Map, Value, json};

use crate::{ConfigError, ConfigErrorKind};

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
    /// A body of one of the shapes of SPEC 2.2, written when answering, in the request's
    /// format where the shape has one (an envelope in XML when XML was asked for).
    Shaped {
        /// The shape.
        shape: FaultShape,
        /// The message it carries (default: the status's reason phrase).
        message: Option<String>,
    },
}

/// The body shapes a fault can answer with (SPEC 2.2 and 8.4's `shape`).
///
/// ```
/// use impact_mock::FaultShape;
///
/// assert_eq!("spring".parse::<FaultShape>().unwrap(), FaultShape::Spring);
/// assert_eq!(FaultShape::Envelope.as_str(), "envelope");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultShape {
    /// `{"Status":"ERROR","Message":..}` (JSON) or `<ImpactRadiusResponse>` (XML).
    Envelope,
    /// `{"status":503,"title":..}`.
    Problem,
    /// `{"timestamp":..,"status":"SERVICE_UNAVAILABLE","error":..,"message":..}`.
    Spring,
    /// `{"Status":"ERROR","errors":[{"field":null,"level":"ERROR","message":..}]}`.
    Conversion,
    /// An HTML page, as gateways send.
    Html,
    /// No body.
    Empty,
}

impl FaultShape {
    /// The name the control interface uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            FaultShape::Envelope => "envelope",
            FaultShape::Problem => "problem",
            FaultShape::Spring => "spring",
            FaultShape::Conversion => "conversion",
            FaultShape::Html => "html",
            FaultShape::Empty => "empty",
        }
    }
}

impl std::str::FromStr for FaultShape {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<FaultShape, ConfigError> {
        Ok(match text {
            "envelope" => FaultShape::Envelope,
            "problem" => FaultShape::Problem,
            "spring" => FaultShape::Spring,
            "conversion" => FaultShape::Conversion,
            "html" => FaultShape::Html,
            "empty" => FaultShape::Empty,
            _ => {
                return Err(ConfigError::new(
                    ConfigErrorKind::Fault,
                    text,
                    "shape must be envelope, problem, spring, conversion, html or empty",
                ));
            }
        })
    }
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
    /// Send the headers and the first half of the body, then reset the connection.
    ResetMidBody,
    /// Declare the whole body's length, send its first half, then close cleanly.
    Truncate,
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

    /// An answer whose body has one of the shapes of SPEC 2.2, in the request's format.
    pub fn shaped(status: u16, shape: FaultShape) -> Fault {
        Fault::status(status).body(FaultBody::Shaped {
            shape,
            message: None,
        })
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
    Api(String),
}

/// The account roots a path can start with.
const ROOTS: [&str; 3] = ["/Mediapartners/", "/Advertisers/", "/Agencies/"];

/// The part of a target after its account root (`/Actions?x=1` of
/// `/Mediapartners/IR1/Actions?x=1`), if it has one.
fn after_root(target: &str) -> Option<&str> {
    let rest = ROOTS.iter().find_map(|root| target.strip_prefix(root))?;
    let at = rest.find(['/', '?']).unwrap_or(rest.len());
    rest.get(at..)
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

    /// Requests whose path and query, after the account root (`/Mediapartners/{SID}`,
    /// `/Advertisers/{SID}` or `/Agencies/{SID}`, any SID), start with `prefix`; a prefix that
    /// itself starts with an account root is compared with the whole path. This is how the
    /// control interface's `path` matches (SPEC 8.3).
    ///
    /// ```
    /// use impact_mock::RequestMatch;
    ///
    /// let m = RequestMatch::api_path("/Actions");
    /// assert!(m.matches("GET", "/Advertisers/IR9/Actions.json?CampaignId=1"));
    /// assert!(m.matches("GET", "/Mediapartners/IR1/Actions/1.2.3/Items"));
    /// assert!(!m.matches("GET", "/Mediapartners/IR1/ActionUpdates"));
    /// assert!(!m.matches("GET", "/Mediapartners/IR1/Campaigns"));
    /// assert!(RequestMatch::api_path("/Agencies/IR2/").matches("GET", "/Agencies/IR2/Ads"));
    /// ```
    pub fn api_path(prefix: &str) -> RequestMatch {
        RequestMatch {
            path: PathPattern::Api(prefix.to_owned()),
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
            PathPattern::Api(prefix) => {
                target.starts_with(prefix.as_str())
                    || (!ROOTS.iter().any(|root| prefix.starts_with(root))
                        && after_root(target).is_some_and(|rest| rest.starts_with(prefix.as_str())))
            }
        }
    }

    /// The method and path pattern as `GET /_mock/faults` lists them.
    pub(crate) fn describe(&self) -> (Value, Value) {
        let path = match &self.path {
            PathPattern::Any => Value::Null,
            PathPattern::Exact(path) | PathPattern::Prefix(path) | PathPattern::Api(path) => {
                Value::String(path.clone())
            }
        };
        let method = self
            .method
            .as_ref()
            .map_or(Value::Null, |method| Value::String(method.clone()));
        (method, path)
    }
}

/// A fault waiting in the script, with how many more requests it applies to.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedFault {
    pub(crate) matcher: RequestMatch,
    pub(crate) remaining: u32,
    pub(crate) fault: Fault,
}

impl Fault {
    /// The fault as `GET /_mock/faults` lists it: the fields of `POST /_mock/faults`.
    pub(crate) fn describe(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("status".into(), json!(self.status));
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        out.insert("headers".into(), Value::Object(headers));
        let (body, shape) = match &self.body {
            FaultBody::Empty => (Value::Null, Value::Null),
            FaultBody::Raw(bytes) => (
                Value::String(String::from_utf8_lossy(bytes).into_owned()),
                Value::Null,
            ),
            FaultBody::Json(_) | FaultBody::Xml(_) => (Value::Null, json!("envelope")),
            FaultBody::Repeated { len, .. } => (Value::Null, json!(format!("huge:{len}"))),
            FaultBody::Shaped { shape, message } => (
                message.clone().map_or(Value::Null, Value::String),
                json!(shape.as_str()),
            ),
        };
        out.insert("body".into(), body);
        out.insert("shape".into(), shape);
        let mut misbehaviour: Vec<String> = Vec::new();
        if !self.delay.is_zero() {
            misbehaviour.push(format!("delay_ms:{}", self.delay.as_millis()));
        }
        if let Some((chunk, interval)) = self.trickle {
            misbehaviour.push(format!("trickle:{chunk}:{}", interval.as_millis()));
        }
        if self.http10 {
            misbehaviour.push("http10".to_owned());
        }
        if let Some(name) = misbehaviour_name(self.misbehaviour) {
            misbehaviour.push(name);
        }
        out.insert(
            "misbehaviour".into(),
            match misbehaviour.len() {
                0 => Value::Null,
                1 => Value::String(misbehaviour.remove(0)),
                _ => json!(misbehaviour),
            },
        );
        out
    }
}

fn misbehaviour_name(misbehaviour: Misbehaviour) -> Option<String> {
    Some(match misbehaviour {
        Misbehaviour::None => return None,
        Misbehaviour::ResetBeforeHeaders => "reset_before_headers".to_owned(),
        Misbehaviour::CloseBeforeHeaders => "close_before_headers".to_owned(),
        Misbehaviour::ResetAfterBodyBytes(bytes) => format!("reset_after_bytes:{bytes}"),
        Misbehaviour::ContentLengthLonger(extra) => format!("content_length_longer:{extra}"),
        Misbehaviour::ContentLengthShorter(less) => format!("content_length_shorter:{less}"),
        Misbehaviour::BrokenChunked => "broken_chunked".to_owned(),
        Misbehaviour::EndlessHeaders => "endless_headers".to_owned(),
        Misbehaviour::ResetMidBody => "reset_mid_body".to_owned(),
        Misbehaviour::Truncate => "truncate".to_owned(),
    })
}

/// A fault as the control interface and `impact mock --fault` take it: the JSON object of
/// `POST /_mock/faults` (SPEC 8.4), parsed into a matcher, a count and a [`Fault`].
///
/// Fields (all optional but `status`, which a fault that answers needs):
/// - `method`: `"GET"`, ... or `null` for any;
/// - `path`: a prefix after the account root (`"/Actions"`) or an absolute one
///   (`"/Mediapartners/IR.../Actions"`), `null` for any API path (never `/_mock/`);
/// - `times`: how many matching requests it answers (default 1);
/// - `status`, `headers` (`{"Retry-After": "1"}`), `reason` (the status line's phrase);
/// - `body`: raw text, or with `shape` the message of a body of that shape
///   (`envelope`, `problem`, `spring`, `conversion`, `html`, `empty`), written in the request's
///   format;
/// - `huge_bytes`: a body of that many bytes, generated while sending;
/// - `misbehaviour`: one name or a list of them: `reset_before_headers`,
///   `close_before_headers`, `reset_mid_body`, `reset_after_bytes:K`, `truncate`,
///   `content_length_longer:N`, `content_length_shorter:N`, `broken_chunked`,
///   `endless_headers`, `http10`, `trickle` (16 bytes every 100 ms) or `trickle:BYTES:MS`,
///   `delay_ms:N`.
///
/// ```
/// use impact_mock::FaultSpec;
///
/// let spec: FaultSpec = r#"{"method": "GET", "path": "/Actions", "times": 2, "status": 429,
///     "headers": {"Retry-After": "1"}, "shape": "envelope"}"#.parse().unwrap();
/// assert_eq!(spec.times(), 2);
/// assert_eq!(spec.fault().status_code(), 429);
/// assert!(r#"{"status": "soon"}"#.parse::<FaultSpec>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    matcher: RequestMatch,
    times: u32,
    fault: Fault,
}

impl FaultSpec {
    /// Which requests it applies to.
    pub fn matcher(&self) -> &RequestMatch {
        &self.matcher
    }

    /// How many requests it answers.
    pub fn times(&self) -> u32 {
        self.times
    }

    /// The answer.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Parses the JSON object of `POST /_mock/faults`.
    ///
    /// # Errors
    /// A [`ConfigError`] of kind [`ConfigErrorKind::Fault`] naming the field at fault.
    pub fn from_json(value: &Value) -> Result<FaultSpec, ConfigError> {
        let fields = Fields::of(value)?;
        let matcher = fields.matcher()?;
        let times = fields.number("times", u64::from(u32::MAX))?.unwrap_or(1);
        let times = u32::try_from(times).unwrap_or(u32::MAX);
        if times == 0 {
            return Err(fields.error("times must be at least 1"));
        }
        let misbehaviours =
            misbehaviours(fields.get("misbehaviour")).map_err(|why| fields.error(why))?;
        let mut fault = Fault::status(fields.status(&misbehaviours)?);
        fault = fields.headers(fault)?;
        if let Some(reason) = fields.text("reason")? {
            fault = fault.reason(&reason);
        }
        fault = fields.body(fault)?;
        for parsed in misbehaviours {
            fault = match parsed {
                Parsed::Misbehave(misbehaviour) => fault.misbehave(misbehaviour),
                Parsed::Delay(delay) => fault.delay(delay),
                Parsed::Trickle(chunk, interval) => fault.trickle(chunk, interval),
                Parsed::Http10 => fault.http10(),
            };
        }
        Ok(FaultSpec {
            matcher,
            times,
            fault,
        })
    }
}

impl std::str::FromStr for FaultSpec {
    type Err = ConfigError;

    /// Parses the JSON text of `--fault SPEC`.
    fn from_str(text: &str) -> Result<FaultSpec, ConfigError> {
        let value: Value = serde_json::from_str(text).map_err(|error| {
            ConfigError::new(ConfigErrorKind::Fault, text, format!("not JSON: {error}"))
        })?;
        FaultSpec::from_json(&value)
    }
}

/// The fields of a fault's JSON object, read with typed errors that quote the whole object.
struct Fields<'a> {
    object: &'a serde_json::Map<String, Value>,
    text: String,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value) -> Result<Self, ConfigError> {
        let text = value.to_string();
        let Some(object) = value.as_object() else {
            return Err(ConfigError::new(
                ConfigErrorKind::Fault,
                &text,
                "a fault is a JSON object".to_owned(),
            ));
        };
        let fields = Fields { object, text };
        if let Some(key) = object.keys().find(|key| !FIELDS.contains(&key.as_str())) {
            return Err(fields.error(format!(
                "unknown field {key:?}; known: {}",
                FIELDS.join(", ")
            )));
        }
        Ok(fields)
    }

    fn error(&self, why: impl Into<String>) -> ConfigError {
        ConfigError::new(ConfigErrorKind::Fault, &self.text, why.into())
    }

    /// A field that is present and not null.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|value| !value.is_null())
    }

    fn text(&self, name: &str) -> Result<Option<String>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(self.error(format!("{name} must be a string or null"))),
        }
    }

    fn number(&self, name: &str, max: u64) -> Result<Option<u64>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .filter(|n| *n <= max)
                .map(Some)
                .ok_or_else(|| self.error(format!("{name} must be a whole number up to {max}"))),
        }
    }

    /// `path` (an API path, default every path) and `method` (default any).
    fn matcher(&self) -> Result<RequestMatch, ConfigError> {
        let mut matcher = match self.text("path")? {
            Some(path) if !path.starts_with('/') => {
                return Err(self.error("path must start with /"));
            }
            Some(path) => RequestMatch::api_path(&path),
            None => RequestMatch::api_path("/"),
        };
        if let Some(method) = self.text("method")? {
            matcher = matcher.method(&method.to_ascii_uppercase());
        }
        Ok(matcher)
    }

    /// `status`, required unless the connection ends before any status line.
    fn status(&self, misbehaviours: &[Parsed]) -> Result<u16, ConfigError> {
        let sends_status = !misbehaviours.iter().any(|m| {
            matches!(
                m,
                Parsed::Misbehave(
                    Misbehaviour::ResetBeforeHeaders | Misbehaviour::CloseBeforeHeaders
                )
            )
        });
        match self.number("status", 999)? {
            Some(status) if status >= 100 => Ok(u16::try_from(status).unwrap_or(500)),
            Some(_) => Err(self.error("status must be from 100 to 999")),
            None if sends_status => Err(self.error("status is required")),
            None => Ok(0),
        }
    }

    /// `headers`: an object of header names to strings (numbers are written as text).
    fn headers(&self, mut fault: Fault) -> Result<Fault, ConfigError> {
        let Some(headers) = self.get("headers") else {
            return Ok(fault);
        };
        let headers = headers
            .as_object()
            .ok_or_else(|| self.error("headers must be an object of strings"))?;
        for (name, value) in headers {
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                _ => return Err(self.error(format!("header {name:?} must be a string"))),
            };
            if !is_token(name) || value.contains(['\r', '\n']) {
                return Err(self.error(format!("header {name:?} cannot be sent")));
            }
            fault = fault.header(name, &value);
        }
        Ok(fault)
    }

    /// `huge_bytes`, else `shape` (with `body` as its message), else a raw `body`.
    fn body(&self, fault: Fault) -> Result<Fault, ConfigError> {
        let body = self.text("body")?;
        let shape = self
            .text("shape")?
            .map(|shape| shape.parse::<FaultShape>())
            .transpose()?;
        Ok(match (shape, body, self.number("huge_bytes", u64::MAX)?) {
            (_, _, Some(len)) => fault.body(FaultBody::Repeated {
                len,
                pattern: Bytes::from_static(b"x"),
            }),
            (Some(shape), message, None) => fault.body(FaultBody::Shaped { shape, message }),
            (None, Some(body), None) => fault.body(FaultBody::Raw(Bytes::from(body))),
            (None, None, None) => fault,
        })
    }
}

const FIELDS: &[&str] = &[
    "method",
    "path",
    "times",
    "status",
    "headers",
    "reason",
    "body",
    "shape",
    "huge_bytes",
    "misbehaviour",
];

/// Whether a header name is an HTTP token.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

/// One parsed `misbehaviour` name.
enum Parsed {
    Misbehave(Misbehaviour),
    Delay(Duration),
    Trickle(usize, Duration),
    Http10,
}

fn misbehaviours(value: Option<&Value>) -> Result<Vec<Parsed>, String> {
    let names: Vec<&str> = match value {
        None => Vec::new(),
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| name.as_str().ok_or("misbehaviour names are strings"))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("misbehaviour must be a name, a list of names or null".to_owned()),
    };
    names.into_iter().map(misbehaviour).collect()
}

fn misbehaviour(name: &str) -> Result<Parsed, String> {
    let (head, argument) = match name.split_once(':') {
        Some((head, argument)) => (head, Some(argument)),
        None => (name, None),
    };
    let number = |argument: Option<&str>| -> Result<u64, String> {
        argument
            .and_then(|text| text.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("misbehaviour {name:?} needs a whole number after ':'"))
    };
    Ok(match (head, argument) {
        ("reset_before_headers", None) => Parsed::Misbehave(Misbehaviour::ResetBeforeHeaders),
        ("close_before_headers", None) => Parsed::Misbehave(Misbehaviour::CloseBeforeHeaders),
        ("reset_mid_body", None) => Parsed::Misbehave(Misbehaviour::ResetMidBody),
        ("truncate", None) => Parsed::Misbehave(Misbehaviour::Truncate),
        ("broken_chunked", None) => Parsed::Misbehave(Misbehaviour::BrokenChunked),
        ("endless_headers", None) => Parsed::Misbehave(Misbehaviour::EndlessHeaders),
        ("http10", None) => Parsed::Http10,
        ("reset_after_bytes", argument) => {
            Parsed::Misbehave(Misbehaviour::ResetAfterBodyBytes(number(argument)?))
        }
        ("content_length_longer", argument) => {
            Parsed::Misbehave(Misbehaviour::ContentLengthLonger(number(argument)?))
        }
        ("content_length_shorter", argument) => {
            Parsed::Misbehave(Misbehaviour::ContentLengthShorter(number(argument)?))
        }
        ("delay_ms", argument) => Parsed::Delay(Duration::from_millis(number(argument)?)),
        ("trickle", None) => Parsed::Trickle(16, Duration::from_millis(100)),
        ("trickle", Some(argument)) => {
            let (bytes, ms) = argument
                .split_once(':')
                .ok_or_else(|| "trickle takes trickle:BYTES:MS".to_owned())?;
            let bytes = number(Some(bytes))?;
            let ms = number(Some(ms))?;
            Parsed::Trickle(
                usize::try_from(bytes.max(1)).unwrap_or(usize::MAX),
                Duration::from_millis(ms),
            )
        }
        _ => {
            return Err(format!(
                "unknown misbehaviour {name:?}; known: reset_before_headers, \
                 close_before_headers, reset_mid_body, reset_after_bytes:K, truncate, \
                 content_length_longer:N, content_length_shorter:N, broken_chunked, \
                 endless_headers, http10, trickle, trickle:BYTES:MS, delay_ms:N"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(spec: &str, expect: Result<Fault, &str>) {
        let got = spec.parse::<FaultSpec>().map(|spec| spec.fault);
        match (got, expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{spec}"),
            (Err(got), Err(want)) => assert!(got.reason().contains(want), "{spec}: {got}"),
            (got, want) => panic!("{spec}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn specs_map_onto_the_rust_fault_api() {
        check(
            r#"{"status": 503, "headers": {"Retry-After": "1"}}"#,
            Ok(Fault::status(503).header("Retry-After", "1")),
        );
        check(
            r#"{"status": 502, "body": "<html>bad</html>", "misbehaviour": ["delay_ms:20", "trickle:4:5"]}"#,
            Ok(Fault::status(502)
                .body(FaultBody::Raw(Bytes::from_static(b"<html>bad</html>")))
                .delay(Duration::from_millis(20))
                .trickle(4, Duration::from_millis(5))),
        );
        check(
            r#"{"status": 429, "shape": "problem", "body": "slow down"}"#,
            Ok(Fault::status(429).body(FaultBody::Shaped {
                shape: FaultShape::Problem,
                message: Some("slow down".into()),
            })),
        );
        check(
            r#"{"misbehaviour": "reset_before_headers"}"#,
            Ok(Fault::reset_before_headers()),
        );
        check(
            r#"{"status": 200, "huge_bytes": 1000000, "misbehaviour": "reset_after_bytes:10"}"#,
            Ok(Fault::status(200)
                .body(FaultBody::Repeated {
                    len: 1_000_000,
                    pattern: Bytes::from_static(b"x"),
                })
                .misbehave(Misbehaviour::ResetAfterBodyBytes(10))),
        );
        check(r#"{"path": "/x"}"#, Err("status is required"));
        check(
            r#"{"status": 503, "times": 0}"#,
            Err("times must be at least 1"),
        );
        check(
            r#"{"status": 503, "path": "Actions"}"#,
            Err("path must start with /"),
        );
        check(r#"{"status": 503, "shape": "yaml"}"#, Err("shape must be"));
        check(
            r#"{"status": 503, "misbehaviour": "explode"}"#,
            Err("unknown misbehaviour"),
        );
        check(
            r#"{"status": 503, "headers": {"Bad Name": "x"}}"#,
            Err("cannot be sent"),
        );
        check(r#"{"status": 503, "colour": "red"}"#, Err("unknown field"));
        check(r#"[1]"#, Err("a fault is a JSON object"));
        check(r#"{"#, Err("not JSON"));
    }

    #[test]
    fn listed_faults_read_like_their_specs() {
        let spec: FaultSpec =
            r#"{"method": "get", "path": "/Actions", "status": 503, "misbehaviour": "delay_ms:5"}"#
                .parse()
                .unwrap();
        let described = spec.fault.describe();
        assert_eq!(described["status"], 503);
        assert_eq!(described["misbehaviour"], "delay_ms:5");
        assert_eq!(spec.matcher.describe(), (json!("GET"), json!("/Actions")));
    }
}
