//! The client's shared-limits seam (`impact_client::SharedLimits`) on the Redis store: a thin
//! mapping of its four operations onto the scripts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use impact_client::{
    Admission, Charge, LimitKey, Observation as SeenResponse, RateGroup, SharedLimits, StoreError,
    StoreFuture,
};
use impact_retry::BudgetConfig;

use super::{AccountQuota, QuotaStore, Withdrawal};
use crate::error::Error;
use crate::limit::{Limit, Pace};
use crate::model::{Admit, Arrival, Observation};
use crate::names::{AccountSid, GroupName};

/// An account's limits shared through Redis, for
/// [`ClientBuilder::shared_limits`](impact_client::ClientBuilder::shared_limits).
///
/// Each rate-limit group is paced at its limit ([`RateGroup::documented_limit`] unless set with
/// [`RedisLimits::with_limit`]; the calls per window follow the server's `X-RateLimit-Limit`
/// once a response has named one), and the account's retry budget has `budget`'s sizes, which
/// should be the client's own ([`BudgetConfig::new`] by default).
///
/// The seam sends a call once its admission's wait has passed, without asking again, so a
/// call's slot is reserved however far ahead it is (up to the call's maximum wait): the
/// reservation horizon of [`Pace`] is the maximum wait here. Corrections from the headers
/// apply to the calls admitted after them.
///
/// ```no_run
/// use std::sync::Arc;
/// use impact_client::Client;
/// use impact_quota::{QuotaStore, RedisLimits};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = QuotaStore::connect("redis://127.0.0.1:6379/0").await?;
/// let client = Client::builder()
///     .account_sid("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4")
///     .auth_token("made-up-token")
///     .shared_limits(Arc::new(RedisLimits::new(store)))
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisLimits {
    store: QuotaStore,
    budget: BudgetConfig,
    limits: [Limit; RateGroup::ALL.len()],
    /// The last `X-RateLimit-Limit` seen per group (0 when none yet).
    server_calls: Arc<[AtomicU32; RateGroup::ALL.len()]>,
}

impl RedisLimits {
    /// The store's limits with the documented limit of each group and the default budget.
    pub fn new(store: QuotaStore) -> RedisLimits {
        let limits = RateGroup::ALL.map(|group| {
            let (calls, window) = group.documented_limit();
            Limit::per(calls, window).unwrap_or(Limit::PARTNER_DEFAULT)
        });
        RedisLimits {
            store,
            budget: BudgetConfig::new(),
            limits,
            server_calls: Arc::new(std::array::from_fn(|_| AtomicU32::new(0))),
        }
    }

    /// Paces `group` at `limit` (the window matters most: headers name the calls, not the
    /// window's length).
    pub fn with_limit(mut self, group: RateGroup, limit: Limit) -> RedisLimits {
        self.limits[position(group)] = limit;
        self
    }

    /// The sizes of the shared retry budget: the client's own.
    pub fn with_budget(mut self, budget: BudgetConfig) -> RedisLimits {
        self.budget = budget;
        self
    }

    /// The pace of `group` now: its limit, with the server's count of calls once known.
    pub fn pace(&self, group: RateGroup) -> Pace {
        let index = position(group);
        let limit = self.limits[index];
        let limit = match self.server_calls[index].load(Ordering::Relaxed) {
            0 => limit,
            calls => limit.with_calls(calls).unwrap_or(limit),
        };
        Pace::new(limit)
    }

    fn account(&self, key: LimitKey<'_>) -> Result<(AccountQuota, GroupName), StoreError> {
        let sid = AccountSid::new(key.account()).map_err(store_error)?;
        let group = GroupName::new(key.group().as_str()).map_err(store_error)?;
        Ok((self.store.account(&sid), group))
    }

    async fn admit_now(
        &self,
        key: LimitKey<'_>,
        max_wait: Duration,
    ) -> Result<Admission, StoreError> {
        let (account, group) = self.account(key)?;
        let pace = self.pace(key.group()).with_horizon(max_wait);
        let mut arrival = Arrival::First;
        loop {
            let admit = account
                .admit(&group, &pace, max_wait, arrival)
                .await
                .map_err(from_error)?;
            return Ok(match admit {
                Admit::Now => Admission::Now,
                Admit::Reserved(wait) => Admission::Wait(wait),
                Admit::TooLong(retry_after) => Admission::TooLong { retry_after },
                // Only when another process queued calls with a shorter horizon: the call's
                // turn is already within this one, so it takes its slot at once.
                Admit::Later(_) if arrival == Arrival::First => {
                    arrival = Arrival::Returning;
                    continue;
                }
                Admit::Later(wait) => Admission::TooLong { retry_after: wait },
            });
        }
    }

    async fn observe_now(&self, key: LimitKey<'_>, seen: &SeenResponse) -> Result<(), StoreError> {
        if let Some(calls) = seen.limit().and_then(|calls| u32::try_from(calls).ok()) {
            self.server_calls[position(key.group())].store(calls, Ordering::Relaxed);
        }
        let (account, group) = self.account(key)?;
        let pace = self.pace(key.group());
        // The seam's observation keeps the headers but not the Unix time they were read at:
        // the time now stands in for it (it only matters for resets given as Unix times, by
        // the moments the response took to get here).
        let unix_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let observation =
            Observation::from_response(seen.rate_limit(), seen.status(), unix_now, &pace);
        account
            .observe(&group, &pace, &observation)
            .await
            .map_err(from_error)?;
        Ok(())
    }

    async fn charge_now(&self, key: LimitKey<'_>, tokens: u32) -> Result<Charge, StoreError> {
        let (account, _) = self.account(key)?;
        let withdrawal = account
            .withdraw(&self.budget, tokens)
            .await
            .map_err(from_error)?;
        Ok(match withdrawal {
            Withdrawal::Granted { left } => Charge::Paid { tokens_left: left },
            Withdrawal::Refused { .. } => Charge::Refused,
        })
    }

    async fn refill_now(&self, key: LimitKey<'_>, tokens: u32) -> Result<(), StoreError> {
        let (account, _) = self.account(key)?;
        let budget = BudgetConfig {
            success_refill: tokens,
            ..self.budget
        };
        account
            .refill_first_try_success(&budget)
            .await
            .map_err(from_error)?;
        Ok(())
    }
}

impl SharedLimits for RedisLimits {
    fn admit<'a>(&'a self, key: LimitKey<'a>, max_wait: Duration) -> StoreFuture<'a, Admission> {
        Box::pin(self.admit_now(key, max_wait))
    }

    fn observe<'a>(&'a self, key: LimitKey<'a>, seen: &'a SeenResponse) -> StoreFuture<'a, ()> {
        Box::pin(self.observe_now(key, seen))
    }

    fn charge_retry<'a>(&'a self, key: LimitKey<'a>, tokens: u32) -> StoreFuture<'a, Charge> {
        Box::pin(self.charge_now(key, tokens))
    }

    fn refill<'a>(&'a self, key: LimitKey<'a>, tokens: u32) -> StoreFuture<'a, ()> {
        Box::pin(self.refill_now(key, tokens))
    }
}

fn position(group: RateGroup) -> usize {
    RateGroup::ALL
        .iter()
        .position(|known| *known == group)
        .unwrap_or(0)
}

fn from_error(error: Error) -> StoreError {
    StoreError::new(error.to_string()).with_source(error)
}

fn store_error(error: crate::names::InvalidName) -> StoreError {
    StoreError::new(error.to_string()).with_source(error)
}
