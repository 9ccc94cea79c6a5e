//! Resumable, incremental copies of an impact.com account's data into a local store
//! (SPEC 9), on [`impact_client`].
//!
//! - [`stream`]: the table of streams per API (Partner v16, Brand v14): path, list key,
//!   primary key, fan-out, date filters and their limits, how changes after the event are
//!   caught, the lookback, the largest page size, and where each fact came from.
//! - [`plan`]: a stream and a period become units (a filter, a partition, a window of at most
//!   the API's limit) in a fixed order; [`StreamPlan`] gives the calls and the quota time.
//! - [`store`]: the [`Store`] trait and its two implementations, [`SqliteStore`] and
//!   [`JsonlStore`]: a page's rows and the stream's checkpoint are committed together, so a
//!   crash at any moment costs at most the page in flight.
//! - [`Runner`]: reads the units page by page through a [`Source`] ([`ClientSource`] on the
//!   client), commits each page with its checkpoint, resumes a stopped run, splits a window
//!   the API refuses for size, requests an export job once and polls it after a restart.
//!
//! - [`truth`]: a store held against a ground truth over the period synced.
//!
//! The crate knows no command line: `impact sync` in `impact-cli` is built on it.
//!
//! ```no_run
//! use impact_client::{ApiKind, Client};
//! use impact_sync::{ClientSource, Runner, SqliteStore, StreamSpec};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let token = "made-up-token";
//! let client = Client::builder()
//!     .account_sid("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4")
//!     .auth_token(token)
//!     .build()?;
//! let store = SqliteStore::open("impact.sqlite3")?;
//! let mut runner = Runner::new(ClientSource::new(client, token), store);
//! for spec in impact_sync::streams(ApiKind::Partner).iter().filter(|spec| spec.is_default()) {
//!     let report = runner.sync(spec).await?;
//!     println!("{}: {} calls, {} written", report.stream, report.calls, report.written);
//! }
//! # let _ = StreamSpec::find(ApiKind::Partner, "Actions");
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod error;
pub mod plan;
mod raw;
mod redact;
mod runner;
mod source;
mod state;
pub mod store;
pub mod stream;
mod time;
pub mod truth;

pub use error::{SyncError, SyncErrorKind};
pub use plan::{StreamPlan, SyncOptions, Window};
pub use redact::{REDACTED, Redactor};
pub use runner::{DEFAULT_POLL_INTERVAL, Event, PassStart, Runner, StreamReport};
pub use source::{Answer, ClientSource, FetchError, Source, classify, refused_for_size};
pub use state::{JobTicket, Mode, Pass, RunState, StreamState};
pub use store::{
    Batch, Committed, JsonlStore, Row, SqliteStore, Store, StoreError, StoreErrorKind,
};
pub use stream::{Key, StreamSpec, streams};
pub use time::{DAY, Timestamp, TimestampError};
