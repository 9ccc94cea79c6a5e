//! The client and its send loop: every attempt, redirect, bounded body read and retry decision
//! of one call, with the policy taken from `impact-retry` (SPEC 3).

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Method;
use http::header::{self, HeaderMap, HeaderValue};
use impact_errors::{RateLimitInfo, Report, StatusCode};
use impact_retry::{
    Admission, Decision, FailedAttempt, GiveUp, GiveUpReason, Idempotency, Outcome, Pacer,
    RetryBudget, RetryPolicy, RetryState, TransportFailure,
};
use reqwest::Url;
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::{ApiKind, ClientBuilder, Format, USER_AGENT};
use crate::error::{Error, ErrorKind};
use crate::request::Request;
use crate::response::Response;
use crate::time::{Clock, Random, unix_secs};
use crate::url::{self as urls, AnsweredUrl, BaseUrl};

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

/// An async client for one impact.com account.
///
/// Cheap to clone: clones share the connection pool, the pacing state and the retry budget,
/// so that every call on the account is paced and budgeted together.
///
/// ```no_run
/// use impact_client::{Client, Request};
///
/// # async fn run() -> Result<(), impact_client::Error> {
/// let client = Client::builder()
///     .account_sid("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4")
///     .auth_token(std::env::var("IMPACT_AUTH_TOKEN").unwrap_or_default())
///     .build()?;
/// match client.send(Request::get("/Campaigns")).await {
///     Ok(response) => println!("{}", String::from_utf8_lossy(response.bytes())),
///     Err(error) if error.is_rate_limited() => println!("come back in {:?}", error.retry_after()),
///     Err(error) => println!("{error}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: BaseUrl,
    /// `/Mediapartners/{SID}` and the others: where relative paths are rooted.
    account_root: String,
    api: ApiKind,
    sid: String,
    authorization: HeaderValue,
    ir_version: Option<HeaderValue>,
    format: Format,
    policy: RetryPolicy,
    error_body_cap: usize,
    success_body_cap: usize,
    clock: Arc<dyn Clock>,
    /// The instant `Duration`s handed to the policy are measured from.
    origin: Instant,
    random: Random,
    /// The pacer's one piece of state, shared by every call: the instant (nanoseconds since
    /// `origin`, 0 for none) before which no call may be sent. It only ever moves later, so an
    /// atomic maximum keeps it without a lock; [`Client::pacer`] turns it back into a
    /// [`Pacer`] for the policy to reason with.
    held_until_nanos: AtomicU64,
    /// The retry budget; the mutex is held for a few arithmetic steps, never across an await.
    budget: Option<Mutex<RetryBudget>>,
    /// Whether the budget was full when last updated. A first-try success cannot add to a
    /// full budget, so the common path skips the lock while this holds.
    budget_full: AtomicBool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("api", &inner.api)
            .field("account_sid", &inner.sid)
            .field("auth_token", &"<redacted>")
            .field("base_url", &inner.base)
            .field("format", &inner.format)
            .field("policy", &inner.policy)
            .finish()
    }
}

/// A response read within its cap, before it is judged.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The URL that answered when a redirect was followed; `None` when the call's own URL did.
    redirected_to: Option<Url>,
}

/// Why an attempt produced no response to judge.
struct Failure {
    transport: TransportFailure,
    kind: ErrorKind,
    message: String,
    source: Option<reqwest::Error>,
}

/// How an attempt ended.
enum AttemptEnd {
    Answered(Raw),
    Failed(Failure),
    /// A condition no retry can change (a success body over its cap).
    Fatal(Error),
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn from_parts(
        builder: ClientBuilder,
        sid: String,
        base: BaseUrl,
        authorization: HeaderValue,
        ir_version: Option<HeaderValue>,
        clock: Arc<dyn Clock>,
    ) -> Result<Client, Error> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            // Redirects are followed by hand so that the Authorization rule is explicit.
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(builder.pool_max_idle_per_host)
            .http1_only()
            .build()
            .map_err(|error| Error::config("could not build the http client").with_source(error))?;
        let now = clock.now();
        let budget = builder
            .budget
            .map(|config| RetryBudget::new(config, Duration::ZERO));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                account_root: format!("/{}/{sid}", builder.api.root()),
                api: builder.api,
                sid,
                base,
                authorization,
                ir_version,
                format: builder.format,
                policy: builder.policy,
                error_body_cap: builder.error_body_cap,
                success_body_cap: builder.success_body_cap,
                random: Random::new(builder.random_seed.unwrap_or_else(Random::seed_from_time)),
                clock,
                origin: now,
                held_until_nanos: AtomicU64::new(0),
                budget_full: AtomicBool::new(true),
                budget: budget.map(Mutex::new),
            }),
        })
    }

    /// The API relative paths are rooted in.
    pub fn api(&self) -> ApiKind {
        self.inner.api
    }

    /// The Account SID.
    pub fn account_sid(&self) -> &str {
        &self.inner.sid
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.policy
    }

    /// Tokens left in the shared retry budget now, or `None` without a budget.
    pub fn budget_left(&self) -> Option<u32> {
        let now = self.now();
        self.inner
            .budget
            .as_ref()
            .map(|budget| lock(budget).available(now))
    }

    /// The full path a request path resolves to: relative paths go under the account root.
    pub fn resolve_path(&self, path: &str) -> Result<String, Error> {
        let path = path.trim();
        if path.is_empty() || path == "/" {
            return Ok(self.inner.account_root.clone());
        }
        let resolved = if urls::is_absolute_api_path(path) {
            path.to_owned()
        } else {
            let root = &self.inner.account_root;
            let mut resolved = String::with_capacity(root.len() + 1 + path.len());
            resolved.push_str(root);
            if !path.starts_with('/') {
                resolved.push('/');
            }
            resolved.push_str(path);
            resolved
        };
        urls::check_path(&resolved)?;
        Ok(resolved)
    }

    /// A GET of `path`, relative to the account root.
    pub async fn get(&self, path: &str) -> Result<Response, Error> {
        self.send(Request::get(path)).await
    }

    /// Sends a request, retrying by the policy, and returns the successful response or the
    /// error that ended the call.
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        if let Some(message) = &request.error {
            return Err(Error::request(message.clone()));
        }
        let path = self.resolve_path(&request.path)?;
        let url = self.inner.base.join(&path, &request.query)?;
        // The send loop is awaited right here rather than through a helper: its state machine
        // is over 2 KiB and every async layer copies its child in whole once.
        let span = call_span(&request, &path);
        self.call(&request, url).instrument(span).await
    }

    /// Sends a request to the URL of a next-page URI (SPEC 2.4): only its path and query are
    /// used, on the configured base URL.
    pub(crate) async fn send_next_page(
        &self,
        template: &Request,
        uri: &str,
    ) -> Result<Response, Error> {
        let (path, query) = self.inner.base.next_page(uri)?;
        let url = self.inner.base.join(&path, &query)?;
        let span = call_span(template, &path);
        self.call(template, url).instrument(span).await
    }

    fn now(&self) -> Duration {
        self.since_origin(self.inner.clock.now())
    }

    /// An instant of the clock as the policy counts time: since the client was built.
    fn since_origin(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.inner.origin)
    }

    /// The shared pacing state as a [`Pacer`].
    fn pacer(&self) -> Pacer {
        let mut pacer = Pacer::new();
        let nanos = self.inner.held_until_nanos.load(Ordering::Acquire);
        if nanos != 0 {
            pacer.block_until(Duration::from_nanos(nanos));
        }
        pacer
    }

    /// Publishes what a [`Pacer`] now holds back, keeping the latest instant any call saw.
    fn hold(&self, pacer: &Pacer) {
        if let Some(until) = pacer.blocked_until(Duration::ZERO) {
            let nanos = u64::try_from(until.as_nanos()).unwrap_or(u64::MAX);
            self.inner
                .held_until_nanos
                .fetch_max(nanos, Ordering::AcqRel);
        }
    }

    /// Applies `update` to the retry budget, if there is one, under its lock, and notes
    /// whether it is full afterwards.
    fn with_budget<T>(
        &self,
        now: Duration,
        update: impl FnOnce(Option<&mut RetryBudget>) -> T,
    ) -> T {
        match &self.inner.budget {
            Some(budget) => {
                let mut budget = lock(budget);
                let result = update(Some(&mut budget));
                let full = budget.available(now) >= budget.config().capacity;
                self.inner.budget_full.store(full, Ordering::Release);
                result
            }
            None => update(None),
        }
    }

    async fn call(&self, request: &Request, url: Url) -> Result<Response, Error> {
        let inner = &*self.inner;
        let mut policy = inner.policy;
        if let Some(timeout) = request.timeout {
            policy.attempt_timeout = timeout;
        }
        let idempotency = if request.is_idempotent() {
            Idempotency::Idempotent
        } else {
            Idempotency::NotIdempotent
        };
        // The clock is read once before each attempt and once after it: admission, the start
        // of the call and the start of the attempt share the first reading, since nothing
        // between them waits.
        let mut before = inner.clock.now();
        let mut state = RetryState::start(&policy, self.since_origin(before));
        let mut last_report: Option<Report> = None;
        let mut last_rate: Option<RateLimitInfo> = None;

        loop {
            let admission = self
                .pacer()
                .admit(self.since_origin(before), policy.max_wait);
            match admission {
                Admission::Now => {}
                Admission::Wait(wait) => {
                    tracing::info!(
                        attempt = state.attempts() + 1,
                        delay_ms = wait.as_millis() as u64,
                        delay_source = "pacing",
                        "holding the call until the rate limit resets"
                    );
                    if let Some(left) = state.time_left(self.now())
                        && left <= wait
                    {
                        return Err(self.deadline_error(
                            &state,
                            last_report,
                            last_rate,
                            &urls::redacted(&url),
                        ));
                    }
                    inner.clock.sleep(wait).await;
                    before = inner.clock.now();
                }
                Admission::TooLong { retry_after } => {
                    return Err(self.rate_limited(
                        &state,
                        retry_after,
                        last_report,
                        last_rate,
                        &urls::redacted(&url),
                        "the account's rate limit is exhausted",
                    ));
                }
                _ => {}
            }
            let plan = match state.begin_attempt(&policy, self.since_origin(before)) {
                Ok(plan) => plan,
                Err(_) => {
                    return Err(self.deadline_error(
                        &state,
                        last_report,
                        last_rate,
                        &urls::redacted(&url),
                    ));
                }
            };
            let format = request.format.unwrap_or(inner.format);
            // The attempt's timeout is a real tokio timer, because it bounds real I/O, while
            // `plan.timeout` was already cut to the time left on the clock before the total
            // deadline. A clock that does not follow real time (a test's `ManualClock`) did
            // not move while the timer ran: it is moved to the attempt's end here, so that the
            // deadline and the delays after it count the timed-out attempt as its whole
            // timeout. A clock that follows real time is already past that instant.
            let started = before;
            let ended =
                match tokio::time::timeout(plan.timeout, self.attempt(request, &url, format)).await
                {
                    Ok(ended) => ended,
                    Err(_) => {
                        let attempt_end = started.checked_add(plan.timeout).unwrap_or(started);
                        if inner.clock.now() < attempt_end {
                            inner.clock.sleep_until(attempt_end).await;
                        }
                        AttemptEnd::Failed(Failure {
                            transport: TransportFailure::Timeout,
                            kind: ErrorKind::Timeout,
                            message: format!("attempt timed out after {:?}", plan.timeout),
                            source: None,
                        })
                    }
                };

            let now = self.since_origin(inner.clock.now());
            let unix_now = unix_secs(inner.clock.unix_now());
            let (outcome, failure) = match ended {
                AttemptEnd::Fatal(error) => {
                    return Err(error
                        .with_attempts(plan.number)
                        .with_url(&urls::redacted(&url)));
                }
                AttemptEnd::Answered(raw) => {
                    let rate = RateLimitInfo::from_header_map_at(&raw.headers, unix_now);
                    let report = impact_codec::error_report(&raw.body, raw.status);
                    let mut pacer = Pacer::new();
                    pacer.observe(&rate, raw.status, now, unix_now);
                    self.hold(&pacer);
                    if report.is_none()
                        && plan.number == 1
                        && !inner.budget_full.load(Ordering::Acquire)
                    {
                        self.with_budget(now, |budget| {
                            if let Some(budget) = budget {
                                budget.on_first_try_success(now);
                            }
                        });
                    }
                    let Some(report) = report else {
                        tracing::info!(
                            attempt = plan.number,
                            outcome = "success",
                            status = raw.status.as_u16(),
                            "attempt succeeded"
                        );
                        tracing::Span::current().record("attempts", plan.number);
                        return Ok(Response {
                            status: raw.status,
                            headers: raw.headers,
                            body: raw.body,
                            rate_limit: rate,
                            attempts: plan.number,
                            url: AnsweredUrl::new(raw.redirected_to.unwrap_or(url)),
                        });
                    };
                    let outcome = if raw.status.is_success() {
                        Outcome::ErrorInBody(raw.status)
                    } else {
                        Outcome::Status(raw.status)
                    };
                    last_report = Some(report);
                    last_rate = Some(rate);
                    (outcome, None)
                }
                AttemptEnd::Failed(failure) => {
                    (Outcome::Transport(failure.transport), Some(failure))
                }
            };

            let decision = {
                let empty = RateLimitInfo::default();
                let rate = match (&failure, &last_rate) {
                    (None, Some(rate)) => rate,
                    _ => &empty,
                };
                let failed = FailedAttempt::new(outcome, idempotency)
                    .with_rate_limit(rate)
                    .at(now, unix_now)
                    .with_random(inner.random.next_u64());
                // The pacer was told about this response above; the policy reads it to keep a
                // retry behind any hold.
                let pacer = self.pacer();
                self.with_budget(now, |budget| {
                    policy.decide(&mut state, &failed, budget, Some(&pacer))
                })
            };
            match decision {
                Decision::Retry(retry) => {
                    tracing::info!(
                        attempt = plan.number,
                        outcome = outcome.as_str(),
                        delay_ms = retry.delay.as_millis() as u64,
                        delay_source = retry.source.as_str(),
                        budget_left = retry.budget_left,
                        "attempt failed; retrying"
                    );
                    inner.clock.sleep(retry.delay).await;
                    before = inner.clock.now();
                }
                Decision::GiveUp(give_up) => {
                    tracing::info!(
                        attempt = plan.number,
                        outcome = outcome.as_str(),
                        give_up = give_up.reason.as_str(),
                        budget_left = self.budget_left(),
                        "attempt failed; giving up"
                    );
                    tracing::Span::current().record("attempts", give_up.attempts);
                    return Err(self.give_up(
                        give_up,
                        failure,
                        last_report,
                        last_rate,
                        &urls::redacted(&url),
                    ));
                }
            }
        }
    }

    fn give_up(
        &self,
        give_up: GiveUp,
        failure: Option<Failure>,
        report: Option<Report>,
        rate: Option<RateLimitInfo>,
        url: &str,
    ) -> Error {
        if give_up.reason == GiveUpReason::WaitTooLong {
            let after = give_up.retry_after.unwrap_or(Duration::ZERO);
            let unix = self.inner.clock.unix_now() + after;
            return Error::new(
                ErrorKind::RateLimited,
                "the server asks to wait longer than allowed",
            )
            .with_retry(after, unix)
            .with_report(report)
            .with_rate_limit(rate)
            .with_attempts(give_up.attempts)
            .with_url(url);
        }
        let error = match failure {
            Some(failure) => {
                let error = Error::new(failure.kind, failure.message);
                match failure.source {
                    Some(source) => error.with_source(source),
                    None => error,
                }
            }
            None => match report {
                Some(report) => Error::api(report).with_rate_limit(rate),
                None => Error::new(ErrorKind::Api, "the call failed"),
            },
        };
        error.with_attempts(give_up.attempts).with_url(url)
    }

    fn rate_limited(
        &self,
        state: &RetryState,
        after: Duration,
        report: Option<Report>,
        rate: Option<RateLimitInfo>,
        url: &str,
        message: &str,
    ) -> Error {
        let unix = self.inner.clock.unix_now() + after;
        Error::new(ErrorKind::RateLimited, message)
            .with_retry(after, unix)
            .with_report(report)
            .with_rate_limit(rate)
            .with_attempts(state.attempts())
            .with_url(url)
    }

    fn deadline_error(
        &self,
        state: &RetryState,
        report: Option<Report>,
        rate: Option<RateLimitInfo>,
        url: &str,
    ) -> Error {
        Error::new(ErrorKind::Timeout, "the call's total deadline passed")
            .with_report(report)
            .with_rate_limit(rate)
            .with_attempts(state.attempts())
            .with_url(url)
    }

    /// One attempt: send, follow redirects for GET and HEAD, read the body within its cap.
    async fn attempt(&self, request: &Request, url: &Url, format: Format) -> AttemptEnd {
        let inner = &*self.inner;
        let follows = matches!(request.method, Method::GET | Method::HEAD);
        // The call's URL is cloned once per request sent; a redirect replaces it.
        let mut url = Cow::Borrowed(url);
        let mut authorized = true;
        let mut redirects = 0;
        loop {
            let mut builder = inner
                .http
                .request(request.method.clone(), url.as_ref().clone())
                .header(header::ACCEPT, format.accept_header());
            if let Some(version) = &inner.ir_version {
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
                builder = builder.header(header::AUTHORIZATION, inner.authorization.clone());
            }
            if !request.headers.is_empty() {
                let mut headers = request.headers.clone();
                if !authorized {
                    // The caller's credentials stay with the origin they were meant for, as
                    // browsers and reqwest do on a redirect elsewhere.
                    for name in SENSITIVE_HEADERS {
                        headers.remove(name);
                    }
                }
                builder = builder.headers(headers);
            }
            let response = match builder.send().await {
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
                    // Credentials follow only to the same scheme, host and port, and never
                    // over plain http to anything but loopback (SPEC 3).
                    let same_origin = target.scheme() == url.scheme()
                        && target.host_str() == url.host_str()
                        && target.port_or_known_default() == url.port_or_known_default();
                    let safe = target.scheme() == "https" || urls::is_loopback(&target);
                    authorized = authorized && same_origin && safe;
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
            return self.read(response, redirected_to).await;
        }
    }

    /// Reads a response body within the cap for its status.
    async fn read(
        &self,
        mut response: reqwest::Response,
        redirected_to: Option<Url>,
    ) -> AttemptEnd {
        let status = StatusCode::from(response.status());
        let headers = std::mem::take(response.headers_mut());
        let success = status.is_success();
        let cap = if success {
            self.inner.success_body_cap
        } else {
            self.inner.error_body_cap
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
        // Most bodies arrive in one chunk: keep it as it came, and copy into a buffer only
        // when a second chunk follows.
        let mut first: Option<Bytes> = None;
        let mut body = BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let held = first.as_ref().map_or(0, Bytes::len) + body.len();
                    let room = cap - held;
                    if chunk.len() > room {
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
                        append(&mut first, &mut body, chunk.slice(..room), declared, cap);
                        break;
                    }
                    append(&mut first, &mut body, chunk, declared, cap);
                    if !success && first.as_ref().map_or(0, Bytes::len) + body.len() == cap {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) if success => {
                    return AttemptEnd::Failed(Failure {
                        transport: TransportFailure::BrokenBody,
                        kind: ErrorKind::Connection,
                        message: "the connection broke while reading the response body".to_owned(),
                        source: Some(error.without_url()),
                    });
                }
                // On an error status the status already says what happened: the bytes
                // received are explained instead (SPEC 3).
                Err(_) => break,
            }
        }
        let body = match first {
            Some(only) if body.is_empty() => only,
            _ => body.freeze(),
        };
        drop(response);
        AttemptEnd::Answered(Raw {
            status,
            headers,
            body,
            redirected_to,
        })
    }
}

/// The span of one call: its method and path, never the query (it may carry secrets), and the
/// attempts it took once it ends.
fn call_span(request: &Request, path: &str) -> tracing::Span {
    tracing::info_span!(
        "impact_call",
        method = %request.method,
        path = %path,
        attempts = tracing::field::Empty,
    )
}

/// Locks the retry budget. A panic while it was held cannot leave it inconsistent (each update
/// is a few assignments), so a poisoned lock is still used.
fn lock(budget: &Mutex<RetryBudget>) -> MutexGuard<'_, RetryBudget> {
    budget
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Adds a chunk to a body being read: the first chunk is held as it came; from the second on,
/// everything is gathered in `buffer`, sized from the declared length within the cap.
fn append(
    first: &mut Option<Bytes>,
    buffer: &mut BytesMut,
    chunk: Bytes,
    declared: Option<u64>,
    cap: usize,
) {
    if first.is_none() && buffer.is_empty() {
        *first = Some(chunk);
        return;
    }
    if let Some(held) = first.take() {
        let expected = declared.map_or(0, |length| length.min(cap as u64) as usize);
        buffer.reserve(expected.max(held.len() + chunk.len()));
        buffer.extend_from_slice(&held);
    }
    buffer.extend_from_slice(&chunk);
}

/// Classifies a failure to get response headers.
fn send_failure(error: reqwest::Error) -> Failure {
    let error = error.without_url();
    if error.is_connect() {
        Failure {
            transport: TransportFailure::ConnectRefused,
            kind: ErrorKind::Connection,
            message: "could not connect to the server".to_owned(),
            source: Some(error),
        }
    } else if error.is_timeout() {
        Failure {
            transport: TransportFailure::Timeout,
            kind: ErrorKind::Timeout,
            message: "the attempt timed out".to_owned(),
            source: Some(error),
        }
    } else {
        // Anything after the connection was made may have reached the server.
        Failure {
            transport: TransportFailure::BrokenBody,
            kind: ErrorKind::Connection,
            message: "the connection failed after the request was sent".to_owned(),
            source: Some(error),
        }
    }
}
