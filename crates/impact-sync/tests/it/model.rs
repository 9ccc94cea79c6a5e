//! A model-based property of the runner: a fake API whose world moves in time, syncs that die
//! at random calls (the answer of the call in flight is lost, a JSONL store may be left with a
//! partial line, and the store is reopened as a new process would), restarted until they
//! finish; the store must then hold exactly the fake's ground truth, first after the full
//! read and again after each incremental run, with at most one page fetched twice per crash.

use std::collections::HashMap;
use std::io::Write;

use impact_client::ApiKind;
use impact_sync::{Key, Runner, Store, StreamSpec};
use proptest::prelude::*;

use crate::fake::FakeApi;
use crate::support::{Kind, TempDir, poll_once};

fn actions() -> &'static StreamSpec {
    StreamSpec::find(ApiKind::Brand, "Actions").expect("brand actions")
}

/// Runs one sync of brand actions to completion, crashing at each of `crashes` (calls from the
/// start of each attempt); returns how many crashes happened.
fn sync_with_crashes(
    api: &FakeApi,
    kind: Kind,
    dir: &TempDir,
    crashes: &[u64],
    garbage: &[u8],
) -> usize {
    let mut crashed = 0;
    for attempt in 0.. {
        assert!(attempt < 50, "the sync does not finish");
        match crashes.get(attempt) {
            Some(&at) => api.crash_after(at),
            None => api.no_crash(),
        }
        let store = kind.open(dir.path()).expect("the store");
        let mut runner = Runner::new(api, store);
        match poll_once(runner.sync(actions())) {
            Some(Ok(report)) => {
                assert!(report.complete, "a sync without a call limit finishes");
                api.no_crash();
                return crashed;
            }
            Some(Err(error)) => panic!("the sync failed: {error}"),
            None => {
                crashed += 1;
                drop(runner);
                if kind == Kind::Jsonl {
                    // The process died: a JSONL file may end in bytes no state covers.
                    let file = dir.path().join("jsonl").join("Actions.jsonl");
                    if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(file) {
                        file.write_all(garbage).expect("garbage");
                    }
                }
            }
        }
    }
    unreachable!()
}

/// Pages fetched more than once (successful list reads of the same target).
fn pages_fetched_twice(api: &FakeApi) -> usize {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (target, status) in api.take_served() {
        if status == 200 {
            *seen.entry(target).or_default() += 1;
        }
    }
    seen.values().map(|count| count - 1).sum()
}

fn assert_truth(api: &FakeApi, kind: Kind, dir: &TempDir, label: &str) {
    let mut store = kind.open(dir.path()).expect("the store");
    let records = store.records("Actions", Key::Field("Id")).expect("records");
    let truth = api.truth();
    let missing = truth.keys().filter(|id| !records.contains_key(*id)).count();
    let extra = records.keys().filter(|id| !truth.contains_key(*id)).count();
    let stale = truth
        .iter()
        .filter(|(id, record)| records.get(*id).is_some_and(|stored| stored != *record))
        .count();
    assert_eq!(
        (missing, extra, stale),
        (0, 0, 0),
        "{kind:?} {label}: missing, extra, stale of {} items",
        truth.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn crashed_syncs_end_in_the_ground_truth(
        seed in any::<u64>(),
        jsonl in any::<bool>(),
        crashes in prop::collection::vec(prop::collection::vec(1u64..60, 0..4), 3),
        advances in prop::collection::vec(1i64..40, 2),
        garbage in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let kind = if jsonl { Kind::Jsonl } else { Kind::Sqlite };
        let api = FakeApi::new(seed, 3, 250, 6);
        let dir = TempDir::new("model");
        let crashed = sync_with_crashes(&api, kind, &dir, &crashes[0], &garbage);
        prop_assert!(pages_fetched_twice(&api) <= crashed, "full read: {} crashes", crashed);
        assert_truth(&api, kind, &dir, "after the full read");
        for (round, days) in advances.iter().enumerate() {
            api.advance(*days);
            let crashed = sync_with_crashes(&api, kind, &dir, &crashes[round + 1], &garbage);
            prop_assert!(pages_fetched_twice(&api) <= crashed, "incremental {}: {} crashes", round, crashed);
            assert_truth(&api, kind, &dir, &format!("after {days} more days"));
        }
    }
}
