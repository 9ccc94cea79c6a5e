//! The client's shared-limits seam (`impact_client::SharedLimits`) on the Redis store: a thin
//! mapping of its four operations onto the scripts.

use std::time::Duration;

use impact_client::{
    Admission, Asking, Charge, LimitKey, Observation as SeenResponse, RateGroup, SharedLimits,
    StoreError, StoreFuture,
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
/// It needs no configuration. Each rate-limit group is paced at the limit the server's headers
/// show, learned by the shared state itself so that every process paces on the same
/// knowledge (see [`LearnedLimit`](crate::LearnedLimit) for what that assumes); until a first
/// response has named a limit and a reset, calls are not spaced. [`RedisLimits::with_limit`]
/// fixes a group's limit instead, for a server whose headers do not say it.
///
/// A call whose slot lies more than one interval ahead is told when to ask again
/// ([`Admission::Later`]) rather than given a slot that far ahead, so that what the server
/// says in the meantime (another tool spent the quota, a window ran out, a 429) applies to the
/// calls that wait, not only to those that ask afterwards.
///
/// The retry budget's sizes are the client's ([`ClientBuilder::budget`]), given with each
/// operation; the shared budget keeps the sizes it was made with, and a process configured
/// otherwise is told once (see [`AccountQuota::withdraw`]).
///
/// [`ClientBuilder::budget`]: impact_client::ClientBuilder::budget
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
    /// Per group, in [`RateGroup::ALL`]'s order: the pace (learned unless fixed).
    paces: [Pace; RateGroup::ALL.len()],
}

impl RedisLimits {
    /// The store's limits, each group paced at the limit its headers show.
    pub fn new(store: QuotaStore) -> RedisLimits {
        RedisLimits {
            store,
            paces: [Pace::learned(); RateGroup::ALL.len()],
        }
    }

    /// Paces `group` at `limit` rather than at the limit learned from the headers: for a
    /// server that does not name its limit and reset, or to stay below them.
    pub fn with_limit(mut self, group: RateGroup, limit: Limit) -> RedisLimits {
        self.paces[position(group)] = Pace::new(limit);
        self
    }

    /// The pace of `group`.
    pub fn pace(&self, group: RateGroup) -> Pace {
        self.paces[position(group)]
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
        asking: Asking,
    ) -> Result<Admission, StoreError> {
        let (account, group) = self.account(key)?;
        let arrival = match asking {
            Asking::Again => Arrival::Returning,
            _ => Arrival::First,
        };
        let admit = account
            .admit(&group, &self.pace(key.group()), max_wait, arrival)
            .await
            .map_err(from_error)?;
        Ok(match admit {
            Admit::Now => Admission::Now,
            Admit::Reserved(wait) => Admission::Wait(wait),
            Admit::Later(wait) => Admission::Later(wait),
            Admit::TooLong(retry_after) => Admission::TooLong { retry_after },
        })
    }

    async fn observe_now(&self, key: LimitKey<'_>, seen: &SeenResponse) -> Result<(), StoreError> {
        let (account, group) = self.account(key)?;
        let observation = Observation::new(seen.rate_limit(), seen.status(), seen.received_at());
        account
            .observe(&group, &self.pace(key.group()), &observation)
            .await
            .map_err(from_error)?;
        Ok(())
    }

    async fn charge_now(
        &self,
        key: LimitKey<'_>,
        tokens: u32,
        sizes: BudgetConfig,
    ) -> Result<Charge, StoreError> {
        let (account, _) = self.account(key)?;
        let withdrawal = account.withdraw(&sizes, tokens).await.map_err(from_error)?;
        Ok(match withdrawal {
            Withdrawal::Granted { left } => Charge::Paid { tokens_left: left },
            Withdrawal::Refused { .. } => Charge::Refused,
        })
    }

    async fn refill_now(&self, key: LimitKey<'_>, sizes: BudgetConfig) -> Result<(), StoreError> {
        let (account, _) = self.account(key)?;
        account
            .refill_first_try_success(&sizes)
            .await
            .map_err(from_error)?;
        Ok(())
    }
}

impl SharedLimits for RedisLimits {
    fn admit<'a>(
        &'a self,
        key: LimitKey<'a>,
        max_wait: Duration,
        asking: Asking,
    ) -> StoreFuture<'a, Admission> {
        Box::pin(self.admit_now(key, max_wait, asking))
    }

    fn observe<'a>(&'a self, key: LimitKey<'a>, seen: &'a SeenResponse) -> StoreFuture<'a, ()> {
        Box::pin(self.observe_now(key, seen))
    }

    fn charge_retry<'a>(
        &'a self,
        key: LimitKey<'a>,
        tokens: u32,
        sizes: BudgetConfig,
    ) -> StoreFuture<'a, Charge> {
        Box::pin(self.charge_now(key, tokens, sizes))
    }

    fn refill<'a>(&'a self, key: LimitKey<'a>, sizes: BudgetConfig) -> StoreFuture<'a, ()> {
        Box::pin(self.refill_now(key, sizes))
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
