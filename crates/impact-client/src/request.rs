//! A request as the caller describes it: method, path, query, body, headers and whether a POST
//! may be retried.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::Format;

/// A body that can be sent, and re-sent whole on a retry.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub(crate) bytes: Bytes,
    pub(crate) content_type: &'static str,
}

/// One call to the API, before it is sent.
///
/// The path is relative to the account root (`/Campaigns` becomes
/// `/Mediapartners/{AccountSID}/Campaigns` for the Partner API) unless it starts with
/// `/Mediapartners/`, `/Advertisers/` or `/Agencies/`, in which case it is used as given. A
/// query string in the path is kept.
///
/// Building never fails: a bad header or body is remembered and reported as
/// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) when the request is sent.
///
/// ```
/// use impact_client::Request;
///
/// let request = Request::get("/Campaigns").query("PageSize", "100");
/// assert_eq!(request.path(), "/Campaigns");
///
/// let conversion = Request::post("/Conversions")
///     .form([("CampaignId", "1000"), ("OrderId", "A-1")])
///     .idempotent(false);
/// assert!(!conversion.is_idempotent());
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) body: Option<Body>,
    pub(crate) headers: HeaderMap,
    pub(crate) idempotent: Option<bool>,
    pub(crate) format: Option<Format>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) error: Option<String>,
}

impl Request {
    /// A request with any method.
    pub fn new(method: Method, path: impl Into<String>) -> Request {
        let path = path.into();
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path.to_owned(), query.to_owned()),
            None => (path, String::new()),
        };
        Request {
            method,
            path,
            query,
            body: None,
            headers: HeaderMap::new(),
            idempotent: None,
            format: None,
            timeout: None,
            error: None,
        }
    }

    /// A GET request.
    pub fn get(path: impl Into<String>) -> Request {
        Request::new(Method::GET, path)
    }

    /// A POST request. It is retried only when the server cannot have processed it, unless
    /// [`Request::idempotent`] says otherwise.
    pub fn post(path: impl Into<String>) -> Request {
        Request::new(Method::POST, path)
    }

    /// A PUT request.
    pub fn put(path: impl Into<String>) -> Request {
        Request::new(Method::PUT, path)
    }

    /// A DELETE request.
    pub fn delete(path: impl Into<String>) -> Request {
        Request::new(Method::DELETE, path)
    }

    /// Adds one query parameter (form-urlencoded).
    pub fn query(mut self, key: &str, value: &str) -> Request {
        let pair = impact_codec::encode_form([(key, value)]);
        if self.query.is_empty() {
            self.query = pair;
        } else {
            self.query.push('&');
            self.query.push_str(&pair);
        }
        self
    }

    /// Adds query parameters (form-urlencoded).
    pub fn query_pairs<'a>(
        mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Request {
        let encoded = impact_codec::encode_form(pairs);
        if self.query.is_empty() {
            self.query = encoded;
        } else if !encoded.is_empty() {
            self.query.push('&');
            self.query.push_str(&encoded);
        }
        self
    }

    /// Sends `pairs` as an `application/x-www-form-urlencoded` body.
    pub fn form<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Request {
        self.body = Some(Body {
            bytes: Bytes::from(impact_codec::encode_form(pairs)),
            content_type: "application/x-www-form-urlencoded",
        });
        self
    }

    /// Sends `value` as a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Request {
        match impact_codec::to_json(value) {
            Ok(bytes) => {
                self.body = Some(Body {
                    bytes: Bytes::from(bytes),
                    content_type: "application/json",
                })
            }
            Err(error) => self.error = Some(format!("could not encode the json body: {error}")),
        }
        self
    }

    /// Sends raw bytes with the given content type.
    pub fn body(mut self, bytes: impl Into<Bytes>, content_type: &'static str) -> Request {
        self.body = Some(Body {
            bytes: bytes.into(),
            content_type,
        });
        self
    }

    /// Adds or replaces a request header. `Authorization` cannot be set this way: the client
    /// owns the credentials.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        let name = match HeaderName::from_bytes(name.trim().as_bytes()) {
            Ok(name) => name,
            Err(_) => {
                self.error = Some(format!("invalid header name {name:?}"));
                return self;
            }
        };
        if name == http::header::AUTHORIZATION {
            self.error = Some("the authorization header is set by the client".to_owned());
            return self;
        }
        match HeaderValue::from_str(value.trim()) {
            Ok(value) => {
                self.headers.insert(name, value);
            }
            // The value is not repeated: it may be a secret.
            Err(_) => self.error = Some(format!("invalid value for header {name}")),
        }
        self
    }

    /// Marks the request as safe to retry whatever its method (`true`), or as never to be
    /// retried after it may have reached the server (`false`). By default GET, HEAD, PUT,
    /// DELETE and OPTIONS are idempotent and POST and PATCH are not.
    pub fn idempotent(mut self, idempotent: bool) -> Request {
        self.idempotent = Some(idempotent);
        self
    }

    /// Asks for this response format instead of the client's.
    pub fn format(mut self, format: Format) -> Request {
        self.format = Some(format);
        self
    }

    /// A per-attempt timeout for this request instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Request {
        self.timeout = Some(timeout);
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path as given, without its query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The encoded query string, without `?`.
    pub fn query_string(&self) -> &str {
        &self.query
    }

    /// Whether the request may be retried after it may have reached the server.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or(matches!(
            self.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        ))
    }
}
