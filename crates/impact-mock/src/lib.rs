//! A loopback HTTP/1.1 server that emulates the impact.com REST APIs and every way they fail.
//!
//! `impact-mock` is for the client's tests, for `impact mock` and `impact demo`, and for your
//! own integration tests. It speaks HTTP/1.1 by hand (on tokio and `httparse`) so that it can
//! misbehave at the byte level as well as answer correctly.
//!
//! # The emulated API
//! The Partner API (`/Mediapartners/{SID}`, v16) and the Brand API (`/Advertisers/{SID}`,
//! v14; `/Agencies/{SID}` gets the Brand view) of a generated account that lives in time:
//! every resource the public connectors read, with every attribute the reference documents,
//! its filters under their current and older names, its documented rules and refusals, page
//! sizes, order and rate-limit group (`README.md` lists them, and where each attribute list
//! comes from). A resource is one row of a table; items are made from the seed and their
//! number, never all held in memory, so a world of a million actions starts at once.
//! - HTTP Basic authentication: username the Account SID, password the auth token. Missing or
//!   wrong credentials answer `401` (a problem document in JSON, an envelope in XML).
//!   [`DEMO_ACCOUNT_SID`] and [`DEMO_AUTH_TOKEN`] always work; add accounts with
//!   [`MockServerBuilder::account`]; scoped tokens answer `403` for endpoints they lack.
//! - XML unless `Accept` asks for JSON or the path ends in `.json`.
//! - The world's clock ([`ClockMode`], [`MockServer::advance_clock`]): actions are created,
//!   adjusted, reversed, approved at their locking date and cleared as it moves, always the same
//!   way for the same seed; writes (`POST /Conversions`, `POST /Actions`, Brand `PUT`/`DELETE
//!   /Actions`, `POST /ActionInquiries`, deletions) change the world; export jobs run.
//! - Rate limits per account and endpoint group ([`Quota`]), with the API's header families and
//!   `429` with `Retry-After`.
//! - [`MockServer::builder`] serves a small fixed world for tests by default;
//!   [`MockServerBuilder::config`] takes a [`MockConfig`], everything `impact mock`'s flags set.
//! - The control interface under `/_mock/` does over HTTP what the Rust API does: faults, the
//!   clock, the request log, quota counters, scoped tokens, and the ground truth of every
//!   resource as a stream of JSON lines.
//!
//! # Scripted faults
//! [`MockServer::push_fault`] answers the next N requests matching a [`RequestMatch`] with a
//! [`Fault`]: any status, headers and body (raw bytes, or a [`DecodedBody`] encoded in JSON or
//! XML), a delay, a trickled body, or a [`Misbehaviour`] that breaks the framing: a reset
//! before the headers or after K body bytes, a `Content-Length` longer or shorter than the
//! body, broken chunked encoding, headers that never end, an HTTP/1.0 close-delimited answer.
//! [`Fault::huge`] streams a body of any size without holding it in memory.
//!
//! # Using the mock in your own tests
//! ```
//! use impact_mock::{DEMO_ACCOUNT_SID, Fault, MockServer, RequestMatch};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = MockServer::start().await.expect("a loopback port");
//! // The next GET of the campaign list fails with a 503 that asks for a 2 s pause.
//! server.push_fault(
//!     RequestMatch::exact(&format!("/Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns")).method("GET"),
//!     1,
//!     Fault::status(503).header("Retry-After", "2"),
//! );
//!
//! // Point your client at `server.base_url()`; here, a raw request shows what it receives.
//! let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
//! let request = format!(
//!     "GET /Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
//! );
//! stream.write_all(request.as_bytes()).await.unwrap();
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer).await.unwrap();
//! assert!(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
//! assert!(answer.contains("Retry-After: 2\r\n"));
//!
//! let log = server.requests();
//! assert_eq!(log[0].status, 503);
//! assert!(log[0].scripted);
//! server.shutdown().await;
//! # });
//! ```
//!
//! The server never prints to stdout; it reports through `tracing`, and never logs a
//! credential.

mod attrs;
mod clock;
mod config;
mod connection;
mod control;
mod exports;
mod fault;
mod http;
mod jobs;
mod listing;
mod query;
mod quota;
mod render;
mod resource;
mod resources;
mod rng;
mod router;
mod server;
mod table;
mod time;
mod world;
mod writes;

use std::fmt;

pub use clock::ClockMode;
pub use config::{ConfigError, ConfigErrorKind, MockConfig, Rules, parse_now};
pub use fault::{Fault, FaultBody, FaultShape, FaultSpec, Misbehaviour, RequestMatch};
pub use impact_errors::DecodedBody;
pub use quota::Quota;
pub use resource::Resource;
pub use server::{MockServer, MockServerBuilder};
pub use time::{TimeError, Timestamp};
pub use world::Scale;

/// The Account SID of the demo account every mock serves: `IR` and 32 characters.
pub const DEMO_ACCOUNT_SID: &str = "IRmockDemoAccount00000000000000001";

/// The auth token of the demo account. It is public and opens nothing but mocks.
pub const DEMO_AUTH_TOKEN: &str = "mock-demo-token-0123456789abcdef";

/// An account the mock accepts: its SID and auth token.
///
/// `Debug` never shows the token.
///
/// ```
/// use impact_mock::Account;
///
/// let account = Account::new("IRabc", "s3cret");
/// assert!(!format!("{account:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The Account SID (the Basic username and the SID in the path).
    pub sid: String,
    /// The auth token (the Basic password).
    pub token: String,
}

impl Account {
    /// An account from its SID and token.
    pub fn new(sid: &str, token: &str) -> Account {
        Account {
            sid: sid.to_owned(),
            token: token.to_owned(),
        }
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("sid", &self.sid)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The credentials a request presented, as far as a test needs to know: never the password.
///
/// ```
/// use impact_mock::AuthSeen;
///
/// let seen = AuthSeen::Basic { username: "IRabc".into(), password_matched: false };
/// assert!(!seen.is_valid());
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthSeen {
    /// No `Authorization` header.
    Missing,
    /// HTTP Basic credentials.
    Basic {
        /// The username (the Account SID).
        username: String,
        /// Whether the password was the token of the account named by the username.
        password_matched: bool,
    },
    /// Another scheme, such as `Bearer`.
    OtherScheme,
    /// An `Authorization` header that could not be read as Basic credentials.
    Malformed,
}

impl AuthSeen {
    /// Whether these were the valid credentials of an account.
    pub fn is_valid(&self) -> bool {
        matches!(
            self,
            AuthSeen::Basic {
                password_matched: true,
                ..
            }
        )
    }
}

/// One request the mock received, as kept in its log.
///
/// The `Authorization` header's value is redacted to its scheme (`Basic <redacted>`); what a
/// test needs of it is in [`auth`](Self::auth).
///
/// ```
/// use impact_mock::{AuthSeen, RecordedRequest};
///
/// fn assert_authenticated(request: &RecordedRequest) {
///     assert!(request.auth.is_valid(), "{} {} was not authenticated", request.method, request.target);
/// }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method.
    pub method: String,
    /// The path and query, as sent.
    pub target: String,
    /// Every header in the order sent, `Authorization` redacted.
    pub headers: Vec<(String, String)>,
    /// The credentials presented.
    pub auth: AuthSeen,
    /// The request body.
    pub body: Vec<u8>,
    /// The status answered (0 when a scripted fault sent no status line).
    pub status: u16,
    /// Whether a scripted fault answered instead of the emulated API.
    pub scripted: bool,
    /// The world's clock when the request arrived.
    pub at: Timestamp,
    /// The account whose credentials the request carried, if they were valid.
    pub account: Option<String>,
}

impl RecordedRequest {
    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}
