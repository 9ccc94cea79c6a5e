//! An account's shared limits (SPEC 3 pacing and retry budget, SPEC 10): the seam where a
//! client keeps the pace of each rate-limit group and the retry budget, the in-process state it
//! always keeps, and the policy that applies when a shared store fails.

mod group;
mod local;
mod store;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use impact_errors::{RateLimitInfo, StatusCode};
use impact_retry::{Admission, BudgetConfig, Pacer};

pub(crate) use group::GROUP_COUNT;
pub use group::RateGroup;
pub(crate) use local::LocalLimits;
pub(crate) use store::Limits;

/// What a client asks of a store of shared limits: every operation is a future of its own, so
/// that a store can be slow or fail without the client waiting on it for longer than
/// [`StorePolicy::timeout`].
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where an account's limits are shared between processes: the pace of each rate-limit group
/// and the retry budget (SPEC 10).
///
/// A client keeps both in the process by default, shared by the client and its clones. Give it
/// a store with [`ClientBuilder::shared_limits`](crate::ClientBuilder::shared_limits) and every
/// process that uses the same store and account shares one pace and one budget: a Redis
/// implementation lives in the `impact-quota` crate. The client's send loop calls the store at
/// four points of every call, always with the account's SID and the request's
/// [`RateGroup`] (never the token: see [`LimitKey`]):
///
/// 1. [`SharedLimits::admit`] before each attempt: send now ([`Admission::Now`]), wait and
///    then send ([`Admission::Wait`]: the store has set a slot aside), wait and then ask again
///    ([`Admission::Later`]: nothing is promised yet), or refuse ([`Admission::TooLong`]: the
///    wait is longer than the caller allows). A call told `Later` sleeps, then asks again with
///    [`Asking::Again`] and the rest of its allowance: a store that paces calls over a window
///    keeps only the next slot or so promised and tells later calls when to come back, so that
///    the server's corrections (below) reach the calls that wait, not only the calls that ask
///    after them. Waits are relative to the moment of the answer, so a store may reckon time
///    on its own clock (a Redis server's, say) and the client on its own.
/// 2. [`SharedLimits::observe`] after each response, with its status and rate-limit headers:
///    the server's word on what is left, which may be less than the store thinks when another
///    tool spends the same quota.
/// 3. [`SharedLimits::charge_retry`] when the policy would retry: withdraw the retry's cost
///    from the budget atomically, or refuse when it cannot pay (the call then gives up).
/// 4. [`SharedLimits::refill`] after a call succeeded on its first attempt.
///
/// The budget's sizes are the client's ([`ClientBuilder::budget`](crate::ClientBuilder::budget))
/// and come with every budget operation, so that a process configures them in one place. A
/// store shared by many processes should keep the sizes its budget was made with and say so
/// when a process asks with others (the Redis store does), rather than let processes spend one
/// budget by different rules without anyone knowing.
///
/// # Failure and time
///
/// Each operation is bounded by [`StorePolicy::timeout`] (250 ms by default). When a store
/// fails or does not answer in time, the client applies [`StorePolicy::on_failure`]: by default
/// it goes on with its in-process state, which it always keeps up to date from the server's
/// headers whatever the store says, logs one `warn` event for the outage, leaves the store alone
/// for [`StorePolicy::probe_interval`], then tries it again and takes the shared state up as
/// soon as it answers. A store never makes a call panic or hang.
///
/// The client never holds a lock across a store operation, and calls them from many tasks at
/// once: an implementation is shared (`&self`) and must be safe to call concurrently. A call
/// waits on the store only for what it needs an answer to, admission and a retry's charge:
/// [`SharedLimits::observe`] and [`SharedLimits::refill`] are sent from a tokio task of their
/// own (bounded and handled like the others), so an observation may reach the store a moment
/// after the response that carried it. Responses without rate-limit headers (and not 429s) are
/// not observed at all.
///
/// # An implementation
///
/// A store that keeps the shared state in memory behind one lock: a stand-in for a real one,
/// and a test double (the client's own tests use stores like it, some of which fail or hang on
/// purpose).
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use std::time::{Duration, Instant};
///
/// use impact_client::{
///     Admission, Asking, BudgetConfig, Charge, Client, LimitKey, Observation, RateGroup,
///     SharedLimits, StoreFuture,
/// };
///
/// /// Holds, per account and group, the instant before which nothing may be sent, and one
/// /// budget of tokens per account.
/// #[derive(Debug, Default)]
/// struct MemoryLimits {
///     state: Mutex<(HashMap<(String, RateGroup), Instant>, HashMap<String, u32>)>,
/// }
///
/// impl SharedLimits for MemoryLimits {
///     fn admit<'a>(
///         &'a self,
///         key: LimitKey<'a>,
///         max_wait: Duration,
///         _asking: Asking,
///     ) -> StoreFuture<'a, Admission> {
///         // It never answers `Later`, so every call asks once.
///         let now = Instant::now();
///         let state = self.state.lock().unwrap();
///         let held = state.0.get(&(key.account().to_owned(), key.group()));
///         let wait = held.map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
///         let admission = if wait.is_zero() {
///             Admission::Now
///         } else if wait > max_wait {
///             Admission::TooLong { retry_after: wait }
///         } else {
///             Admission::Wait(wait)
///         };
///         Box::pin(async move { Ok(admission) })
///     }
///
///     fn observe<'a>(&'a self, key: LimitKey<'a>, seen: &'a Observation) -> StoreFuture<'a, ()> {
///         if let Some(hold) = seen.hold() {
///             let until = Instant::now() + hold;
///             let mut state = self.state.lock().unwrap();
///             let held = state.0.entry((key.account().to_owned(), key.group())).or_insert(until);
///             *held = (*held).max(until);
///         }
///         Box::pin(async { Ok(()) })
///     }
///
///     fn charge_retry<'a>(
///         &'a self,
///         key: LimitKey<'a>,
///         tokens: u32,
///         sizes: BudgetConfig,
///     ) -> StoreFuture<'a, Charge> {
///         let mut state = self.state.lock().unwrap();
///         let left = state.1.entry(key.account().to_owned()).or_insert(sizes.capacity);
///         let charge = match left.checked_sub(tokens) {
///             Some(rest) => {
///                 *left = rest;
///                 Charge::Paid { tokens_left: rest }
///             }
///             None => Charge::Refused,
///         };
///         Box::pin(async move { Ok(charge) })
///     }
///
///     fn refill<'a>(&'a self, key: LimitKey<'a>, sizes: BudgetConfig) -> StoreFuture<'a, ()> {
///         let mut state = self.state.lock().unwrap();
///         let left = state.1.entry(key.account().to_owned()).or_insert(sizes.capacity);
///         *left = (*left + sizes.success_refill).min(sizes.capacity);
///         Box::pin(async { Ok(()) })
///     }
/// }
///
/// let client = Client::builder()
///     .account_sid("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4")
///     .auth_token("made-up-token")
///     .shared_limits(Arc::new(MemoryLimits::default()))
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
pub trait SharedLimits: Send + Sync + fmt::Debug + 'static {
    /// Whether a call in `key`'s group may be sent now, after a wait, or not within
    /// `max_wait` (then [`Admission::TooLong`] says how long until it may); or when it should
    /// ask again ([`Admission::Later`]). A store that paces calls over a window (a GCRA, say)
    /// answers its spacing here; the client waits the longer of this answer and its own
    /// in-process one. `asking` says whether the call asks for the first time or comes back
    /// after `Later`, with `max_wait` what is left of its allowance.
    fn admit<'a>(
        &'a self,
        key: LimitKey<'a>,
        max_wait: Duration,
        asking: Asking,
    ) -> StoreFuture<'a, Admission>;

    /// Records a response in `key`'s group: its status and rate-limit headers. Responses that
    /// say nothing about the limits (no rate-limit header, not a 429) are not passed on.
    fn observe<'a>(&'a self, key: LimitKey<'a>, seen: &'a Observation) -> StoreFuture<'a, ()>;

    /// Withdraws `tokens` for a retry from the account's budget if they are there, atomically,
    /// and says what is left; or refuses. The budget is the account's, shared by its groups:
    /// `key.group()` is given for logs and metrics. `sizes` are the client's budget sizes
    /// (capacity and refill rate, for a budget the store has not seen yet).
    fn charge_retry<'a>(
        &'a self,
        key: LimitKey<'a>,
        tokens: u32,
        sizes: BudgetConfig,
    ) -> StoreFuture<'a, Charge>;

    /// Gives `sizes.success_refill` tokens back to the account's budget after a call that
    /// succeeded on its first attempt (SPEC 3); the budget also refills with time, which is
    /// the store's to count.
    fn refill<'a>(&'a self, key: LimitKey<'a>, sizes: BudgetConfig) -> StoreFuture<'a, ()>;
}

/// Whether a call asks a store of shared limits for admission for the first time, or comes
/// back after [`Admission::Later`] told it when to (a store that queues calls lets a returning
/// one take the slot it was told to come back for, ahead of calls asking for the first time).
///
/// ```
/// use impact_client::Asking;
///
/// assert_ne!(Asking::First, Asking::Again);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Asking {
    /// The call asks for the first time for this attempt.
    First,
    /// The call comes back after [`Admission::Later`].
    Again,
}

/// Whose limits an operation is about: an account and one of its rate-limit groups.
///
/// It holds the Account SID and the group, and nothing else: a store's keys built from it never
/// carry the auth token.
///
/// ```
/// use impact_client::{LimitKey, RateGroup};
///
/// let key = LimitKey::new("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4", RateGroup::EventData);
/// assert_eq!(key.to_string(), "IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4/event_data");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LimitKey<'a> {
    account: &'a str,
    group: RateGroup,
}

impl<'a> LimitKey<'a> {
    /// The key of `group` on the account with this SID.
    pub const fn new(account: &'a str, group: RateGroup) -> LimitKey<'a> {
        LimitKey { account, group }
    }

    /// The Account SID.
    pub const fn account(&self) -> &'a str {
        self.account
    }

    /// The rate-limit group.
    pub const fn group(&self) -> RateGroup {
        self.group
    }
}

/// `{AccountSID}/{group}`.
impl fmt::Display for LimitKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.group)
    }
}

/// What a response said about an account's limits, for [`SharedLimits::observe`]: its status,
/// its rate-limit headers, and what they mean read at the moment the response arrived, in
/// durations from that moment (never in instants of the client's clock, which a store does not
/// share).
///
/// ```
/// use std::time::Duration;
/// use impact_client::{Observation, RateLimitInfo, StatusCode};
///
/// let headers = RateLimitInfo::from_headers([
///     ("X-RateLimit-Limit", &b"1000"[..]),
///     ("X-RateLimit-Remaining", b"0"),
///     ("X-RateLimit-Reset", b"30"),
/// ]);
/// let seen = Observation::new(StatusCode::OK, headers, 1_800_000_000);
/// assert_eq!(seen.received_at(), 1_800_000_000);
/// assert_eq!(seen.remaining(), Some(0));
/// assert_eq!(seen.limit(), Some(1000));
/// assert_eq!(seen.reset_in(), Some(Duration::from_secs(30)));
/// // Held until the reset, plus a second for the headers' whole-second rounding.
/// assert_eq!(seen.hold(), Some(Duration::from_secs(31)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    status: StatusCode,
    rate_limit: RateLimitInfo,
    hold: Option<Duration>,
    reset_in: Option<Duration>,
    received_at: u64,
}

impl Observation {
    /// Reads a response's status and rate-limit headers as of `unix_now`, the Unix time in
    /// seconds at which it arrived (to read the headers' epochs and dates).
    pub fn new(status: StatusCode, rate_limit: RateLimitInfo, unix_now: u64) -> Observation {
        let mut pacer = Pacer::new();
        pacer.observe(&rate_limit, status, Duration::ZERO, unix_now);
        let reset_in = rate_limit
            .windows()
            .filter_map(|window| window.reset)
            .map(|reset| reset.delay_from(unix_now))
            .max()
            .map(Duration::from_secs);
        Observation {
            status,
            rate_limit,
            hold: pacer.blocked_until(Duration::ZERO),
            reset_in,
            received_at: unix_now,
        }
    }

    /// The Unix time (seconds, on the client's wall clock) at which the response arrived: what
    /// resets given as Unix times and `Retry-After` dates were read against.
    pub const fn received_at(&self) -> u64 {
        self.received_at
    }

    /// The response's status.
    pub const fn status(&self) -> StatusCode {
        self.status
    }

    /// The rate-limit headers as read.
    pub const fn rate_limit(&self) -> &RateLimitInfo {
        &self.rate_limit
    }

    /// How long from the response nothing may be sent in the group, by the client's pacing
    /// rule (SPEC 3): until an exhausted limit resets (plus one second, as the headers count
    /// whole seconds), and on a 429 until its `Retry-After` and reset have passed.
    pub const fn hold(&self) -> Option<Duration> {
        self.hold
    }

    /// The fewest calls left in any window the headers named.
    pub fn remaining(&self) -> Option<u64> {
        self.rate_limit.min_remaining()
    }

    /// The smallest limit the headers named.
    pub fn limit(&self) -> Option<u64> {
        self.rate_limit
            .windows()
            .filter_map(|window| window.limit)
            .min()
    }

    /// How long from the response until the latest window the headers named resets.
    pub const fn reset_in(&self) -> Option<Duration> {
        self.reset_in
    }
}

/// What [`SharedLimits::charge_retry`] did.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charge {
    /// The retry is paid for; this many whole tokens are left.
    Paid {
        /// Whole tokens left in the budget after the withdrawal.
        tokens_left: u32,
    },
    /// The budget cannot pay: the call gives up with
    /// [`GiveUpReason::BudgetEmpty`](impact_retry::GiveUpReason::BudgetEmpty).
    Refused,
}

/// Why a store of shared limits could not answer.
///
/// Its `Display` wording is for people and may change. It must never hold the auth token: a
/// store never sees it.
///
/// ```
/// use impact_client::StoreError;
///
/// let error = StoreError::new("connection refused");
/// assert_eq!(error.to_string(), "connection refused");
/// ```
#[derive(Debug)]
pub struct StoreError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl StoreError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            source: None,
        }
    }

    /// The same error with the underlying cause (a Redis client's error, say).
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> StoreError {
        self.source = Some(Box::new(source));
        self
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// What a client does when its store of shared limits fails or does not answer in time.
///
/// ```
/// use impact_client::OnStoreFailure;
///
/// assert_eq!(OnStoreFailure::default(), OnStoreFailure::GoOnLocally);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnStoreFailure {
    /// Go on with the in-process state (the pace from the server's own headers, the local
    /// budget), say so once at `warn`, and take the shared state up again when the store
    /// answers (SPEC 10). Nothing fails because of the store.
    #[default]
    GoOnLocally,
    /// Fail the call with [`ErrorKind::Store`](crate::ErrorKind::Store) when admission or a
    /// retry's charge cannot be decided by the store, for processes that must never spend more
    /// than their share. Observations and refills that fail are only logged: the response is
    /// already there.
    FailCall,
}

/// How a client uses its store of shared limits: the bound on each operation and what to do
/// when one fails.
///
/// ```
/// use std::time::Duration;
/// use impact_client::{OnStoreFailure, StorePolicy};
///
/// let policy = StorePolicy::new().with_timeout(Duration::from_millis(100));
/// assert_eq!(policy.timeout, Duration::from_millis(100));
/// assert_eq!(policy.on_failure, OnStoreFailure::GoOnLocally);
/// assert_eq!(policy.probe_interval, Duration::from_secs(1));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorePolicy {
    /// The longest any one store operation may take before it counts as failed. Default 250 ms.
    pub timeout: Duration,
    /// What a failure does. Default [`OnStoreFailure::GoOnLocally`].
    pub on_failure: OnStoreFailure,
    /// After a failure, how long calls go on locally before the store is tried again (by one
    /// call, while the others go on). Default 1 s.
    pub probe_interval: Duration,
}

impl Default for StorePolicy {
    fn default() -> StorePolicy {
        StorePolicy::new()
    }
}

impl StorePolicy {
    /// The defaults described on the fields.
    pub const fn new() -> StorePolicy {
        StorePolicy {
            timeout: Duration::from_millis(250),
            on_failure: OnStoreFailure::GoOnLocally,
            probe_interval: Duration::from_secs(1),
        }
    }

    /// Sets [`StorePolicy::timeout`].
    pub const fn with_timeout(mut self, timeout: Duration) -> StorePolicy {
        self.timeout = timeout;
        self
    }

    /// Sets [`StorePolicy::on_failure`].
    pub const fn with_on_failure(mut self, on_failure: OnStoreFailure) -> StorePolicy {
        self.on_failure = on_failure;
        self
    }

    /// Sets [`StorePolicy::probe_interval`].
    pub const fn with_probe_interval(mut self, interval: Duration) -> StorePolicy {
        self.probe_interval = interval;
        self
    }
}
