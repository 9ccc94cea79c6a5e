//! The store's one error type. Its wording may change; branch on [`Error::kind`] and the
//! predicates, never on the text.

use core::fmt;
use std::time::Duration;

/// What went wrong with the shared store.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Redis could not be reached, dropped the connection, or is known to be down (the store
    /// waits a moment before trying again, so that calls do not each wait for it).
    Unavailable,
    /// An operation took longer than the store's bound.
    Timeout,
    /// Redis answered with an error, or with a reply the scripts never give.
    Reply,
    /// The store's configuration (its URL, a key name, a bound) is not usable.
    Config,
}

/// An error from the shared store.
///
/// Every store error leaves the caller free to go on without the store (SPEC 10): nothing in
/// the shared state is half-written, since each operation is one atomic script.
/// [`Error::is_unavailable`] says whether trying again later may help.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<redis::RedisError>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn timeout(bound: Duration) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!("the shared quota store did not answer within {bound:?}"),
        )
    }

    pub(crate) fn from_redis(error: redis::RedisError) -> Error {
        let kind = if error.is_io_error()
            || error.is_connection_dropped()
            || error.is_connection_refusal()
            || error.is_unrecoverable_error()
        {
            ErrorKind::Unavailable
        } else if error.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Reply
        };
        Error {
            kind,
            message: "the shared quota store failed".to_owned(),
            source: Some(error),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the store could not be used right now (unreachable, dropped, or too slow), so
    /// that it may work again later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self.kind, ErrorKind::Unavailable | ErrorKind::Timeout)
    }

    /// Whether an operation ran out of its time bound.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// Whether the configuration is at fault (it will not work later either).
    pub fn is_config(&self) -> bool {
        self.kind == ErrorKind::Config
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            // Redis's own words (an error reply, an I/O error); it never sees a token, and the
            // store's URL, which may carry a password, is never part of them.
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}
