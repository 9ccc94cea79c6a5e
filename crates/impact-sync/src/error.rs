//! The one error of a sync: a kind to branch on, the stream it happened in, and the client's or
//! the store's error underneath when there is one.

use std::fmt;
use std::time::Duration;

use crate::store::StoreError;

/// What kind of failure a [`SyncError`] is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncErrorKind {
    /// A call failed after the client's retries: an API error, a transport failure or a rate
    /// limit beyond the allowed wait. [`SyncError::client_error`] holds the client's error.
    Client,
    /// The API refused a window for its size even when it could not be split further.
    WindowRefused,
    /// The store could not write or read.
    Store,
    /// An answer did not have the shape the stream expects: an item without its key, a job
    /// answer without its URIs.
    UnexpectedAnswer,
    /// An export job ended without a result (`FAILED`, `ERROR`, `CANCELLED`).
    JobFailed,
    /// The options or the state do not allow a run: a start date after now, an export stream
    /// without a report handle, a state from another plan.
    InvalidOptions,
}

impl SyncErrorKind {
    /// A short snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            SyncErrorKind::Client => "client",
            SyncErrorKind::WindowRefused => "window_refused",
            SyncErrorKind::Store => "store",
            SyncErrorKind::UnexpectedAnswer => "unexpected_answer",
            SyncErrorKind::JobFailed => "job_failed",
            SyncErrorKind::InvalidOptions => "invalid_options",
        }
    }
}

/// Why a sync stopped. Everything committed before it stays committed: running the same sync
/// again resumes where it stopped.
///
/// ```
/// use impact_sync::{SyncError, SyncErrorKind};
///
/// fn exit_code(error: &SyncError) -> i32 {
///     match error.client_error() {
///         Some(client) if client.is_rate_limited() => 4,
///         Some(client) if client.is_transport() => 3,
///         Some(_) => 1,
///         None if error.kind() == SyncErrorKind::InvalidOptions => 2,
///         None => 1,
///     }
/// }
/// ```
pub struct SyncError {
    inner: Box<Inner>,
}

struct Inner {
    kind: SyncErrorKind,
    message: String,
    stream: Option<String>,
    client: Option<impact_client::Error>,
    store: Option<StoreError>,
}

impl SyncError {
    fn new(kind: SyncErrorKind, message: impl Into<String>) -> SyncError {
        SyncError {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                stream: None,
                client: None,
                store: None,
            }),
        }
    }

    pub(crate) fn options(message: impl Into<String>) -> SyncError {
        SyncError::new(SyncErrorKind::InvalidOptions, message)
    }

    pub(crate) fn unexpected(message: impl Into<String>) -> SyncError {
        SyncError::new(SyncErrorKind::UnexpectedAnswer, message)
    }

    pub(crate) fn job_failed(message: impl Into<String>) -> SyncError {
        SyncError::new(SyncErrorKind::JobFailed, message)
    }

    pub(crate) fn refused(message: impl Into<String>) -> SyncError {
        SyncError::new(SyncErrorKind::WindowRefused, message)
    }

    pub(crate) fn client(error: impact_client::Error) -> SyncError {
        let mut sync = SyncError::new(SyncErrorKind::Client, String::new());
        sync.inner.client = Some(error);
        sync
    }

    pub(crate) fn with_client(mut self, error: impact_client::Error) -> SyncError {
        self.inner.client = Some(error);
        self
    }

    pub(crate) fn in_stream(mut self, stream: &str) -> SyncError {
        if self.inner.stream.is_none() {
            self.inner.stream = Some(stream.to_owned());
        }
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> SyncErrorKind {
        self.inner.kind
    }

    /// The stream being synced when it happened.
    pub fn stream(&self) -> Option<&str> {
        self.inner.stream.as_deref()
    }

    /// The client's error, for [`SyncErrorKind::Client`] and [`SyncErrorKind::WindowRefused`].
    pub fn client_error(&self) -> Option<&impact_client::Error> {
        self.inner.client.as_ref()
    }

    /// The store's error, for [`SyncErrorKind::Store`].
    pub fn store_error(&self) -> Option<&StoreError> {
        self.inner.store.as_ref()
    }

    /// Whether a rate limit beyond the allowed wait stopped the sync (the command line's exit
    /// code 4); [`SyncError::retry_after`] says when to come back.
    pub fn is_rate_limited(&self) -> bool {
        self.inner
            .client
            .as_ref()
            .is_some_and(impact_client::Error::is_rate_limited)
    }

    /// For a rate limit: how long to wait before running again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner
            .client
            .as_ref()
            .and_then(|error| error.retry_after())
    }

    /// Whether the options or the state did not allow the run.
    pub fn is_invalid_options(&self) -> bool {
        self.inner.kind == SyncErrorKind::InvalidOptions
    }
}

impl From<StoreError> for SyncError {
    fn from(error: StoreError) -> SyncError {
        let mut sync = SyncError::new(SyncErrorKind::Store, String::new());
        sync.inner.store = Some(error);
        sync
    }
}

impl From<impact_client::Error> for SyncError {
    fn from(error: impact_client::Error) -> SyncError {
        SyncError::client(error)
    }
}

/// `sync of Actions stopped: ...`; the wording is not an API.
impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        match &inner.stream {
            Some(stream) => write!(f, "sync of {stream} stopped")?,
            None => f.write_str("sync stopped")?,
        }
        if !inner.message.is_empty() {
            write!(f, ": {}", inner.message)?;
        }
        if let Some(client) = &inner.client {
            write!(f, ": {client}")?;
        }
        if let Some(store) = &inner.store {
            write!(f, ": {store}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut debug = f.debug_struct("SyncError");
        debug
            .field("kind", &inner.kind)
            .field("message", &inner.message);
        if let Some(stream) = &inner.stream {
            debug.field("stream", stream);
        }
        if let Some(client) = &inner.client {
            debug.field("client", client);
        }
        if let Some(store) = &inner.store {
            debug.field("store", store);
        }
        debug.finish()
    }
}

impl std::error::Error for SyncError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match (&self.inner.client, &self.inner.store) {
            (Some(client), _) => Some(client),
            (None, Some(store)) => Some(store),
            (None, None) => None,
        }
    }
}
