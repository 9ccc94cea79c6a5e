//! One impact.com account's pace and retry budget, shared by every process that names the same
//! Redis (SPEC 10).
//!
//! Each process paces its own calls from the server's headers; N processes on one account
//! then send N times what it allows and learn about it from 429s. This crate keeps, per
//! account and rate-limit group, one pace in Redis that every process draws from:
//!
//! - a GCRA over the server's limit ([`Limit`], [`Pace`]), decided in one atomic Lua script
//!   on Redis's own clock, one round trip per admission ([`Admit`]); the limit is learned from
//!   the headers in the shared state ([`LearnedLimit`]) unless one is given;
//! - corrections from the server's rate-limit headers that only ever move the pace forward,
//!   when fewer calls are left than the pace expects (another tool spent them), or when a
//!   window is exhausted or a 429 asks for a pause ([`Observation`]);
//! - the retry budget of SPEC 3, with `impact-retry`'s [`BudgetConfig`] semantics, refilled by
//!   time and by first-try successes, shared by every process of the account.
//!
//! The pure model ([`PaceState`], and `impact-retry`'s [`RetryBudget`]) is what the scripts
//! implement; property tests hold the scripts to it, and `cargo xtask simulate` runs many
//! processes against it. Without the default `store` feature the crate is only that model.
//!
//! Keys name the account SID and the group, under a configurable prefix; the store never sees
//! an auth token.
//!
//! [`BudgetConfig`]: impact_retry::BudgetConfig
//! [`RetryBudget`]: impact_retry::RetryBudget
#![forbid(unsafe_code)]

#[cfg(feature = "store")]
mod error;
mod limit;
mod model;
mod names;
#[cfg(feature = "store")]
mod store;

#[cfg(feature = "store")]
pub use error::{Error, ErrorKind};
pub use limit::{InvalidLimit, LearnedLimit, Limit, MAX_SPAN, Pace};
pub use model::{Admit, Arrival, Observation, PaceState};
pub use names::{AccountSid, GroupName, InvalidName, KeyPrefix};
#[cfg(feature = "test-clock")]
pub use store::TestClock;
#[cfg(feature = "store")]
pub use store::{
    AccountQuota, LatencyObserver, Operation, QuotaStore, RedisLimits, StoreConfig, Withdrawal,
};

/// This crate's README, whose examples are compiled as doctests so that they cannot rot.
#[cfg(all(doctest, feature = "store"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
