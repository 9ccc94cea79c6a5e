//! An async client for the impact.com Partner, Brand and Agency REST APIs that survives every
//! way a call can fail (SPEC 2 to 4).
//!
//! - [`Client`] and [`ClientBuilder`]: one account's credentials, base URL, format, retry
//!   policy, budget and body caps. Plain `http` is refused except to loopback.
//! - [`Request`]: method, path (relative to the account root, or absolute under
//!   `/Mediapartners/`, `/Advertisers/` or `/Agencies/`), query, form or JSON body, headers
//!   and an idempotency flag.
//! - [`Response`]: status, headers, [`RateLimitInfo`], the body as bytes or decoded into your
//!   serde types from JSON or XML.
//! - [`Client::pages`] and [`Client::items`]: streams that follow next-page URIs.
//! - [`Error`] and [`ErrorKind`]: one error type with predicates and accessors to branch on
//!   (its `Display` wording is for people and may change).
//! - [`SharedLimits`]: the seam where an account's pace per [`RateGroup`] and its retry budget
//!   are kept. By default in the process, shared by a client and its clones; a store (Redis, in
//!   `impact-quota`) shares them between processes, under a [`StorePolicy`] that bounds every
//!   operation and says what a failure does.
//!
//! Every rule of SPEC 3 is applied through [`impact_retry`]: the retry matrix by status and
//! method, server hints, the maximum wait, pacing across the calls of a client, the shared
//! retry budget and the deadlines. Sleeping goes through a [`Clock`], so that tests skip the
//! waits: [`ManualClock`] makes them take no real time over real sockets. Each call is a `tracing` span (`impact_call`, with method and path but
//! never the query) and each attempt an event with its number, outcome, delay and the delay's
//! source, and the budget left. The auth token appears in no `Debug`, `Display`, log or URL.
//!
//! ```no_run
//! use impact_client::{Client, Request};
//!
//! # async fn run() -> Result<(), impact_client::Error> {
//! let client = Client::builder()
//!     .account_sid("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4")
//!     .auth_token("made-up-token")
//!     .build()?;
//! let response = client.send(Request::get("/Campaigns").query("PageSize", "100")).await?;
//! println!("{} ({} attempts)", response.status(), response.attempts());
//! # Ok(()) }
//! ```

mod call;
mod client;
mod config;
mod error;
mod limits;
mod paging;
mod request;
mod response;
mod secrets;
mod time;
mod url;
mod wire;

pub use client::Client;
pub use config::{
    ApiKind, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_ERROR_BODY_CAP, DEFAULT_SUCCESS_BODY_CAP,
    Format, USER_AGENT,
};
pub use error::{Error, ErrorKind};
pub use impact_codec::{Page, PageMeta};
pub use impact_errors::{RateLimitInfo, Report, StatusCode};
pub use impact_retry::{Admission, BudgetConfig, Jitter, RetryPolicy};
pub use limits::{
    Asking, Charge, LimitKey, Observation, OnStoreFailure, RateGroup, SharedLimits, StoreError,
    StoreFuture, StorePolicy,
};
pub use request::Request;
pub use response::Response;
pub use time::{Clock, ManualClock, Sleep, TokioClock};

/// The repository README's code examples, compiled and run as doctests so that they cannot
/// rot. This crate reaches every crate they use (`impact-mock` as a dev-dependency).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

/// Re-exported so that callers can name methods and headers without depending on `http`.
pub use http::{HeaderMap, Method};
