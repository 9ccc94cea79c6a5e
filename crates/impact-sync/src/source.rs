//! Where pages come from: the [`Source`] seam the runner reads through, and its implementation
//! on `impact-client`. Tests put a deterministic fake behind the same seam.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use impact_client::{Client, Clock, Request, TokioClock};
use tokio::time::Instant;

use crate::redact::Redactor;

use crate::time::Timestamp;

/// A successful answer: its status (200, or 202 for a job not done), content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
}

impl Answer {
    /// An answer from its parts.
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<Bytes>) -> Answer {
        Answer {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.into(),
        }
    }

    /// A `200` with a JSON body.
    pub fn json(body: impl Into<Bytes>) -> Answer {
        Answer::new(200, Some("application/json"), body)
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// Why a read failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FetchError {
    /// The API refused the request for the size of its window: too many records for the page
    /// size, or too long a date range. The runner splits the window and reads the halves.
    TooLarge {
        /// What the API said.
        message: String,
        /// The client's error, when the refusal came through the client.
        error: Option<impact_client::Error>,
    },
    /// Any other failure, after the client's retries.
    Client(impact_client::Error),
}

/// What the runner reads through: GETs of paths under the account root, the time, and sleep.
pub trait Source: Send + Sync {
    /// Now, by the server's clock when it is known (the windows of a run end here).
    fn now(&self) -> Timestamp;

    /// Whether [`Source::now`] is the server's clock (learnt from an answer) rather than an
    /// estimate. Until it is, the runner does not judge windows against the API's floor: a
    /// run resumed by a new process reads its next window as planned.
    fn knows_server_time(&self) -> bool {
        true
    }

    /// A GET of `target`: a path relative to the account root (or absolute under
    /// `/Mediapartners/`, `/Advertisers/`), with its query.
    fn get(&self, target: &str) -> impl Future<Output = Result<Answer, FetchError>> + Send;

    /// Waits (between polls of an export job).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// A source behind a reference or an `Arc` is the source.
macro_rules! delegate_source {
    ($($pointer:ty),*) => {$(
        impl<T: Source + ?Sized> Source for $pointer {
            fn now(&self) -> Timestamp {
                (**self).now()
            }

            fn knows_server_time(&self) -> bool {
                (**self).knows_server_time()
            }

            fn get(&self, target: &str) -> impl Future<Output = Result<Answer, FetchError>> + Send {
                (**self).get(target)
            }

            fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
                (**self).sleep(duration)
            }
        }
    )*};
}

delegate_source!(&T, Arc<T>);

/// The source of a real account: an [`impact_client::Client`], whose retries, pacing and
/// rate-limit waits apply to every read.
///
/// Its clock is the server's: the `Date` header of the latest answer, advanced by the time
/// since on the local clock; before the first answer, the local clock. A mock whose world
/// clock differs from the machine's, or a machine whose clock is off, then still gets windows
/// that end at the server's now and a three-year floor the server accepts.
///
/// It is given the auth token so that an answer that echoes it (in an item, in a page link)
/// never carries it into a store or a checkpoint: the token, its percent-encoding and the
/// Basic credentials built from it are replaced by `<redacted>` in every answer before it is
/// read. `Debug` never shows the token.
#[derive(Clone)]
pub struct ClientSource {
    client: Client,
    clock: Arc<dyn Clock>,
    server_time: Arc<Mutex<Option<(Timestamp, Instant)>>>,
    redactor: Arc<Redactor>,
}

impl fmt::Debug for ClientSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSource")
            .field("client", &self.client)
            .field("clock", &self.clock)
            .field("redactor", &self.redactor)
            .finish()
    }
}

impl ClientSource {
    /// A source on `client`, whose auth token is `auth_token`, sleeping on tokio's clock.
    pub fn new(client: Client, auth_token: &str) -> ClientSource {
        ClientSource::with_clock(client, auth_token, Arc::new(TokioClock::new()))
    }

    /// A source on `client` that reads time and sleeps through `clock`.
    pub fn with_clock(client: Client, auth_token: &str, clock: Arc<dyn Clock>) -> ClientSource {
        let redactor = Redactor::new(client.account_sid(), auth_token);
        ClientSource {
            client,
            clock,
            server_time: Arc::new(Mutex::new(None)),
            redactor: Arc::new(redactor),
        }
    }

    /// The body with every form of the token replaced.
    fn scrub(&self, body: Bytes) -> Bytes {
        match self.redactor.redact(&body) {
            std::borrow::Cow::Borrowed(_) => body,
            std::borrow::Cow::Owned(scrubbed) => Bytes::from(scrubbed),
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Notes the server's time from a response's `Date` header.
    pub fn observe(&self, response: &impact_client::Response) {
        let date = response
            .headers()
            .get("date")
            .and_then(|value| value.to_str().ok())
            .and_then(|text| impact_errors::parse_http_date(text).ok())
            .and_then(|secs| i64::try_from(secs).ok());
        if let Some(secs) = date {
            let mut server_time = self
                .server_time
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *server_time = Some((Timestamp::from_unix(secs), self.clock.now()));
        }
    }
}

impl Source for ClientSource {
    fn now(&self) -> Timestamp {
        let server_time = *self
            .server_time
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match server_time {
            Some((date, seen)) => {
                let since = self.clock.now().saturating_duration_since(seen);
                date.add_secs(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
            }
            None => Timestamp::from_system_time(self.clock.unix_now()),
        }
    }

    fn knows_server_time(&self) -> bool {
        self.server_time
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }

    async fn get(&self, target: &str) -> Result<Answer, FetchError> {
        match self.client.send(Request::get(target)).await {
            Ok(response) => {
                self.observe(&response);
                let status = response.status().as_u16();
                let content_type = response.content_type().map(str::to_owned);
                Ok(Answer {
                    status,
                    content_type,
                    body: self.scrub(response.into_bytes()),
                })
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn sleep(&self, duration: Duration) {
        self.clock.sleep(duration).await;
    }
}

/// Turns a client error into a [`FetchError`]: a refusal for size is one the runner can act on.
pub fn classify(error: impact_client::Error) -> FetchError {
    let Some(report) = error.api_error() else {
        return FetchError::Client(error);
    };
    if report.http_status().map(|status| status.as_u16()) != Some(400) {
        return FetchError::Client(error);
    }
    let body = report.body();
    let text: String = body
        .message
        .iter()
        .map(String::as_str)
        .chain(body.errors.iter().map(|field| field.message.as_str()))
        .chain(body.excerpt.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    if refused_for_size(&text) {
        FetchError::TooLarge {
            message: text,
            error: Some(error),
        }
    } else {
        FetchError::Client(error)
    }
}

/// Whether the words of a 400 say that the window holds too much: too many records for the
/// page size, or too long a date range. The reference gives the rule, not its wording
/// ("If the total record count exceeds 10 times the page size, an error message will prompt
/// you to either adjust either the PageSize or the StartDate or EndDate"; "cannot be more than
/// 45 days apart"), so this reads for its terms. A refusal of the three-year floor alone is not
/// one: halves of the window would be refused as well. When both are named, splitting is
/// tried: a window that cannot be split further ends the run with the API's error.
pub fn refused_for_size(message: &str) -> bool {
    let text = message.to_ascii_lowercase();
    let about_size = ["too many", "record", "pagesize", "page size"]
        .iter()
        .any(|term| text.contains(term));
    let about_range = ["date range", "days apart", "45 days"]
        .iter()
        .any(|term| text.contains(term));
    about_size || about_range
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_refusals_for_size() {
        let cases = [
            (
                "Too many records. Please adjust the PageSize or the StartDate or EndDate",
                true,
            ),
            (
                "The total record count exceeds 10 times the page size",
                true,
            ),
            (
                "StartDate and EndDate cannot be more than 45 days apart",
                true,
            ),
            ("The date range cannot exceed 45 days", true),
            ("StartDate cannot exceed 3 years in the past", false),
            (
                "StartDate cannot be more than 3 years in the past or more than 45 days before EndDate",
                true,
            ),
            ("EndDate is required when StartDate is specified", false),
            ("Validation Failed; CampaignId: Not a numeric value", false),
            ("", false),
        ];
        for (message, expect) in cases {
            assert_eq!(refused_for_size(message), expect, "{message:?}");
        }
    }
}
