//! The one error type of the client (SPEC 4): a kind to match on, the attempts made, and the
//! decoded API report or rate-limit hint when there is one.

use std::fmt;
use std::time::{Duration, SystemTime};

use impact_errors::{RateLimitInfo, Report, StatusCode};

/// What kind of failure an [`Error`] is, for a program to branch on.
///
/// ```
/// use impact_client::ErrorKind;
///
/// assert_eq!(ErrorKind::RateLimited.as_str(), "rate_limited");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The API answered with an error status, or a 2xx whose body says `Status: ERROR`.
    /// [`Error::api_error`] holds the decoded body.
    Api,
    /// A rate limit asks for a wait longer than the client may sleep, or the retry budget is
    /// spent while the server asks to slow down. [`Error::retry_after`] says when to come back.
    RateLimited,
    /// An attempt, or the whole call, ran out of time.
    Timeout,
    /// The connection failed: refused, reset, or closed before the whole response arrived.
    Connection,
    /// A successful response could not be decoded into the type asked for, or was larger than
    /// the success-body cap.
    Decode,
    /// The client was configured wrongly: a missing credential, a refused base URL, ...
    InvalidConfig,
    /// The request could not be built: a bad path, header or body.
    InvalidRequest,
    /// The store of shared limits failed or did not answer in time while the client's
    /// [`StorePolicy`](crate::StorePolicy) says to fail rather than go on alone
    /// ([`OnStoreFailure::FailCall`](crate::OnStoreFailure::FailCall)).
    Store,
}

impl ErrorKind {
    /// A short snake_case name: `api`, `rate_limited`, `timeout`, `connection`, `decode`,
    /// `invalid_config`, `invalid_request` or `store`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Api => "api",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Decode => "decode",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Store => "store",
        }
    }

    /// The words `Display` starts an error of this kind with.
    const fn describe(self) -> &'static str {
        match self {
            ErrorKind::Api => "api error",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Connection => "connection failed",
            ErrorKind::Decode => "could not decode the response",
            ErrorKind::InvalidConfig => "invalid client configuration",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::Store => "shared limits store failed",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a call failed, with everything a program needs to decide what to do next.
///
/// One pointer wide, `Send` and `Sync`. It never holds the auth token, and its URL never
/// carries credentials. Programs read its parts through the accessors ([`Error::kind`],
/// [`Error::message`], [`Error::api_error`], [`Error::retry_after`], ...): the wording of its
/// `Display` is for people and may change.
///
/// ```
/// use impact_client::{Client, ErrorKind};
///
/// let error = Client::builder().build().unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::InvalidConfig);
/// assert_eq!(error.attempts(), 0);
/// assert!(error.to_string().starts_with("invalid client configuration"));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    attempts: u32,
    report: Option<Report>,
    rate_limit: Option<RateLimitInfo>,
    retry_after: Option<Duration>,
    retry_at: Option<SystemTime>,
    url: Option<String>,
    source: Option<Source>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                attempts: 0,
                report: None,
                rate_limit: None,
                retry_after: None,
                retry_at: None,
                url: None,
                source: None,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidConfig, message)
    }

    pub(crate) fn request(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidRequest, message)
    }

    pub(crate) fn api(report: Report) -> Error {
        let mut error = Error::new(ErrorKind::Api, String::new());
        error.inner.report = Some(report);
        error
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_report(mut self, report: Option<Report>) -> Error {
        self.inner.report = report;
        self
    }

    pub(crate) fn with_rate_limit(mut self, info: Option<RateLimitInfo>) -> Error {
        self.inner.rate_limit = info.filter(|info| !info.is_empty());
        self
    }

    pub(crate) fn with_retry(mut self, after: Duration, at: SystemTime) -> Error {
        self.inner.retry_after = Some(after);
        self.inner.retry_at = Some(at);
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Error {
        self.inner.attempts = attempts;
        self
    }

    pub(crate) fn with_url(mut self, url: &str) -> Error {
        self.inner.url = Some(url.to_owned());
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// How many requests were sent for this call (0 when none was, as for a configuration
    /// error or a rate limit that forbade even the first).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Whether an attempt or the whole call ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether a rate limit stopped the call; see [`Error::retry_after`].
    pub fn is_rate_limited(&self) -> bool {
        self.inner.kind == ErrorKind::RateLimited
    }

    /// Whether the connection failed.
    pub fn is_connection(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
    }

    /// Whether the API answered with an error.
    pub fn is_api(&self) -> bool {
        self.inner.kind == ErrorKind::Api
    }

    /// Whether the error is a transport failure or timeout, the API's or the store of shared
    /// limits' (the command line's exit code 3).
    pub fn is_transport(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Timeout | ErrorKind::Connection | ErrorKind::Store
        )
    }

    /// What the client says happened, in its own words, without the report, the retry hint
    /// or the URL that `Display` adds (empty for an API error, whose report says it all). For
    /// people: the wording may change.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status of the last response, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner
            .report
            .as_ref()
            .and_then(|report| report.http_status())
    }

    /// The decoded body of the last response that reported an error: its class, message and
    /// field errors. Present for [`ErrorKind::Api`] and for a rate limit that followed a 429.
    pub fn api_error(&self) -> Option<&Report> {
        self.inner.report.as_ref()
    }

    /// The rate-limit headers of the last response, when it had any.
    pub fn rate_limit(&self) -> Option<&RateLimitInfo> {
        self.inner.rate_limit.as_ref()
    }

    /// For a rate limit: how long after the error to come back.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// For a rate limit: the time to come back at, by the client's clock.
    pub fn retry_at(&self) -> Option<SystemTime> {
        self.inner.retry_at
    }

    /// The URL of the last request, without credentials or query string.
    pub fn url(&self) -> Option<&str> {
        self.inner.url.as_deref()
    }

    /// The same error without its URL, for printing where paths are private.
    pub fn without_url(mut self) -> Error {
        self.inner.url = None;
        self
    }

    /// Whether retrying the call later could help: timeouts, connection failures, rate limits,
    /// a failed store of shared limits, and API errors with a retryable status.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Timeout
            | ErrorKind::Connection
            | ErrorKind::RateLimited
            | ErrorKind::Store => true,
            ErrorKind::Api => self.inner.report.as_ref().is_some_and(Report::retryable),
            _ => false,
        }
    }
}

/// `api error after 3 attempts: 503 Service Unavailable (server_error): ...`.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.write_str(inner.kind.describe())?;
        match inner.attempts {
            0 => {}
            1 => f.write_str(" after 1 attempt")?,
            n => write!(f, " after {n} attempts")?,
        }
        let mut separator = ": ";
        if !inner.message.is_empty() {
            write!(f, "{separator}{}", inner.message)?;
            separator = "; ";
        }
        if let Some(report) = &inner.report {
            write!(f, "{separator}{report}")?;
        }
        if let Some(after) = inner.retry_after {
            write!(f, "; retry in {}s", after.as_secs_f64().ceil())?;
        }
        if let Some(url) = &inner.url {
            write!(f, " ({url})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut debug = f.debug_struct("Error");
        debug
            .field("kind", &inner.kind)
            .field("message", &inner.message)
            .field("attempts", &inner.attempts);
        if let Some(report) = &inner.report {
            debug.field("report", report);
        }
        if let Some(info) = &inner.rate_limit {
            debug.field("rate_limit", info);
        }
        if let Some(after) = &inner.retry_after {
            debug.field("retry_after", after);
        }
        if let Some(url) = &inner.url {
            debug.field("url", url);
        }
        if let Some(source) = &inner.source {
            // The source is reqwest's or the codec's error. Neither ever sees the token: it
            // travels only in a sensitive header value, which their messages do not include.
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|source| &**source as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_one_pointer_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
