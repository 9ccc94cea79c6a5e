//! The Redis store: one connection manager per process, two Lua scripts, one round trip per
//! operation, each bounded in time.

mod adapter;
mod health;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use impact_retry::BudgetConfig;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, Script};

use crate::error::{Error, ErrorKind};
use crate::limit::{MAX_SPAN_US, Pace, micros};
use crate::model::{Admit, Arrival, Observation};
use crate::names::{AccountKeys, AccountSid, GroupName, KeyPrefix};
pub use adapter::RedisLimits;
use health::Health;

/// Each script starts with `now.lua`, which reads the clock.
const PACE_SCRIPT: &str = concat!(
    include_str!("../lua/now.lua"),
    include_str!("../lua/pace.lua")
);
const BUDGET_SCRIPT: &str = concat!(
    include_str!("../lua/now.lua"),
    include_str!("../lua/budget.lua")
);

/// The operations of the store, as a latency observer sees them.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`AccountQuota::admit`].
    Admit,
    /// [`AccountQuota::observe`].
    Observe,
    /// [`AccountQuota::withdraw`].
    Withdraw,
    /// [`AccountQuota::refill_first_try_success`].
    Refill,
    /// [`AccountQuota::budget_left`].
    BudgetLeft,
    /// [`QuotaStore::ping`].
    Ping,
}

/// Called with each operation that Redis answered and how long it took, on the caller's task
/// (keep it short: a counter, a histogram).
pub type LatencyObserver = Arc<dyn Fn(Operation, Duration) + Send + Sync>;

/// How to reach the store and how long to wait for it.
///
/// ```
/// use std::time::Duration;
/// use impact_quota::{KeyPrefix, StoreConfig};
///
/// let config = StoreConfig::new("redis://127.0.0.1:6379/0")
///     .with_prefix(KeyPrefix::new("myapp:impact").expect("valid"))
///     .with_timeout(Duration::from_millis(200));
/// assert_eq!(config.timeout(), Duration::from_millis(200));
/// // The URL may carry a password: it is never shown.
/// assert!(!format!("{config:?}").contains("127.0.0.1"));
/// ```
#[derive(Clone)]
pub struct StoreConfig {
    url: String,
    prefix: KeyPrefix,
    timeout: Duration,
    retry_after: Duration,
    observer: Option<LatencyObserver>,
    #[cfg(feature = "test-clock")]
    clock: Option<TestClock>,
}

/// A clock for tests: microseconds on the store's clock, handed to the scripts in place of
/// Redis's `TIME` (the `test-clock` feature).
#[cfg(feature = "test-clock")]
pub type TestClock = Arc<dyn Fn() -> u64 + Send + Sync>;

impl StoreConfig {
    /// The store at `url` (`redis://HOST:PORT[/DB]`, with `redis://:PASSWORD@…` when Redis
    /// asks for one), keys under `impact-quota:`, operations bounded to 250 ms, and a second
    /// between tries once Redis has failed.
    pub fn new(url: impl Into<String>) -> StoreConfig {
        StoreConfig {
            url: url.into(),
            prefix: KeyPrefix::default(),
            timeout: Duration::from_millis(250),
            retry_after: Duration::from_secs(1),
            observer: None,
            #[cfg(feature = "test-clock")]
            clock: None,
        }
    }

    /// Puts every key under `prefix`.
    pub fn with_prefix(mut self, prefix: KeyPrefix) -> StoreConfig {
        self.prefix = prefix;
        self
    }

    /// The longest any operation waits for Redis (connecting included) before it fails with
    /// [`ErrorKind::Timeout`]. At least 1 ms.
    pub fn with_timeout(mut self, timeout: Duration) -> StoreConfig {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long after a failure operations fail at once, before one of them tries Redis again.
    pub fn with_retry_after(mut self, retry_after: Duration) -> StoreConfig {
        self.retry_after = retry_after;
        self
    }

    /// Calls `observer` after every answered operation with its latency (admission latency
    /// against [`QuotaStore::ping`], say).
    pub fn with_latency_observer(mut self, observer: LatencyObserver) -> StoreConfig {
        self.observer = Some(observer);
        self
    }

    /// For tests only: the scripts take the time from `clock` instead of Redis's `TIME`.
    ///
    /// Why this is safe to have: production code never sets it (the feature is off unless a
    /// test turns it on), and the scripts fall back to `TIME` whenever the argument is empty.
    /// A process that did pass its own time could only disturb the pace of the accounts it
    /// uses itself, as a process with a wrong limit could; it cannot read anything. Values are
    /// bounded like every other input so that the scripts' arithmetic stays exact.
    #[cfg(feature = "test-clock")]
    pub fn with_test_clock(mut self, clock: TestClock) -> StoreConfig {
        self.clock = Some(clock);
        self
    }

    /// The bound on each operation.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The key prefix.
    pub fn prefix(&self) -> &KeyPrefix {
        &self.prefix
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &"<hidden>")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

/// A connection to the shared store, cheap to clone (clones share it).
///
/// Opening one never waits on Redis longer than the configured bound and never fails because
/// Redis is down: the store then answers [`ErrorKind::Unavailable`] at once, tries Redis again
/// every retry interval (one operation at a time), and is used again as soon as Redis answers.
/// Only a configuration that can never work (a malformed URL) is an error.
#[derive(Clone)]
pub struct QuotaStore {
    inner: Arc<Inner>,
}

struct Inner {
    manager: ConnectionManager,
    config: StoreConfig,
    health: Health,
    pace: Script,
    budget: Script,
    /// Budget operations that found the shared budget made with other sizes.
    size_conflicts: AtomicU64,
}

impl fmt::Debug for QuotaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuotaStore")
            .field("config", &self.inner.config)
            .field("up", &self.inner.health.is_up())
            .finish()
    }
}

impl QuotaStore {
    /// Opens the store at `url` with the defaults of [`StoreConfig::new`].
    pub async fn connect(url: &str) -> Result<QuotaStore, Error> {
        QuotaStore::connect_with(StoreConfig::new(url)).await
    }

    /// Opens the store, and tries Redis once within the bound (a failure is logged once and
    /// the store starts as unavailable).
    pub async fn connect_with(config: StoreConfig) -> Result<QuotaStore, Error> {
        let info = config.url.as_str().into_connection_info().map_err(|_| {
            Error::new(
                ErrorKind::Config,
                "the shared quota store's URL is not a redis://HOST:PORT[/DB] URL",
            )
        })?;
        let client = redis::Client::open(info).map_err(|_| {
            Error::new(
                ErrorKind::Config,
                "the shared quota store's URL is unusable",
            )
        })?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(200));
        let manager = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(|_| Error::new(ErrorKind::Config, "the Redis client could not be set up"))?;
        let store = QuotaStore {
            inner: Arc::new(Inner {
                manager,
                health: Health::new(config.retry_after),
                config,
                pace: Script::new(PACE_SCRIPT),
                budget: Script::new(BUDGET_SCRIPT),
                size_conflicts: AtomicU64::new(0),
            }),
        };
        // A failure has been recorded (and said once); the store is usable as it is.
        let _ = store.ping().await;
        Ok(store)
    }

    /// The keys and operations of one account.
    pub fn account(&self, sid: &AccountSid) -> AccountQuota {
        AccountQuota {
            store: self.clone(),
            keys: AccountKeys::new(&self.inner.config.prefix, sid),
        }
    }

    /// One `PING` on the store's connection, and how long it took: the baseline for the
    /// admission latency (one script, one round trip).
    pub async fn ping(&self) -> Result<Duration, Error> {
        let command = redis::cmd("PING");
        let started = Instant::now();
        let _: String = self
            .call(Operation::Ping, |mut connection| async move {
                command.query_async(&mut connection).await
            })
            .await?;
        Ok(started.elapsed())
    }

    /// How many budget operations found the shared budget made with other sizes than the
    /// ones they asked with (another process configured differently): the budget's own sizes
    /// applied, and the first time was logged at `warn`.
    pub fn budget_size_conflicts(&self) -> u64 {
        self.inner.size_conflicts.load(Ordering::Relaxed)
    }

    /// Notes that the shared budget has other sizes than `asked`, and says so once.
    fn sizes_differ(&self, asked: &BudgetConfig, capacity: u32, rate: u32) {
        if self.inner.size_conflicts.fetch_add(1, Ordering::Relaxed) == 0 {
            tracing::warn!(
                shared_capacity = capacity,
                shared_refill_per_sec = rate,
                asked_capacity = asked.capacity,
                asked_refill_per_sec = asked.refill_per_sec,
                "the shared retry budget was made with other sizes than this process's; \
                 its own apply until it has been full for a minute"
            );
        }
    }

    /// Whether the last operation reached Redis.
    pub fn is_available(&self) -> bool {
        self.inner.health.is_up()
    }

    /// How many times the store went from available to unavailable.
    pub fn outages(&self) -> u64 {
        self.inner.health.outages()
    }

    /// The time argument of the scripts: empty (Redis's `TIME`), or the test clock's reading.
    fn time_arg(&self) -> String {
        #[cfg(feature = "test-clock")]
        if let Some(clock) = &self.inner.config.clock {
            return clock().min(1 << 52).to_string();
        }
        String::new()
    }

    /// Runs one operation under the health check and the time bound.
    async fn call<T, F, Fut>(&self, operation: Operation, run: F) -> Result<T, Error>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let inner = &*self.inner;
        inner.health.admit()?;
        let started = Instant::now();
        let answer = tokio::time::timeout(inner.config.timeout, run(inner.manager.clone())).await;
        let error = match answer {
            Ok(Ok(value)) => {
                inner.health.succeeded();
                if let Some(observer) = &inner.config.observer {
                    observer(operation, started.elapsed());
                }
                return Ok(value);
            }
            Ok(Err(error)) => Error::from_redis(error),
            Err(_) => Error::timeout(inner.config.timeout),
        };
        if error.is_unavailable() {
            inner.health.failed(&error);
        }
        Err(error)
    }
}

/// The pace script's answer: its code and microseconds.
fn admit_from_reply(code: i64, micros: u64) -> Option<Admit> {
    let wait = Duration::from_micros(micros);
    Some(match code {
        0 => Admit::Now,
        1 => Admit::Reserved(wait),
        2 => Admit::Later(wait),
        3 => Admit::TooLong(wait),
        _ => return None,
    })
}

/// Whether a retry was paid for from the shared budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Withdrawal {
    /// The retry is paid for; whole tokens left.
    Granted {
        /// Whole tokens left after paying.
        left: u32,
    },
    /// The budget cannot pay: give up. Nothing was taken.
    Refused {
        /// Whole tokens in the budget.
        left: u32,
    },
}

/// One account's shared pace (per rate-limit group) and retry budget.
#[derive(Debug, Clone)]
pub struct AccountQuota {
    store: QuotaStore,
    keys: AccountKeys,
}

impl AccountQuota {
    /// Asks for a slot for one call of `group` (one script, one round trip). See [`Admit`]:
    /// after [`Admit::Later`], ask again with [`Arrival::Returning`].
    pub async fn admit(
        &self,
        group: &GroupName,
        pace: &Pace,
        max_wait: Duration,
        arrival: Arrival,
    ) -> Result<Admit, Error> {
        let returning = match arrival {
            Arrival::First => "0",
            Arrival::Returning => "1",
        };
        let mut invocation = self.pace_invocation(group, pace, "admit");
        invocation.arg(micros(max_wait)).arg(returning);
        let (code, wait): (i64, i64) = self
            .store
            .call(Operation::Admit, |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        u64::try_from(wait)
            .ok()
            .filter(|wait| *wait <= MAX_SPAN_US.saturating_mul(2))
            .and_then(|wait| admit_from_reply(code, wait))
            .ok_or_else(|| Error::new(ErrorKind::Reply, "the pace script answered out of range"))
    }

    /// Moves the pace of `group` forward as a response's headers say, and learns the limit
    /// they show (one round trip; nothing is sent when the observation cannot change
    /// anything). Returns whether the shared state changed.
    pub async fn observe(
        &self,
        group: &GroupName,
        pace: &Pace,
        seen: &Observation,
    ) -> Result<bool, Error> {
        if seen.is_empty() {
            return Ok(false);
        }
        let mut invocation = self.pace_invocation(group, pace, "observe");
        invocation.arg(seen.hold_us());
        for family in seen.learned().slots() {
            let (calls, window) = family.unwrap_or((0, 0));
            invocation.arg(calls).arg(window);
        }
        for (reset_in, remaining) in seen.windows() {
            invocation.arg(reset_in).arg(remaining);
        }
        let moved: i64 = self
            .store
            .call(Operation::Observe, |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        Ok(moved == 1)
    }

    /// The pace script on `group`'s key with the arguments every operation passes.
    fn pace_invocation(
        &self,
        group: &GroupName,
        pace: &Pace,
        operation: &str,
    ) -> redis::ScriptInvocation<'_> {
        let mut invocation = self.store.inner.pace.key(self.keys.pace(group));
        invocation
            .arg(self.store.time_arg())
            .arg(operation)
            .arg(pace.interval_arg())
            .arg(pace.tolerance_us())
            .arg(pace.horizon_arg());
        invocation
    }

    /// Pays `cost` tokens for a retry from the shared budget, if they are there.
    ///
    /// `budget`'s capacity and refill rate make the budget when the store has none; a budget
    /// already made keeps the sizes it was made with until it expires (a minute after it is
    /// full again), so that every process spends it by one rule. A process that asks with other
    /// sizes is told once at `warn` and counted in [`QuotaStore::budget_size_conflicts`].
    pub async fn withdraw(&self, budget: &BudgetConfig, cost: u32) -> Result<Withdrawal, Error> {
        let (granted, left) = self
            .budget_call(Operation::Withdraw, "withdraw", budget, cost)
            .await?;
        Ok(if granted {
            Withdrawal::Granted { left }
        } else {
            Withdrawal::Refused { left }
        })
    }

    /// Gives back the refill of a call that succeeded on its first attempt; returns the whole
    /// tokens now in the budget.
    pub async fn refill_first_try_success(&self, budget: &BudgetConfig) -> Result<u32, Error> {
        let refill = budget.success_refill;
        let (_, left) = self
            .budget_call(Operation::Refill, "refill", budget, refill)
            .await?;
        Ok(left)
    }

    /// Whole tokens in the shared budget now, counting the time refill; changes nothing.
    pub async fn budget_left(&self, budget: &BudgetConfig) -> Result<u32, Error> {
        let (_, left) = self
            .budget_call(Operation::BudgetLeft, "peek", budget, 0)
            .await?;
        Ok(left)
    }

    async fn budget_call(
        &self,
        operation: Operation,
        name: &str,
        budget: &BudgetConfig,
        amount: u32,
    ) -> Result<(bool, u32), Error> {
        let mut invocation = self.store.inner.budget.key(self.keys.budget());
        invocation
            .arg(self.store.time_arg())
            .arg(name)
            .arg(budget.capacity)
            .arg(budget.refill_per_sec)
            .arg(amount);
        let (granted, left, capacity, rate): (i64, i64, i64, i64) = self
            .store
            .call(operation, |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        let out_of_range =
            || Error::new(ErrorKind::Reply, "the budget script answered out of range");
        let left = u32::try_from(left).map_err(|_| out_of_range())?;
        let capacity = u32::try_from(capacity).map_err(|_| out_of_range())?;
        let rate = u32::try_from(rate).map_err(|_| out_of_range())?;
        if (capacity, rate) != (budget.capacity, budget.refill_per_sec) {
            self.store.sizes_differ(budget, capacity, rate);
        }
        Ok((granted == 1, left))
    }
}
