//! What writes added to a generated world: posted actions, changes to generated actions,
//! action inquiries, queued submissions and deletions. It stays small (one entry per write),
//! whatever the world's scale.

use std::collections::{BTreeSet, HashMap};

use crate::Resource;
use crate::jobs::Job;
use crate::time::Timestamp;

/// Actions that writes created are numbered from here, far above any generated action.
pub(crate) const WRITTEN_BASE: u64 = 1_000_000_000_000;

/// A change a write made to an action: its new amount (0 reverses it) from `at` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) at: Timestamp,
    pub(crate) amount: i64,
}

/// An action created by `POST /Conversions` or `POST /Actions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenAction {
    pub(crate) campaign: u64,
    pub(crate) tracker: u64,
    pub(crate) order_id: String,
    pub(crate) amount: i64,
    pub(crate) event: Timestamp,
    pub(crate) created: Timestamp,
}

/// An action inquiry a partner filed with `POST /ActionInquiries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenInquiry {
    pub(crate) campaign: u64,
    pub(crate) order_id: String,
    pub(crate) amount: i64,
    pub(crate) transaction: Timestamp,
    pub(crate) created: Timestamp,
}

/// A queued write, listed as an API submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Submission {
    pub(crate) batch: String,
    pub(crate) kind: &'static str,
    pub(crate) campaign: u64,
    pub(crate) tracker: u64,
    pub(crate) order_id: String,
    pub(crate) payload: String,
    pub(crate) submitted: Timestamp,
    /// When the write was applied (`COMPLETED` from then on).
    pub(crate) completed: Timestamp,
}

/// How long a queued write takes to be processed.
pub(crate) const PROCESSING_SECS: i64 = 5;

#[derive(Debug, Default)]
pub(crate) struct Overlay {
    /// Counts every write, so that cached answers computed before it are not served after.
    pub(crate) generation: u64,
    changes: HashMap<u64, Vec<Change>>,
    pub(crate) actions: Vec<WrittenAction>,
    pub(crate) inquiries: Vec<WrittenInquiry>,
    pub(crate) submissions: Vec<Submission>,
    pub(crate) jobs: Vec<Job>,
    deleted: BTreeSet<(Resource, String)>,
}

impl Overlay {
    /// The changes writes made to action `n`, oldest first.
    pub(crate) fn changes_of(&self, n: u64) -> Vec<Change> {
        self.changes.get(&n).cloned().unwrap_or_default()
    }

    pub(crate) fn change(&mut self, n: u64, change: Change) {
        let changes = self.changes.entry(n).or_default();
        changes.push(change);
        changes.sort_by_key(|change| change.at);
    }

    /// Whether a write deleted this item.
    pub(crate) fn is_deleted(&self, resource: Resource, id: &str) -> bool {
        !self.deleted.is_empty() && self.deleted.contains(&(resource, id.to_owned()))
    }

    pub(crate) fn delete(&mut self, resource: Resource, id: &str) {
        self.deleted.insert((resource, id.to_owned()));
    }

    /// The written action numbered `n` (at or above [`WRITTEN_BASE`]).
    pub(crate) fn written_action(&self, n: u64) -> Option<&WrittenAction> {
        let index = usize::try_from(n.checked_sub(WRITTEN_BASE)?).ok()?;
        self.actions.get(index)
    }

    /// Adds an action; returns its number.
    pub(crate) fn add_action(&mut self, action: WrittenAction) -> u64 {
        self.actions.push(action);
        WRITTEN_BASE + self.actions.len() as u64 - 1
    }
}
