//! The limits a client owns: the in-process state, always kept, and a shared store when one is
//! configured, asked under a timeout with the failure policy of [`StorePolicy`].
//!
//! Without a store every operation is the in-process one: no allocation, no await that can
//! pend. With one, the in-process state is still updated from every response, so that it is
//! ready the moment the store fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use impact_errors::{RateLimitInfo, StatusCode};
use impact_retry::{
    Admission, BudgetConfig, Decision, FailedAttempt, Proposal, RetryPolicy, RetryState,
};

use super::{
    Charge, LimitKey, LocalLimits, Observation, OnStoreFailure, SharedLimits, StoreError,
    StoreFuture, StorePolicy,
};
use crate::error::{Error, ErrorKind};

/// An account's limits as the client's send loop sees them.
#[derive(Debug)]
pub(crate) struct Limits {
    local: LocalLimits,
    shared: Option<Shared>,
}

/// A store of shared limits and the client's view of its health.
#[derive(Debug)]
struct Shared {
    store: Arc<dyn SharedLimits>,
    policy: StorePolicy,
    /// 0 while the store answers; after a failure, the instant (nanoseconds since the client's
    /// origin, at least 1) before which it is not asked again.
    resting_until_nanos: AtomicU64,
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
    /// store to share them through, if any.
    pub(crate) fn new(
        budget: Option<BudgetConfig>,
        store: Option<(Arc<dyn SharedLimits>, StorePolicy)>,
    ) -> Limits {
        Limits {
            local: LocalLimits::new(budget),
            shared: store.map(|(store, policy)| Shared {
                store,
                policy,
                resting_until_nanos: AtomicU64::new(0),
            }),
        }
    }

    /// The in-process state.
    pub(crate) fn local(&self) -> &LocalLimits {
        &self.local
    }

    /// Whether a call in `key`'s group may be sent at `now`: the longer of the in-process
    /// answer and the store's.
    pub(crate) async fn admit(
        &self,
        key: LimitKey<'_>,
        now: Duration,
        max_wait: Duration,
    ) -> Result<Admission, Error> {
        let local = self.local.admit(key.group(), now, max_wait);
        let Some(shared) = &self.shared else {
            return Ok(local);
        };
        if matches!(local, Admission::TooLong { .. }) {
            return Ok(local);
        }
        let asked = shared
            .ask("admit", key, now, || shared.store.admit(key, max_wait))
            .await;
        Ok(match shared.decisive(asked)? {
            Some(remote) => longer(local, remote),
            None => local,
        })
    }

    /// Records a response in `key`'s group, in the process and in the store.
    pub(crate) async fn observe(
        &self,
        key: LimitKey<'_>,
        rate: &RateLimitInfo,
        status: StatusCode,
        now: Duration,
        unix_now: u64,
    ) {
        self.local.observe(key.group(), rate, status, now, unix_now);
        if let Some(shared) = &self.shared {
            let seen = Observation::new(status, *rate, unix_now);
            // A failed observation is logged by `ask`; the response is already there.
            let _ = shared
                .ask("observe", key, now, || shared.store.observe(key, &seen))
                .await;
        }
    }

    /// The decision after a failed attempt. With a store and a budget, the policy proposes,
    /// the store charges the retry's cost atomically, and the proposal is accepted or refused;
    /// when the store cannot answer, the in-process budget decides.
    pub(crate) async fn decide(
        &self,
        key: LimitKey<'_>,
        policy: &RetryPolicy,
        state: &mut RetryState,
        failed: &FailedAttempt<'_>,
    ) -> Result<Decision, Error> {
        if let (Some(shared), Some(config)) = (&self.shared, self.local.budget_config()) {
            let pacer = self.local.pacer(key.group());
            let proposed = match policy.propose(state, failed, Some(&pacer)) {
                Proposal::Retry(proposed) => proposed,
                Proposal::GiveUp(give_up) => return Ok(Decision::GiveUp(give_up)),
            };
            let tokens = proposed.cost(config);
            let asked = shared
                .ask("charge_retry", key, failed.now, || {
                    shared.store.charge_retry(key, tokens)
                })
                .await;
            match shared.decisive(asked)? {
                Some(Charge::Paid { tokens_left }) => {
                    return Ok(Decision::Retry(proposed.accept(state, Some(tokens_left))));
                }
                Some(Charge::Refused) => return Ok(Decision::GiveUp(proposed.refuse())),
                None => {}
            }
        }
        Ok(self.local.decide(policy, state, failed, key.group()))
    }

    /// Refills the budget after a call that succeeded on its first attempt.
    pub(crate) async fn refill(&self, key: LimitKey<'_>, now: Duration) {
        self.local.refill(now);
        if let (Some(shared), Some(config)) = (&self.shared, self.local.budget_config()) {
            let tokens = config.success_refill;
            let _ = shared
                .ask("refill", key, now, || shared.store.refill(key, tokens))
                .await;
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

/// The admission that holds a call back longer: refusal over waiting, the longer wait.
fn longer(one: Admission, other: Admission) -> Admission {
    match (one, other) {
        (Admission::TooLong { retry_after: a }, Admission::TooLong { retry_after: b }) => {
            Admission::TooLong {
                retry_after: a.max(b),
            }
        }
        (refused @ Admission::TooLong { .. }, _) | (_, refused @ Admission::TooLong { .. }) => {
            refused
        }
        (Admission::Wait(a), Admission::Wait(b)) => Admission::Wait(a.max(b)),
        (wait @ Admission::Wait(_), _) | (_, wait @ Admission::Wait(_)) => wait,
        _ => Admission::Now,
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
    }
}
