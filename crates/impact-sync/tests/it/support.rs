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

/// The records of a store against the truth over the period synced (items on or after
/// `from`): (missing, extra, stale), where stale means a record whose bytes differ from the
/// truth's line.
pub(crate) fn compare(
    records: &std::collections::BTreeMap<String, String>,
    truth: &std::collections::BTreeMap<String, String>,
    spec: &impact_sync::StreamSpec,
    from: impact_sync::Timestamp,
) -> (usize, usize, usize) {
    let differences =
        impact_sync::truth::compare(spec, records, truth.values().map(String::as_str), from)
            .expect("a ground truth");
    (differences.missing, differences.extra, differences.stale)
}
