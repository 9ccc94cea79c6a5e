//! The limits a client owns: the in-process state, always kept, and a shared store when one is
//! configured, asked under a timeout with the failure policy of [`StorePolicy`].
//!
//! Without a store every operation is the in-process one, answered at once: no allocation, no
//! await, and nothing added to the size of a call's future. With one, the in-process state is
//! still updated from every response, so that it is ready the moment the store fails; the
//! decisions that need the store's answer (admission, a retry's charge) are boxed futures the
//! call awaits, and what needs no answer (observations, refills) is sent from a task of its own,
//! so that a call waits on the store once per attempt, not three times.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use impact_errors::{RateLimitInfo, StatusCode};
use impact_retry::{
    Admission, BudgetConfig, Decision, FailedAttempt, Proposal, RetryPolicy, RetryState,
};

use super::{
    Asking, Charge, LimitKey, LocalLimits, Observation, OnStoreFailure, RateGroup, SharedLimits,
    StoreError, StoreFuture, StorePolicy,
};
use crate::error::{Error, ErrorKind};

/// An account's limits as the client's send loop sees them.
#[derive(Debug)]
pub(crate) struct Limits {
    local: LocalLimits,
    shared: Option<Arc<Shared>>,
}

/// A store of shared limits and the client's view of its health.
#[derive(Debug)]
struct Shared {
    store: Arc<dyn SharedLimits>,
    policy: StorePolicy,
    /// The Account SID, for the keys of operations sent from tasks of their own.
    account: String,
    /// 0 while the store answers; after a failure, the instant (nanoseconds since the client's
    /// origin, at least 1) before which it is not asked again.
    resting_until_nanos: AtomicU64,
}

/// A decision of the limits: known at once (always, without a store), or a future to await
/// while the store is asked.
pub(crate) enum Verdict<'a, T> {
    Ready(T),
    Asking(Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>),
}

impl<T> Verdict<'_, T> {
    /// The decision, once the store has answered (or failed, under the policy).
    pub(crate) async fn settle(self) -> Result<T, Error> {
        match self {
            Verdict::Ready(decided) => Ok(decided),
            Verdict::Asking(asking) => asking.await,
        }
    }
}

/// How asking the store ended.
enum Asked<T> {
    Answered(T),
    /// The store is resting after a failure and was not asked.
    Resting,
    Failed(StoreError),
}

impl Limits {
    /// The in-process limits with a budget of `budget`'s sizes (none without one), and the
    /// store to share them through, if any, for the account with this SID.
    pub(crate) fn new(
        account: &str,
        budget: Option<BudgetConfig>,
        store: Option<(Arc<dyn SharedLimits>, StorePolicy)>,
    ) -> Limits {
        Limits {
            local: LocalLimits::new(budget),
            shared: store.map(|(store, policy)| {
                Arc::new(Shared {
                    store,
                    policy,
                    account: account.to_owned(),
                    resting_until_nanos: AtomicU64::new(0),
                })
            }),
        }
    }

    /// The in-process state.
    pub(crate) fn local(&self) -> &LocalLimits {
        &self.local
    }

    /// Whether a call in `key`'s group may be sent at `now`: the longer of the in-process
    /// answer and the store's. Only a store answers [`Admission::Later`], and `asking` is only
    /// ever [`Asking::Again`] after one did.
    pub(crate) fn admit<'a>(
        &'a self,
        key: LimitKey<'a>,
        now: Duration,
        max_wait: Duration,
        asking: Asking,
    ) -> Verdict<'a, Admission> {
        let local = self.local.admit(key.group(), now, max_wait);
        let Some(shared) = &self.shared else {
            return Verdict::Ready(local);
        };
        if matches!(local, Admission::TooLong { .. }) {
            return Verdict::Ready(local);
        }
        Verdict::Asking(Box::pin(async move {
            let asked = shared
                .ask("admit", key, now, || {
                    shared.store.admit(key, max_wait, asking)
                })
                .await;
            Ok(match shared.decisive(asked)? {
                Some(remote) => longer(local, remote),
                None => local,
            })
        }))
    }

    /// Records a response in `group`: in the process at once, and in the store from a task of
    /// its own (unless the response says nothing of the limits: no rate-limit header, not a
    /// 429).
    pub(crate) fn observe(
        &self,
        group: RateGroup,
        rate: &RateLimitInfo,
        status: StatusCode,
        now: Duration,
        unix_now: u64,
    ) {
        self.local.observe(group, rate, status, now, unix_now);
        let says_something = !rate.is_empty() || status == StatusCode::TOO_MANY_REQUESTS;
        if let Some(shared) = &self.shared
            && says_something
        {
            let seen = Observation::new(status, *rate, unix_now);
            shared.send("observe", group, now, move |store, key| {
                Box::pin(async move { store.observe(key, &seen).await })
            });
        }
    }

    /// The decision after a failed attempt. With a store and a budget, the policy proposes,
    /// the store charges the retry's cost atomically, and the proposal is accepted or refused;
    /// when the store cannot answer, the in-process budget decides.
    pub(crate) fn decide<'a>(
        &'a self,
        key: LimitKey<'a>,
        policy: &'a RetryPolicy,
        state: &'a mut RetryState,
        failed: &'a FailedAttempt<'a>,
    ) -> Verdict<'a, Decision> {
        let (Some(shared), Some(config)) = (&self.shared, self.local.budget_config()) else {
            return Verdict::Ready(self.local.decide(policy, state, failed, key.group()));
        };
        let pacer = self.local.pacer(key.group());
        let proposed = match policy.propose(state, failed, Some(&pacer)) {
            Proposal::Retry(proposed) => proposed,
            Proposal::GiveUp(give_up) => return Verdict::Ready(Decision::GiveUp(give_up)),
        };
        Verdict::Asking(Box::pin(async move {
            let tokens = proposed.cost(config);
            let asked = shared
                .ask("charge_retry", key, failed.now, || {
                    shared.store.charge_retry(key, tokens, config)
                })
                .await;
            Ok(match shared.decisive(asked)? {
                Some(Charge::Paid { tokens_left }) => {
                    Decision::Retry(proposed.accept(state, Some(tokens_left)))
                }
                Some(Charge::Refused) => Decision::GiveUp(proposed.refuse()),
                None => self.local.decide(policy, state, failed, key.group()),
            })
        }))
    }

    /// Refills the budget after a call that succeeded on its first attempt: in the process at
    /// once, and in the store from a task of its own.
    pub(crate) fn refill(&self, group: RateGroup, now: Duration) {
        self.local.refill(now);
        if let (Some(shared), Some(config)) = (&self.shared, self.local.budget_config()) {
            shared.send("refill", group, now, move |store, key| {
                store.refill(key, config)
            });
        }
    }
}

impl Shared {
    /// Asks the store, within the policy's timeout, unless it is resting after a failure.
    /// Failures and recoveries are logged here, once per outage.
    async fn ask<'a, T>(
        &'a self,
        operation: &'static str,
        key: LimitKey<'_>,
        now: Duration,
        start: impl FnOnce() -> StoreFuture<'a, T>,
    ) -> Asked<T> {
        if self.resting(now) {
            return Asked::Resting;
        }
        let error = match tokio::time::timeout(self.policy.timeout, start()).await {
            Ok(Ok(answer)) => {
                self.answered();
                return Asked::Answered(answer);
            }
            Ok(Err(error)) => error,
            Err(_) => StoreError::new(format!("no answer within {:?}", self.policy.timeout)),
        };
        let until = nanos(now.saturating_add(self.policy.probe_interval));
        if self.resting_until_nanos.swap(until, Ordering::AcqRel) == 0 {
            let going_on = match self.policy.on_failure {
                OnStoreFailure::GoOnLocally => {
                    "going on with the in-process limits until it answers"
                }
                OnStoreFailure::FailCall => "calls that need it fail until it answers",
            };
            tracing::warn!(
                operation,
                key = %key,
                error = %error,
                "the shared limits store failed; {going_on}"
            );
        }
        Asked::Failed(error)
    }

    /// Sends what needs no answer (an observation, a refill) from a task of its own, so that
    /// no call waits on it; it is bounded by the timeout and its failure handled by
    /// [`Shared::ask`] like any other. Nothing is sent while the store rests.
    fn send<F>(self: &Arc<Self>, operation: &'static str, group: RateGroup, now: Duration, op: F)
    where
        F: for<'k> FnOnce(&'k dyn SharedLimits, LimitKey<'k>) -> StoreFuture<'k, ()>
            + Send
            + 'static,
    {
        if self.is_resting(now) {
            return;
        }
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            let key = LimitKey::new(&shared.account, group);
            let store = &*shared.store;
            let _ = shared.ask(operation, key, now, || op(store, key)).await;
        });
    }

    /// Whether the store rests at `now`, without taking the probe.
    fn is_resting(&self, now: Duration) -> bool {
        if self.policy.on_failure == OnStoreFailure::FailCall {
            return false;
        }
        nanos(now) < self.resting_until_nanos.load(Ordering::Acquire)
    }

    /// Whether the store is left alone at `now`. When its rest is over, one caller takes the
    /// probe (and the store is asked again) while the others go on locally until it answers.
    fn resting(&self, now: Duration) -> bool {
        if self.policy.on_failure == OnStoreFailure::FailCall {
            return false;
        }
        let until = self.resting_until_nanos.load(Ordering::Acquire);
        if until == 0 {
            return false;
        }
        let now_nanos = nanos(now);
        if now_nanos < until {
            return true;
        }
        let next = nanos(now.saturating_add(self.policy.probe_interval));
        self.resting_until_nanos
            .compare_exchange(until, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
    }

    /// Notes that the store answered, and says so when it had failed.
    fn answered(&self) {
        if self.resting_until_nanos.load(Ordering::Acquire) != 0
            && self.resting_until_nanos.swap(0, Ordering::AcqRel) != 0
        {
            tracing::info!("the shared limits store answers again; using the shared limits");
        }
    }

    /// The store's answer for a decision that needs it: `None` when the in-process state is
    /// to decide, an error when the policy is to fail the call.
    fn decisive<T>(&self, asked: Asked<T>) -> Result<Option<T>, Error> {
        match asked {
            Asked::Answered(answer) => Ok(Some(answer)),
            Asked::Resting => Ok(None),
            Asked::Failed(error) => match self.policy.on_failure {
                OnStoreFailure::GoOnLocally => Ok(None),
                OnStoreFailure::FailCall => Err(Error::new(
                    ErrorKind::Store,
                    "the shared limits store failed",
                )
                .with_source(error)),
            },
        }
    }
}

/// The admission that holds a call back longer: refusal over asking again over waiting, and
/// the longer wait. A call told to ask again after one wait and to wait another asks again
/// after the longer.
fn longer(one: Admission, other: Admission) -> Admission {
    let delay = |admission: Admission| match admission {
        Admission::Wait(wait) | Admission::Later(wait) => wait,
        Admission::TooLong { retry_after } => retry_after,
        _ => Duration::ZERO,
    };
    let wait = delay(one).max(delay(other));
    let refused = |admission| matches!(admission, Admission::TooLong { .. });
    let later = |admission| matches!(admission, Admission::Later(_));
    if refused(one) || refused(other) {
        let refusals = [one, other].into_iter().filter(|a| refused(*a));
        let retry_after = refusals.map(delay).max().unwrap_or(wait);
        Admission::TooLong { retry_after }
    } else if later(one) || later(other) {
        Admission::Later(wait)
    } else if wait.is_zero() {
        Admission::Now
    } else {
        Admission::Wait(wait)
    }
}

/// An instant since the client's origin in nanoseconds, at least 1 (0 means "none").
fn nanos(instant: Duration) -> u64 {
    u64::try_from(instant.as_nanos()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(one: Admission, other: Admission, expect: Admission) {
        assert_eq!(longer(one, other), expect, "{one:?} and {other:?}");
        assert_eq!(longer(other, one), expect, "{other:?} and {one:?}");
    }

    #[test]
    fn the_longer_admission_wins() {
        let secs = Duration::from_secs;
        check(Admission::Now, Admission::Now, Admission::Now);
        check(
            Admission::Now,
            Admission::Wait(secs(2)),
            Admission::Wait(secs(2)),
        );
        check(
            Admission::Wait(secs(3)),
            Admission::Wait(secs(2)),
            Admission::Wait(secs(3)),
        );
        let refused = |secs: u64| Admission::TooLong {
            retry_after: Duration::from_secs(secs),
        };
        check(Admission::Wait(secs(90)), refused(70), refused(70));
        check(refused(70), refused(80), refused(80));
        check(Admission::Now, refused(5), refused(5));
        let later = |secs: u64| Admission::Later(Duration::from_secs(secs));
        check(Admission::Now, later(2), later(2));
        check(Admission::Wait(secs(5)), later(2), later(5));
        check(Admission::Wait(secs(1)), later(2), later(2));
        check(later(2), later(3), later(3));
        check(later(90), refused(70), refused(70));
    }
}
