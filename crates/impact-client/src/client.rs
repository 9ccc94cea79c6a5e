//! The client and its retry loop (SPEC 3): the loop of `impact-retry`'s crate docs over the
//! three pieces of the send path: one call's state (`call.rs`), one attempt on the wire
//! (`wire.rs`) and the account's limits (`limits/`).

use std::fmt;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderValue;
use impact_retry::{Admission, Decision, FailedAttempt, GiveUp, Outcome, Retry, RetryPolicy};
use reqwest::Url;
use tokio::time::Instant;
use tracing::Instrument;

use crate::call::{Call, Ending};
use crate::config::{ApiKind, ClientBuilder, Credentials, Format, USER_AGENT};
use crate::error::Error;
use crate::limits::{Asking, LimitKey, Limits, RateGroup};
use crate::request::Request;
use crate::response::Response;
use crate::time::{Clock, Random, unix_secs};
use crate::url::{self as urls, BaseUrl};
use crate::wire::{Answer, AttemptEnd, Failure, Wire};

/// An async client for one impact.com account.
///
/// Cheap to clone: clones share the connection pool, the pace of each rate-limit group and the
/// retry budget, so that every call on the account is paced and budgeted together. With a store
/// of shared limits ([`ClientBuilder::shared_limits`]) other processes share them too.
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

/// What a client and its clones share: the wire, the account, the policy, time and limits.
struct Inner {
    wire: Wire,
    base: BaseUrl,
    /// `/Mediapartners/{SID}` and the others: where relative paths are rooted.
    account_root: String,
    api: ApiKind,
    sid: String,
    format: Format,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    /// The instant `Duration`s handed to the policy and the limits are measured from.
    origin: Instant,
    random: Random,
    /// The account's pace per rate-limit group and its retry budget: in the process, and in a
    /// shared store when one is configured.
    limits: Limits,
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

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn from_parts(
        builder: ClientBuilder,
        sid: String,
        base: BaseUrl,
        credentials: Credentials,
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
        let store = builder
            .shared_limits
            .map(|store| (store, builder.store_policy));
        let limits = Limits::new(&sid, builder.budget, store);
        Ok(Client {
            inner: Arc::new(Inner {
                wire: Wire {
                    http,
                    authorization: credentials.authorization,
                    secrets: credentials.secrets,
                    ir_version,
                    error_body_cap: builder.error_body_cap,
                    success_body_cap: builder.success_body_cap,
                },
                account_root: format!("/{}/{sid}", builder.api.root()),
                api: builder.api,
                sid,
                base,
                format: builder.format,
                policy: builder.policy,
                random: Random::new(builder.random_seed.unwrap_or_else(Random::seed_from_time)),
                clock,
                origin: now,
                limits,
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

    /// Tokens left now in the retry budget the client keeps in its process (shared by its
    /// clones), or `None` without a budget. With a store of shared limits, the store's budget
    /// is the one retries draw from while it answers; this one takes over when it fails.
    pub fn budget_left(&self) -> Option<u32> {
        self.inner.limits.local().budget_left(self.now())
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
        // The request's own path names the same group as the resolved one, in fewer bytes.
        let group = RateGroup::of_path(&request.path);
        // The send loop is awaited right here rather than through a helper, and pinned where
        // it is built: its state machine is well over 1 KiB, and every layer that takes a
        // future by value (an `async fn`, `Instrumented`) copies it in whole.
        let span = call_span(&request, &path, group);
        let call = pin!(self.call(&request, url, group));
        call.instrument(span).await
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
        let group = RateGroup::of_path(&path);
        let span = call_span(template, &path, group);
        let call = pin!(self.call(template, url, group));
        call.instrument(span).await
    }

    fn now(&self) -> Duration {
        self.since_origin(self.inner.clock.now())
    }

    /// An instant of the clock as the policy counts time: since the client was built.
    fn since_origin(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.inner.origin)
    }

    /// One call: the retry loop of `impact-retry`'s crate docs. Before each attempt the
    /// account's limits admit it (in the request's rate-limit group); the attempt goes on the
    /// wire under its timeout; its answer is observed by the limits; a success ends the call
    /// (and refills the budget when it took one attempt), anything else is decided on, the
    /// retry charged to the budget, and slept.
    async fn call(&self, request: &Request, url: Url, group: RateGroup) -> Result<Response, Error> {
        let inner = &*self.inner;
        let clock = &*inner.clock;
        let key = LimitKey::new(&inner.sid, group);
        // The clock is read once before each attempt and once after it: admission, the start
        // of the call and the start of the attempt share the first reading, since nothing
        // between them waits.
        let mut before = clock.now();
        let now = self.since_origin(before);
        let mut call = Call::start(request, url, &inner.policy, inner.format, now);
        loop {
            before = match self.admit(&call, key, before).await {
                Ok(admitted) => admitted,
                Err(ending) => return call.finish(ending, clock),
            };
            let Ok(plan) = call
                .retry
                .begin_attempt(&call.policy, self.since_origin(before))
            else {
                return call.finish(Ending::DeadlinePassed, clock);
            };
            // What the attempt left behind is scoped to this block, so that it takes no room in
            // the call's future beside the waits that follow.
            let (outcome, failure, now, unix_now) = {
                let ended = {
                    // Pinned where it is built, so that the timeout holds a pointer to it
                    // rather than a copy of its state.
                    let attempt = pin!(inner.wire.attempt(request, &call.url, call.format));
                    tokio::time::timeout(plan.timeout, attempt).await
                };
                let ended = match ended {
                    Ok(ended) => ended,
                    Err(_) => {
                        self.catch_up(before, plan.timeout).await;
                        AttemptEnd::Failed(Failure::timed_out(plan.timeout))
                    }
                };
                let (now, unix_now) = (self.now(), unix_secs(clock.unix_now()));
                match self.judge(&mut call, ended, plan.number, group, (now, unix_now)) {
                    Next::Finish(ending) => return call.finish(ending, clock),
                    Next::Decide { outcome, failure } => (outcome, failure, now, unix_now),
                }
            };
            let decided = {
                let mut failed = FailedAttempt::new(outcome, call.idempotency)
                    .at(now, unix_now)
                    .with_random(inner.random.next_u64());
                // The headers are a response's: a transport failure has none.
                if let (None, Some(last)) = (&failure, &call.last_error) {
                    failed = failed.with_rate_limit(&last.rate);
                }
                let decided = inner
                    .limits
                    .decide(key, &call.policy, &mut call.retry, &failed);
                decided.settle().await
            };
            match decided {
                Ok(Decision::Retry(retry)) => {
                    trace_retry(plan.number, outcome, &retry);
                    clock.sleep(retry.delay).await;
                    before = clock.now();
                }
                Ok(Decision::GiveUp(give_up)) => {
                    let budget_left = inner.limits.local().budget_left(self.now());
                    trace_give_up(plan.number, outcome, &give_up, budget_left);
                    return call.finish(Ending::GaveUp { give_up, failure }, clock);
                }
                Err(error) => return call.finish(Ending::Failed(error), clock),
            }
        }
    }

    /// What an attempt's end means: the limits observe an answer; a success ends the call (and
    /// refills the budget when it took one attempt); anything else is for the policy to decide.
    fn judge(
        &self,
        call: &mut Call,
        ended: AttemptEnd,
        attempt: u32,
        group: RateGroup,
        (now, unix_now): (Duration, u64),
    ) -> Next {
        let limits = &self.inner.limits;
        let raw = match ended {
            AttemptEnd::Answered(raw) => raw,
            AttemptEnd::Failed(failure) => {
                let outcome = Outcome::Transport(failure.transport);
                let failure = Some(failure);
                return Next::Decide { outcome, failure };
            }
            AttemptEnd::Fatal(error) => return Next::Finish(Ending::Failed(error)),
        };
        let answer = Answer::judge(raw, unix_now, &self.inner.wire.secrets);
        let status = answer.raw.status;
        limits.observe(group, &answer.rate, status, now, unix_now);
        if answer.report.is_some() {
            let outcome = call.answered_with_error(answer);
            return Next::Decide {
                outcome,
                failure: None,
            };
        }
        if attempt == 1 {
            limits.refill(group, now);
        }
        trace_success(attempt, status.as_u16());
        Next::Finish(Ending::Succeeded {
            answer,
            attempts: attempt,
        })
    }

    /// Waits until the account's limits admit the call's next attempt, and returns the clock's
    /// reading after any wait; or how the call ends when the wait is too long, would cross the
    /// deadline, or the store of shared limits failed with the policy to fail.
    ///
    /// A store may answer [`Admission::Later`]: the call sleeps, then asks again with what is
    /// left of its maximum wait, so that what the server said meanwhile applies to it. The
    /// in-process limits never answer it, so without a store this asks once.
    async fn admit(
        &self,
        call: &Call,
        key: LimitKey<'_>,
        mut before: Instant,
    ) -> Result<Instant, Ending> {
        let max_wait = call.policy.max_wait;
        let mut waited = Duration::ZERO;
        let mut asking = Asking::First;
        loop {
            let allowed = max_wait.saturating_sub(waited);
            let admission = self
                .inner
                .limits
                .admit(key, self.since_origin(before), allowed, asking)
                .settle()
                .await
                .map_err(Ending::Failed)?;
            let (wait, again) = match admission {
                Admission::Wait(wait) => (wait, false),
                Admission::Later(wait) => (wait, true),
                Admission::TooLong { retry_after } => return Err(Ending::Refused { retry_after }),
                _ => return Ok(before),
            };
            // A store that answers beyond the allowance is held to it all the same.
            if wait > allowed {
                return Err(Ending::Refused { retry_after: wait });
            }
            trace_hold(call.retry.attempts() + 1, admission);
            if let Some(left) = call.retry.time_left(self.now())
                && left <= wait
            {
                return Err(Ending::DeadlinePassed);
            }
            // A store that keeps answering "ask again now" is asked at most once a millisecond.
            let wait = if again { wait.max(MIN_ASK_AGAIN) } else { wait };
            self.inner.clock.sleep(wait).await;
            before = self.inner.clock.now();
            if !again {
                return Ok(before);
            }
            waited = waited.saturating_add(wait);
            asking = Asking::Again;
        }
    }

    /// After an attempt timed out. Its timeout is a real tokio timer, because it bounds real
    /// I/O, while its length was already cut to the time left on the clock before the total
    /// deadline. A clock that does not follow real time (a test's `ManualClock`) did not move
    /// while the timer ran: it is moved to the attempt's end here, so that the deadline and the
    /// delays after it count the timed-out attempt as its whole timeout. A clock that follows
    /// real time is already past that instant.
    async fn catch_up(&self, started: Instant, timeout: Duration) {
        let clock = &*self.inner.clock;
        let attempt_end = started.checked_add(timeout).unwrap_or(started);
        if clock.now() < attempt_end {
            clock.sleep_until(attempt_end).await;
        }
    }
}

/// The shortest sleep before asking a store of shared limits again.
const MIN_ASK_AGAIN: Duration = Duration::from_millis(1);

/// What the loop does after an attempt.
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per attempt and matched at once; boxing would allocate per call"
)]
enum Next {
    /// The call ends.
    Finish(Ending),
    /// The attempt failed: the policy decides, from its outcome and the transport failure if
    /// no response came.
    Decide {
        outcome: Outcome,
        failure: Option<Failure>,
    },
}

/// Every attempt is visible (SPEC 3): one event per attempt with its number, outcome and what
/// was decided. The `decision` field (`success`, `retry`, `give_up`, and `hold` before an
/// attempt) is stable for programs that read the events; the message is for people.
fn trace_success(attempt: u32, status: u16) {
    tracing::info!(
        attempt,
        outcome = "success",
        status,
        decision = "success",
        "attempt succeeded"
    );
}

/// Before an attempt, the account's limits hold it back: to send after the wait, or (a store of
/// shared limits) to ask again after it.
fn trace_hold(attempt: u32, admission: Admission) {
    let (wait, ask_again, message) = match admission {
        Admission::Later(wait) => (
            wait,
            true,
            "holding the call; the shared limits will be asked again",
        ),
        other => (
            other.delay().unwrap_or_default(),
            false,
            "holding the call until the rate limit resets",
        ),
    };
    tracing::info!(
        attempt,
        delay_ms = wait.as_millis() as u64,
        delay_source = "pacing",
        decision = "hold",
        ask_again,
        "{message}"
    );
}

fn trace_retry(attempt: u32, outcome: Outcome, retry: &Retry) {
    tracing::info!(
        attempt,
        outcome = outcome.as_str(),
        delay_ms = retry.delay.as_millis() as u64,
        delay_source = retry.source.as_str(),
        budget_left = retry.budget_left,
        decision = "retry",
        "attempt failed; retrying"
    );
}

fn trace_give_up(attempt: u32, outcome: Outcome, give_up: &GiveUp, budget_left: Option<u32>) {
    tracing::info!(
        attempt,
        outcome = outcome.as_str(),
        give_up = give_up.reason.as_str(),
        budget_left,
        decision = "give_up",
        "attempt failed; giving up"
    );
}

/// The span of one call: its method, path and rate-limit group, never the query (it may
/// carry secrets), and the attempts it took once it ends.
fn call_span(request: &Request, path: &str, group: RateGroup) -> tracing::Span {
    tracing::info_span!(
        "impact_call",
        method = %request.method,
        path = %path,
        group = group.as_str(),
        attempts = tracing::field::Empty,
    )
}
