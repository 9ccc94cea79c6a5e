//! The limits a client keeps in its own process, shared by the client and its clones: the
//! instant before which each rate-limit group may send nothing, and the retry budget.
//!
//! They are kept off the success path's locks: each group's pace is one atomic maximum, turned
//! back into a [`Pacer`] for the policy to reason with, and the budget's mutex is taken only to
//! decide a retry or to refill a budget that is below full.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use impact_errors::{RateLimitInfo, StatusCode};
use impact_retry::{
    Admission, BudgetConfig, Decision, FailedAttempt, Pacer, RetryBudget, RetryPolicy, RetryState,
};

use super::{GROUP_COUNT, RateGroup};

/// An account's pace per group and its retry budget, in the process.
#[derive(Debug)]
pub(crate) struct LocalLimits {
    /// Per group, the instant (nanoseconds since the client's origin, 0 for none) before which
    /// no call may be sent. It only ever moves later, so an atomic maximum keeps it.
    held_until_nanos: [AtomicU64; GROUP_COUNT],
    /// The retry budget; the mutex is held for a few arithmetic steps, never across an await.
    budget: Option<Mutex<RetryBudget>>,
    /// The budget's sizes, read without the lock.
    budget_config: Option<BudgetConfig>,
    /// Whether the budget was full when last updated. A first-try success cannot add to a
    /// full budget, so the common path skips the lock while this holds.
    budget_full: AtomicBool,
}

impl LocalLimits {
    /// Nothing held back, and a full budget of `budget`'s sizes (none without one).
    pub(crate) fn new(budget: Option<BudgetConfig>) -> LocalLimits {
        LocalLimits {
            held_until_nanos: Default::default(),
            budget: budget.map(|config| Mutex::new(RetryBudget::new(config, Duration::ZERO))),
            budget_config: budget,
            budget_full: AtomicBool::new(true),
        }
    }

    /// The budget's sizes, when there is a budget.
    pub(crate) fn budget_config(&self) -> Option<BudgetConfig> {
        self.budget_config
    }

    /// A group's pace as a [`Pacer`].
    pub(crate) fn pacer(&self, group: RateGroup) -> Pacer {
        let mut pacer = Pacer::new();
        let nanos = self.held_until_nanos[group.index()].load(Ordering::Acquire);
        if nanos != 0 {
            pacer.block_until(Duration::from_nanos(nanos));
        }
        pacer
    }

    /// Whether a call in `group` may be sent at `now`.
    pub(crate) fn admit(&self, group: RateGroup, now: Duration, max_wait: Duration) -> Admission {
        self.pacer(group).admit(now, max_wait)
    }

    /// Records a response in `group`, keeping the latest hold any call saw.
    pub(crate) fn observe(
        &self,
        group: RateGroup,
        rate: &RateLimitInfo,
        status: StatusCode,
        now: Duration,
        unix_now: u64,
    ) {
        let mut pacer = Pacer::new();
        pacer.observe(rate, status, now, unix_now);
        if let Some(until) = pacer.blocked_until(Duration::ZERO) {
            self.hold_until(group, until);
        }
    }

    /// Holds `group` back until `until` (since the client's origin), unless it already is
    /// held longer.
    pub(crate) fn hold_until(&self, group: RateGroup, until: Duration) {
        let nanos = u64::try_from(until.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.held_until_nanos[group.index()].fetch_max(nanos, Ordering::AcqRel);
    }

    /// The policy's whole decision after a failed attempt, the budget withdrawn here.
    pub(crate) fn decide(
        &self,
        policy: &RetryPolicy,
        state: &mut RetryState,
        failed: &FailedAttempt<'_>,
        group: RateGroup,
    ) -> Decision {
        // The pacer was told about this response already; the policy reads it to keep a
        // retry behind any hold.
        let pacer = self.pacer(group);
        self.with_budget(failed.now, |budget| {
            policy.decide(state, failed, budget, Some(&pacer))
        })
    }

    /// Refills the budget after a first-try success, unless it is full (then the lock is not
    /// taken at all).
    pub(crate) fn refill(&self, now: Duration) {
        if self.budget_full.load(Ordering::Acquire) {
            return;
        }
        self.with_budget(now, |budget| {
            if let Some(budget) = budget {
                budget.on_first_try_success(now);
            }
        });
    }

    /// Whole tokens left in the budget at `now`, or `None` without a budget.
    pub(crate) fn budget_left(&self, now: Duration) -> Option<u32> {
        self.budget
            .as_ref()
            .map(|budget| lock(budget).available(now))
    }

    /// Applies `update` to the retry budget, if there is one, under its lock, and notes
    /// whether it is full afterwards.
    fn with_budget<T>(
        &self,
        now: Duration,
        update: impl FnOnce(Option<&mut RetryBudget>) -> T,
    ) -> T {
        match &self.budget {
            Some(budget) => {
                let mut budget = lock(budget);
                let result = update(Some(&mut budget));
                let full = budget.available(now) >= budget.config().capacity;
                self.budget_full.store(full, Ordering::Release);
                result
            }
            None => update(None),
        }
    }
}

/// Locks the retry budget. A panic while it was held cannot leave it inconsistent (each update
/// is a few assignments), so a poisoned lock is still used.
fn lock(budget: &Mutex<RetryBudget>) -> MutexGuard<'_, RetryBudget> {
    budget
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
