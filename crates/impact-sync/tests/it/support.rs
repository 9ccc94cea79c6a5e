//! Helpers shared by the tests: temporary directories, store kinds, polling a future once.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use impact_sync::{JsonlStore, SqliteStore, Store, StoreError};

/// A directory under the system's temp dir, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "impact-sync-{label}-{}-{unique}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The two stores, for tests that hold each to the same contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqlite,
    Jsonl,
}

impl Kind {
    pub(crate) const ALL: [Kind; 2] = [Kind::Sqlite, Kind::Jsonl];

    /// Opens the store of this kind kept under `dir`.
    pub(crate) fn open(self, dir: &Path) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            Kind::Sqlite => Box::new(SqliteStore::open(dir.join("store.sqlite3"))?),
            Kind::Jsonl => Box::new(JsonlStore::open(dir.join("jsonl"))?),
        })
    }
}

/// Polls a future once with a waker that does nothing. Everything behind the fake source is
/// synchronous, so one poll runs the future until it completes or parks at a crash point; a
/// parked future is dropped, as a process that dies there loses everything in memory.
pub(crate) fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// The ground truth of a stream at the mock's `now` (`GET /_mock/world/{Resource}`), by the
/// stream's key: each item's line exactly as the mock serves it in JSON.
pub(crate) async fn ground_truth(
    base_url: &str,
    api: &str,
    spec: &impact_sync::StreamSpec,
) -> std::collections::BTreeMap<String, String> {
    let url = format!(
        "{base_url}/_mock/world/{}?account={}&api={api}",
        spec.name(),
        impact_mock::DEMO_ACCOUNT_SID
    );
    let response = reqwest::get(&url).await.expect("the ground truth");
    assert!(response.status().is_success(), "GET {url}");
    let body = response.text().await.expect("a body");
    body.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let item: serde_json::Value = serde_json::from_str(line).expect("a json line");
            let key = impact_sync::store::key_of(&item, spec.key()).expect("a key");
            (key, line.to_owned())
        })
        .collect()
}

/// Whether an item lies in the period a sync holds to the truth (see the crate README, "The
/// period synced"): for windowed streams, the attribute of the stream's first read and the
/// event of the action it belongs to (`ActionDate`: the world forgets an action's updates with
/// the action) on or after `from`. Full-read lists have no period.
pub(crate) fn in_period(
    spec: &impact_sync::StreamSpec,
    item: &serde_json::Value,
    from: impact_sync::Timestamp,
) -> bool {
    let impact_sync::stream::Read::Windowed { initial, .. } = spec.read() else {
        return true;
    };
    [initial.attribute(), "ActionDate"].iter().all(|attribute| {
        item[*attribute]
            .as_str()
            .and_then(|text| text.parse::<impact_sync::Timestamp>().ok())
            .is_none_or(|at| at >= from)
    })
}

/// The records of a store against the truth over the period synced (items on or after
/// `from`): (missing, extra, stale), where stale means a record whose bytes differ from the
/// truth's line.
pub(crate) fn compare(
    records: &std::collections::BTreeMap<String, String>,
    truth: &std::collections::BTreeMap<String, String>,
    spec: &impact_sync::StreamSpec,
    from: impact_sync::Timestamp,
) -> (usize, usize, usize) {
    let in_period = |record: &str| {
        let item: serde_json::Value = serde_json::from_str(record).expect("a json record");
        in_period(spec, &item, from)
    };
    let missing = truth
        .iter()
        .filter(|(id, line)| in_period(line) && !records.contains_key(*id))
        .count();
    // Actions that fell behind the three-year floor leave the truth but stay in the store.
    let extra = records
        .iter()
        .filter(|(id, record)| in_period(record) && !truth.contains_key(*id))
        .count();
    let stale = truth
        .iter()
        .filter(|(id, line)| records.get(*id).is_some_and(|record| record != *line))
        .count();
    (missing, extra, stale)
}
