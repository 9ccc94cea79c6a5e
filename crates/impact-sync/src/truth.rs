//! A store held against a ground truth (the mock's `GET /_mock/world/{Resource}`, one JSON
//! item a line), over the period synced: what a test, a crash harness or a user's own check
//! compares to say that a sync lost nothing, doubled nothing and holds nothing stale.
//!
//! # The period synced
//! A full-read list is compared whole. A windowed stream is compared over the items whose
//! date of its first read (`EventDate` for actions, `UpdateDate` for action updates,
//! `CreationDate` for inquiries, `CreatedDate` for invoices) and, for action updates, whose
//! action's event (`ActionDate`) lie on or after `from`: the later of the sync's start and its
//! floor at the time of the comparison ([`crate::plan::floor`], now less 1,094 days). Both
//! sides are held to it because:
//! - the sync starts two days inside the API's three years (a margin for how the API counts
//!   them), while the mock keeps actions for 1,096 days: the two days between are served but
//!   not synced;
//! - an action whose event falls behind the floor as the clock moves leaves the API (the mock
//!   forgets its updates with it), but stays in the store: the API no longer serving it is no
//!   reason to delete a user's history.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::store::key_of;
use crate::stream::{Read, StreamSpec};
use crate::time::Timestamp;

/// How a store differs from the truth over the period synced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Differences {
    /// Items of the truth the store lacks.
    pub missing: usize,
    /// Items the store holds that the truth does not.
    pub extra: usize,
    /// Items whose stored record differs from the truth's line, byte for byte.
    pub stale: usize,
}

impl Differences {
    /// Whether the store holds exactly the truth.
    pub fn is_none(&self) -> bool {
        *self == Differences::default()
    }
}

impl StreamSpec {
    /// Whether an item lies in the period a sync from `from` holds (see the module docs):
    /// always for full-read lists.
    pub fn in_period(&self, item: &Value, from: Timestamp) -> bool {
        let Read::Windowed { initial, .. } = self.read else {
            return true;
        };
        [initial.attribute(), "ActionDate"].iter().all(|attribute| {
            item.get(*attribute)
                .and_then(Value::as_str)
                .and_then(|text| text.parse::<Timestamp>().ok())
                .is_none_or(|at| at >= from)
        })
    }
}

/// Compares a stream's records (by key, as [`crate::Store::records`] gives them) with the
/// lines of its ground truth, over the period from `from`. A line that is not a JSON object
/// with the stream's key is an error.
pub fn compare<'a>(
    spec: &StreamSpec,
    records: &BTreeMap<String, String>,
    truth: impl IntoIterator<Item = &'a str>,
    from: Timestamp,
) -> Result<Differences, String> {
    let parse = |text: &str| -> Result<Value, String> {
        serde_json::from_str(text).map_err(|error| format!("not a json item ({error}): {text}"))
    };
    let mut lines = BTreeMap::new();
    for line in truth.into_iter().filter(|line| !line.trim().is_empty()) {
        let item = parse(line)?;
        let key = key_of(&item, spec.key)
            .ok_or_else(|| format!("a line of {} has no key: {line}", spec.name))?;
        if spec.in_period(&item, from) {
            lines.insert(key, line);
        }
    }
    let mut differences = Differences::default();
    for (key, record) in records {
        match lines.get(key) {
            Some(line) if *line != record => differences.stale += 1,
            Some(_) => {}
            None if spec.in_period(&parse(record)?, from) => differences.extra += 1,
            None => {}
        }
    }
    differences.missing = lines
        .keys()
        .filter(|key| !records.contains_key(*key))
        .count();
    Ok(differences)
}
