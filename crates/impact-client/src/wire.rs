//! One attempt on the wire: send the request, follow redirects for GET and HEAD by hand, read
//! the body within its cap, and judge the answer (its rate-limit headers, and whether it is an
//! error, in one call to the codec).

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use http::Method;
use http::header::{self, HeaderMap, HeaderValue};
use impact_errors::{RateLimitInfo, Report, StatusCode};
use impact_retry::TransportFailure;
use reqwest::Url;

use crate::config::Format;
use crate::error::{Error, ErrorKind};
use crate::request::Request;
use crate::secrets::Secrets;
use crate::url as urls;

/// The most redirects a GET or HEAD follows (SPEC 3).
const MAX_REDIRECTS: usize = 5;

/// Headers a caller may set that carry credentials: dropped, with `Authorization`, when a
/// redirect leaves the origin (or goes over plain http to anything but loopback).
const SENSITIVE_HEADERS: [&str; 5] = [
    "authorization",
    "cookie",
    "cookie2",
    "proxy-authorization",
    "www-authenticate",
];

/// What every attempt of a client sends with: the connection pool, the credentials and the
/// caps on what it reads.
pub(crate) struct Wire {
    pub(crate) http: reqwest::Client,
    /// `Authorization: Basic ...`, built once and marked sensitive.
    pub(crate) authorization: HeaderValue,
    /// The credentials in every form a server could echo them in.
    pub(crate) secrets: Secrets,
    pub(crate) ir_version: Option<HeaderValue>,
    pub(crate) error_body_cap: usize,
    pub(crate) success_body_cap: usize,
}

/// A response read within its cap, before it is judged.
pub(crate) struct Raw {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The URL that answered when a redirect was followed; `None` when the call's own URL did.
    pub(crate) redirected_to: Option<Url>,
    /// Whether the body was cut off at its cap.
    pub(crate) cut_off: bool,
}

/// A response and what it means: its rate-limit headers, and its report when it is an error.
pub(crate) struct Answer {
    pub(crate) raw: Raw,
    pub(crate) rate: RateLimitInfo,
    /// `None` for a success: a 2xx whose body is not an API error. Boxed, so that the
    /// success path, which moves an answer a few times, moves no room for it.
    pub(crate) report: Option<Box<Report>>,
}

impl Answer {
    /// Judges a response received at `unix_now` (Unix seconds, to read the headers' epochs).
    /// The report of an error has every form of the credentials replaced by `<redacted>`
    /// (`secrets`); a success is left as the server sent it, at no cost.
    pub(crate) fn judge(raw: Raw, unix_now: u64, secrets: &Secrets) -> Answer {
        let rate = RateLimitInfo::from_header_map_at(&raw.headers, unix_now);
        let report = impact_codec::error_report(&raw.body, raw.status)
            .map(|report| Box::new(redacted_report(report, &raw, secrets)));
        Answer { raw, rate, report }
    }
}

/// An error's report without the credentials: decoded again from the body with every echo
/// replaced (so that the excerpt, cut from the body's text, cannot end inside one), then each
/// decoded text redacted too (an echo escaped in the body reads plain once decoded).
fn redacted_report(report: Report, raw: &Raw, secrets: &Secrets) -> Report {
    let report = match secrets.mask(&raw.body, raw.cut_off) {
        Some(body) => impact_codec::error_report(&body, raw.status).unwrap_or(report),
        None => report,
    };
    secrets.redact_report(report)
}

/// Why an attempt produced no response to judge.
pub(crate) struct Failure {
    pub(crate) transport: TransportFailure,
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) source: Option<reqwest::Error>,
}

impl Failure {
    /// The attempt's timeout passed before it ended.
    pub(crate) fn timed_out(timeout: std::time::Duration) -> Failure {
        Failure {
            transport: TransportFailure::Timeout,
            kind: ErrorKind::Timeout,
            message: format!("attempt timed out after {timeout:?}"),
            source: None,
        }
    }

    /// The error a call that ends on this failure reports.
    pub(crate) fn into_error(self) -> Error {
        let error = Error::new(self.kind, self.message);
        match self.source {
            Some(source) => error.with_source(source),
            None => error,
        }
    }
}

/// How an attempt ended.
pub(crate) enum AttemptEnd {
    Answered(Raw),
    Failed(Failure),
    /// A condition no retry can change (a success body over its cap).
    Fatal(Error),
}

impl Wire {
    /// One attempt: send, follow redirects for GET and HEAD, read the body within its cap.
    ///
    /// Every call carries this future, so it is kept small: the loop's state (the URL being
    /// followed, the response) ends before the body is read, and the read's future holds the
    /// one copy of the response.
    pub(crate) async fn attempt(&self, request: &Request, url: &Url, format: Format) -> AttemptEnd {
        let read = {
            let follows = matches!(request.method, Method::GET | Method::HEAD);
            // The call's URL is cloned once per request sent; a redirect replaces it.
            let mut url = Cow::Borrowed(url);
            let mut authorized = true;
            let mut redirects = 0;
            loop {
                let response = match self.build(request, &url, format, authorized).send().await {
                    Ok(response) => response,
                    Err(error) => return AttemptEnd::Failed(send_failure(error)),
                };
                let status = response.status();
                if follows && status.is_redirection() && redirects < MAX_REDIRECTS {
                    let target = response
                        .headers()
                        .get(header::LOCATION)
                        .and_then(|value| value.to_str().ok())
                        .and_then(|location| url.join(location).ok())
                        .filter(|target| matches!(target.scheme(), "http" | "https"));
                    if let Some(target) = target {
                        authorized = authorized && keeps_credentials(&url, &target);
                        tracing::debug!(
                            status = status.as_u16(),
                            to = %urls::redacted(&target),
                            authorized,
                            "following a redirect"
                        );
                        url = Cow::Owned(target);
                        redirects += 1;
                        continue;
                    }
                }
                let redirected_to = match url {
                    Cow::Owned(target) => Some(target),
                    Cow::Borrowed(_) => None,
                };
                break self.read(response, redirected_to);
            }
        };
        read.await
    }

    /// One request of an attempt: the credentials only while `authorized` (the caller's own
    /// credential headers too, as browsers and reqwest do on a redirect elsewhere).
    fn build(
        &self,
        request: &Request,
        url: &Url,
        format: Format,
        authorized: bool,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .http
            .request(request.method.clone(), url.clone())
            .header(header::ACCEPT, format.accept_header());
        if let Some(version) = &self.ir_version {
            builder = builder.header("IR-Version", version.clone());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(body.content_type),
                )
                .body(body.bytes.clone());
        }
        if authorized {
            builder = builder.header(header::AUTHORIZATION, self.authorization.clone());
        }
        if !request.headers.is_empty() {
            let mut headers = request.headers.clone();
            if !authorized {
                for name in SENSITIVE_HEADERS {
                    headers.remove(name);
                }
            }
            builder = builder.headers(headers);
        }
        builder
    }

    /// Reads a response body within the cap for its status. A plain function returning its
    /// future, so that the response and URL are held once (an `async fn` keeps its by-value
    /// arguments twice).
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn would store the response and URL twice in every call's future"
    )]
    fn read(
        &self,
        mut response: reqwest::Response,
        redirected_to: Option<Url>,
    ) -> impl Future<Output = AttemptEnd> + '_ {
        async move {
            let status = StatusCode::from(response.status());
            let headers = std::mem::take(response.headers_mut());
            let success = status.is_success();
            let cap = if success {
                self.success_body_cap
            } else {
                self.error_body_cap
            };
            let declared = response.content_length();
            if success && declared.is_some_and(|length| length > cap as u64) {
                return AttemptEnd::Fatal(Error::new(
                    ErrorKind::Decode,
                    format!(
                        "response body of {} bytes exceeds the success body cap of {cap} bytes",
                        declared.unwrap_or(0)
                    ),
                ));
            }
            let mut body = CappedBody::new(cap, declared);
            let mut cut_off = false;
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        if chunk.len() > body.room() {
                            if success {
                                return AttemptEnd::Fatal(Error::new(
                                    ErrorKind::Decode,
                                    format!(
                                        "response body exceeds the success body cap of {cap} bytes"
                                    ),
                                ));
                            }
                            // Keep what fits, then stop reading: dropping the response closes
                            // the connection rather than draining a hostile body.
                            body.append(chunk.slice(..body.room()));
                            cut_off = true;
                            break;
                        }
                        body.append(chunk);
                        if !success && body.room() == 0 {
                            cut_off = true;
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(error) if success => {
                        return AttemptEnd::Failed(Failure {
                            transport: TransportFailure::BrokenBody,
                            kind: ErrorKind::Connection,
                            message: "the connection broke while reading the response body"
                                .to_owned(),
                            source: Some(error.without_url()),
                        });
                    }
                    // On an error status the status already says what happened: the bytes
                    // received are explained instead (SPEC 3).
                    Err(_) => break,
                }
            }
            drop(response);
            AttemptEnd::Answered(Raw {
                status,
                headers,
                body: body.finish(),
                redirected_to,
                cut_off,
            })
        }
    }
}

/// Whether credentials may follow a redirect from `from` to `to`: only to the same scheme,
/// host and port, and never over plain http to anything but loopback (SPEC 3).
fn keeps_credentials(from: &Url, to: &Url) -> bool {
    let same_origin = to.scheme() == from.scheme()
        && to.host_str() == from.host_str()
        && to.port_or_known_default() == from.port_or_known_default();
    same_origin && (to.scheme() == "https" || urls::is_loopback(to))
}

/// A body being read within a cap. Most bodies arrive in one chunk: it is kept as it came, and
/// copied into a buffer only when a second chunk follows.
struct CappedBody {
    cap: usize,
    declared: Option<u64>,
    first: Option<Bytes>,
    buffer: BytesMut,
}

impl CappedBody {
    fn new(cap: usize, declared: Option<u64>) -> CappedBody {
        CappedBody {
            cap,
            declared,
            first: None,
            buffer: BytesMut::new(),
        }
    }

    /// How many more bytes fit under the cap.
    fn room(&self) -> usize {
        let held = self.first.as_ref().map_or(0, Bytes::len) + self.buffer.len();
        self.cap - held
    }

    /// Adds a chunk: the first is held as it came; from the second on, everything is gathered
    /// in the buffer, sized from the declared length within the cap.
    fn append(&mut self, chunk: Bytes) {
        if self.first.is_none() && self.buffer.is_empty() {
            self.first = Some(chunk);
            return;
        }
        if let Some(held) = self.first.take() {
            let expected = self
                .declared
                .map_or(0, |length| length.min(self.cap as u64) as usize);
            self.buffer.reserve(expected.max(held.len() + chunk.len()));
            self.buffer.extend_from_slice(&held);
        }
        self.buffer.extend_from_slice(&chunk);
    }

    fn finish(self) -> Bytes {
        match self.first {
            Some(only) if self.buffer.is_empty() => only,
            _ => self.buffer.freeze(),
        }
    }
}

/// Classifies a failure to get response headers.
fn send_failure(error: reqwest::Error) -> Failure {
    let error = error.without_url();
    let (transport, kind, message) = if error.is_connect() {
        (
            TransportFailure::ConnectRefused,
            ErrorKind::Connection,
            "could not connect to the server",
        )
    } else if error.is_timeout() {
        (
            TransportFailure::Timeout,
            ErrorKind::Timeout,
            "the attempt timed out",
        )
    } else {
        // Anything after the connection was made may have reached the server.
        (
            TransportFailure::BrokenBody,
            ErrorKind::Connection,
            "the connection failed after the request was sent",
        )
    };
    Failure {
        transport,
        kind,
        message: message.to_owned(),
        source: Some(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether credentials follow a redirect from `from` to `to`.
    fn check(from: &str, to: &str, expect: bool) {
        let parse = |url: &str| Url::parse(url).expect("a url");
        assert_eq!(
            keeps_credentials(&parse(from), &parse(to)),
            expect,
            "{from} -> {to}"
        );
    }

    #[test]
    fn credentials_follow_a_redirect_only_within_the_origin() {
        let api = "https://api.impact.com/Mediapartners/IR1/Old";
        check(api, "https://api.impact.com/Mediapartners/IR1/Ads", true);
        check(
            api,
            "https://api.impact.com:443/Mediapartners/IR1/Ads",
            true,
        );
        // Only the scheme changes: to plain http, and from it to https.
        check(api, "http://api.impact.com/Mediapartners/IR1/Ads", false);
        check("http://127.0.0.1:8080/a", "https://127.0.0.1:8080/a", false);
        check("https://127.0.0.1:8080/a", "http://127.0.0.1:8080/a", false);
        // Only the port changes.
        check(
            api,
            "https://api.impact.com:8443/Mediapartners/IR1/Ads",
            false,
        );
        check("http://127.0.0.1:8080/a", "http://127.0.0.1:8081/a", false);
        // Only the host changes, even to one that resolves to the same address.
        check(
            api,
            "https://exports.impact.com/Mediapartners/IR1/Ads",
            false,
        );
        check("http://127.0.0.1:8080/a", "http://localhost:8080/a", false);
        // Plain http within one origin keeps them only on loopback.
        check("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b", true);
        check("http://example.com/a", "http://example.com/b", false);
    }

    #[test]
    fn a_request_without_credentials_carries_none_of_them() {
        let wire = Wire {
            http: reqwest::Client::new(),
            authorization: HeaderValue::from_static("Basic c2lkOnRva2Vu"),
            secrets: Secrets::new("sid", "token"),
            ir_version: None,
            error_body_cap: 1,
            success_body_cap: 1,
        };
        let request = Request::get("/a")
            .header("Cookie", "session=1")
            .header("Proxy-Authorization", "Basic eA==")
            .header("X-Extra", "kept");
        let url = Url::parse("https://127.0.0.1:8443/a").expect("a url");
        for authorized in [true, false] {
            let built = wire
                .build(&request, &url, Format::Json, authorized)
                .build()
                .expect("a request");
            let headers = built.headers();
            for name in ["authorization", "cookie", "proxy-authorization"] {
                assert_eq!(headers.contains_key(name), authorized, "{name}");
            }
            assert!(headers.contains_key("x-extra"));
        }
    }
}
