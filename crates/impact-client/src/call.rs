//! One call's state across its attempts, and the one place where a finished call becomes a
//! [`Response`] or an [`Error`]: kind, message, report, rate limit, attempts and the redacted
//! URL are attached there, once.

use std::time::Duration;

use impact_errors::{RateLimitInfo, Report};
use impact_retry::{GiveUp, GiveUpReason, Idempotency, Outcome, RetryPolicy, RetryState};
use reqwest::Url;

use crate::config::Format;
use crate::error::{Error, ErrorKind};
use crate::request::Request;
use crate::response::Response;
use crate::time::Clock;
use crate::url::{self as urls, AnsweredUrl};
use crate::wire::{Answer, Failure};

/// One call: where it goes, the policy it runs under, and what its attempts have left behind
/// so far.
pub(crate) struct Call {
    /// The call's URL, query included: never printed (see [`urls::redacted`]).
    pub(crate) url: Url,
    /// The client's policy with the request's own timeout, if it has one.
    pub(crate) policy: RetryPolicy,
    pub(crate) idempotency: Idempotency,
    pub(crate) format: Format,
    pub(crate) retry: RetryState,
    /// The last answer that was an error, boxed: a call that succeeds at once never has one,
    /// and the call's state is moved into its future whole.
    pub(crate) last_error: Option<Box<LastError>>,
}

/// What a failed call shows of the last answer that was an error.
pub(crate) struct LastError {
    report: Option<Report>,
    pub(crate) rate: RateLimitInfo,
}

/// How a call ended.
#[expect(
    clippy::large_enum_variant,
    reason = "built once per call and moved once into `Call::finish`; boxing the answer would \
              allocate on every successful call"
)]
pub(crate) enum Ending {
    /// The last attempt answered with success.
    Succeeded { answer: Answer, attempts: u32 },
    /// The policy gave up after a failed attempt; `failure` when no response came.
    GaveUp {
        give_up: GiveUp,
        failure: Option<Failure>,
    },
    /// The account's pace forbids sending for longer than the caller allows.
    Refused { retry_after: Duration },
    /// The total deadline came before the next attempt could start.
    DeadlinePassed,
    /// A condition no retry changes (a success body over its cap, a failed store that the
    /// policy says to fail on).
    Failed(Error),
}

impl Call {
    /// A call of `request` to `url` starting at `now` (since the client's origin).
    pub(crate) fn start(
        request: &Request,
        url: Url,
        client_policy: &RetryPolicy,
        client_format: Format,
        now: Duration,
    ) -> Call {
        let mut policy = *client_policy;
        if let Some(timeout) = request.timeout {
            policy.attempt_timeout = timeout;
        }
        let idempotency = if request.is_idempotent() {
            Idempotency::Idempotent
        } else {
            Idempotency::NotIdempotent
        };
        Call {
            url,
            policy,
            idempotency,
            format: request.format.unwrap_or(client_format),
            retry: RetryState::start(&policy, now),
            last_error: None,
        }
    }

    /// Keeps an answer that is an error (its report and headers are what a failed call shows)
    /// and returns its outcome for the policy.
    pub(crate) fn answered_with_error(&mut self, answer: Answer) -> Outcome {
        let status = answer.raw.status;
        self.last_error = Some(Box::new(LastError {
            report: answer.report.map(|report| *report),
            rate: answer.rate,
        }));
        if status.is_success() {
            Outcome::ErrorInBody(status)
        } else {
            Outcome::Status(status)
        }
    }

    /// The one place a call ends: its response, or its error with everything attached.
    pub(crate) fn finish(self, ending: Ending, clock: &dyn Clock) -> Result<Response, Error> {
        let Call {
            url,
            retry,
            last_error,
            ..
        } = self;
        let (last_report, last_rate) = match last_error {
            Some(last) => (last.report, Some(last.rate)),
            None => (None, None),
        };
        let (error, attempts) = match ending {
            Ending::Succeeded { answer, attempts } => {
                tracing::Span::current().record("attempts", attempts);
                let Answer { raw, rate, .. } = answer;
                return Ok(Response {
                    status: raw.status,
                    headers: raw.headers,
                    body: raw.body,
                    rate_limit: rate,
                    attempts,
                    url: AnsweredUrl::new(raw.redirected_to.unwrap_or(url)),
                });
            }
            Ending::GaveUp { give_up, failure } => {
                let last = (last_report, last_rate);
                (
                    give_up_error(give_up, failure, last, clock),
                    give_up.attempts,
                )
            }
            Ending::Refused { retry_after } => (
                rate_limited("the account's rate limit is exhausted", retry_after, clock)
                    .with_report(last_report)
                    .with_rate_limit(last_rate),
                retry.attempts(),
            ),
            Ending::DeadlinePassed => (
                Error::new(ErrorKind::Timeout, "the call's total deadline passed")
                    .with_report(last_report)
                    .with_rate_limit(last_rate),
                retry.attempts(),
            ),
            Ending::Failed(error) => (error, retry.attempts()),
        };
        tracing::Span::current().record("attempts", attempts);
        Err(error
            .with_attempts(attempts)
            .with_url(&urls::redacted(&url)))
    }
}

/// The error of a call the policy gave up on: a rate limit when the wait was too long, the
/// transport failure when no response came, else the last answer's report.
fn give_up_error(
    give_up: GiveUp,
    failure: Option<Failure>,
    (last_report, last_rate): (Option<Report>, Option<RateLimitInfo>),
    clock: &dyn Clock,
) -> Error {
    if give_up.reason == GiveUpReason::WaitTooLong {
        let after = give_up.retry_after.unwrap_or(Duration::ZERO);
        return rate_limited("the server asks to wait longer than allowed", after, clock)
            .with_report(last_report)
            .with_rate_limit(last_rate);
    }
    match (failure, last_report) {
        (Some(failure), _) => failure.into_error(),
        (None, Some(report)) => Error::api(report).with_rate_limit(last_rate),
        (None, None) => Error::new(ErrorKind::Api, "the call failed"),
    }
}

/// A rate-limit error that says to come back after `after`, by the clock's wall time.
fn rate_limited(message: &str, after: Duration, clock: &dyn Clock) -> Error {
    Error::new(ErrorKind::RateLimited, message).with_retry(after, clock.unix_now() + after)
}
