//! The store contract, held against both stores, and the JSONL store's recovery from a crash
//! at every byte of a commit. (SQLite's abandoned transactions are a unit test of the crate;
//! processes killed mid-commit are in `kill.rs`.)

use std::collections::BTreeMap;
use std::path::Path;

use impact_sync::store::STATE_FILE;
use impact_sync::{Batch, JsonlStore, Key, Row, Store, StoreErrorKind, StreamState, Timestamp};
use proptest::prelude::*;

use crate::support::{Kind, TempDir};

const ID: Key = Key::Field("Id");

fn row(id: u32, version: u32) -> Row {
    Row::new(id.to_string(), format!(r#"{{"Id":"{id}","v":{version}}}"#))
}

fn state(n: i64) -> StreamState {
    StreamState::new(Some(Timestamp::from_unix(n)))
}

fn commit(
    store: &mut dyn Store,
    stream: &str,
    rows: &[Row],
    n: i64,
) -> Result<(u64, u64), impact_sync::StoreError> {
    let state = state(n);
    let batch = Batch {
        stream,
        key: ID,
        rows,
        state: &state,
        synced_at: Timestamp::from_unix(1_700_000_000 + n),
    };
    store
        .commit(batch)
        .map(|committed| (committed.written, committed.unchanged))
}

/// One step of the contract table: a commit, what it writes, and the records of the stream
/// afterwards (id → version).
struct Step {
    stream: &'static str,
    rows: Vec<Row>,
    expect: (u64, u64),
    records: &'static [(u32, u32)],
}

fn check(kind: Kind, steps: &[Step]) {
    let dir = TempDir::new("contract");
    let mut store = kind.open(dir.path()).expect("a store");
    for (n, step) in steps.iter().enumerate() {
        let n = n as i64;
        let written = commit(&mut *store, step.stream, &step.rows, n).expect("a commit");
        assert_eq!(written, step.expect, "{kind:?} step {n}");
        let expect: BTreeMap<String, String> = step
            .records
            .iter()
            .map(|(id, version)| (id.to_string(), row(*id, *version).record().to_owned()))
            .collect();
        for reopened in [false, true] {
            if reopened {
                drop(store);
                store = kind.open(dir.path()).expect("reopened");
            }
            let records = store.records(step.stream, ID).expect("records");
            assert_eq!(records, expect, "{kind:?} step {n} reopened {reopened}");
            assert_eq!(store.state(step.stream), state(n), "{kind:?} step {n}");
        }
    }
}

#[test]
fn both_stores_keep_the_contract() {
    let steps = || {
        vec![
            // New rows are written.
            Step {
                stream: "Actions",
                rows: vec![row(1, 1), row(2, 1)],
                expect: (2, 0),
                records: &[(1, 1), (2, 1)],
            },
            // The same rows again are left alone; a changed one is written.
            Step {
                stream: "Actions",
                rows: vec![row(1, 1), row(2, 2)],
                expect: (1, 1),
                records: &[(1, 1), (2, 2)],
            },
            // A checkpoint alone.
            Step {
                stream: "Actions",
                rows: vec![],
                expect: (0, 0),
                records: &[(1, 1), (2, 2)],
            },
            // A key twice in one page: the later row wins.
            Step {
                stream: "Actions",
                rows: vec![row(3, 1), row(3, 2), row(1, 1)],
                expect: (2, 1),
                records: &[(1, 1), (2, 2), (3, 2)],
            },
            // Another stream lands beside the first.
            Step {
                stream: "Ads",
                rows: vec![row(1, 7)],
                expect: (1, 0),
                records: &[(1, 7)],
            },
            // Back to a version seen before: a change, written.
            Step {
                stream: "Actions",
                rows: vec![row(2, 1)],
                expect: (1, 0),
                records: &[(1, 1), (2, 1), (3, 2)],
            },
        ]
    };
    for kind in Kind::ALL {
        check(kind, &steps());
    }
}

#[test]
fn both_stores_refuse_names_that_are_not_streams() {
    for kind in Kind::ALL {
        let dir = TempDir::new("names");
        let mut store = kind.open(dir.path()).expect("a store");
        for name in ["", "_state", "../Actions", "Actions.jsonl", "a b", "x\"y"] {
            let error = commit(&mut *store, name, &[row(1, 1)], 1).expect_err(name);
            assert_eq!(
                error.kind(),
                StoreErrorKind::InvalidName,
                "{kind:?} {name:?}"
            );
        }
        assert!(store.states().is_empty(), "{kind:?}");
    }
}

/// One writer per store: a second open of a store that is open fails at once with `Locked`,
/// and the store opens again once the first is dropped (as when its process ends).
#[test]
fn a_store_has_one_writer_at_a_time() {
    for kind in Kind::ALL {
        let dir = TempDir::new("lock");
        let first = kind.open(dir.path()).expect("the first writer");
        let Err(error) = kind.open(dir.path()) else {
            panic!("{kind:?}: a second writer opened the store");
        };
        assert_eq!(error.kind(), StoreErrorKind::Locked, "{kind:?}: {error}");
        drop(first);
        kind.open(dir.path()).expect("the store, free again");
    }
}

#[test]
fn a_jsonl_directory_with_data_but_no_state_is_refused() {
    let dir = TempDir::new("orphan");
    std::fs::write(dir.path().join("Actions.jsonl"), b"{\"Id\":\"1\"}\n").expect("a file");
    let error = JsonlStore::open(dir.path()).expect_err("data without a state");
    assert_eq!(error.kind(), StoreErrorKind::Corrupt);
}

#[test]
fn a_jsonl_file_shorter_than_its_state_is_refused() {
    let dir = TempDir::new("short");
    let mut store = JsonlStore::open(dir.path()).expect("a store");
    commit(&mut store, "Actions", &[row(1, 1), row(2, 1)], 1).expect("a commit");
    drop(store);
    let file = dir.path().join("Actions.jsonl");
    let len = std::fs::metadata(&file).expect("the file").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_len(len - 1))
        .expect("cut");
    let error = JsonlStore::open(dir.path()).expect_err("lost bytes");
    assert_eq!(error.kind(), StoreErrorKind::Corrupt);
}

/// Every file of a directory, by name.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("the store's directory")
        .map(|entry| {
            let entry = entry.expect("an entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).expect("a file"))
        })
        .collect()
}

fn restore(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("a directory");
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("a file");
    }
}

type Page = (&'static str, Vec<(u32, u32)>);

fn pages() -> impl Strategy<Value = Vec<Page>> {
    let page = (
        prop_oneof![Just("Actions"), Just("Ads")],
        prop::collection::vec((0u32..8, 0u32..3), 0..6),
    );
    prop::collection::vec(page, 1..6)
}

fn rows_of(page: &Page) -> Vec<Row> {
    page.1
        .iter()
        .map(|(id, version)| row(*id, *version))
        .collect()
}

fn all_records(store: &mut JsonlStore) -> BTreeMap<String, BTreeMap<String, String>> {
    ["Actions", "Ads"]
        .into_iter()
        .map(|stream| {
            (
                stream.to_owned(),
                store.records(stream, ID).expect("records"),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A JSONL commit that dies after any byte of its lines (with or without a partial new
    /// state beside them) reopens to exactly the commits before it; made again, it leaves the
    /// files byte for byte as an uninterrupted commit does, so no line is partial or doubled.
    /// A commit that died after its state was replaced reopens to that commit.
    #[test]
    fn a_jsonl_commit_cut_at_any_byte_recovers(pages in pages(), crash in any::<prop::sample::Index>()) {
        let dir = TempDir::new("jsonl-cut");
        let live = dir.path().join("live");
        let crashed = crash.index(pages.len());
        let mut store = JsonlStore::open(&live).expect("a store");
        for (n, page) in pages[..crashed].iter().enumerate() {
            commit(&mut store, page.0, &rows_of(page), n as i64).expect("a commit");
        }
        let before = snapshot(&live);
        let records_before = all_records(&mut store);
        let states_before = store.states();
        let page = &pages[crashed];
        commit(&mut store, page.0, &rows_of(page), crashed as i64).expect("the crashing commit");
        let after = snapshot(&live);
        let records_after = all_records(&mut store);
        drop(store);

        let file = format!("{}.jsonl", page.0);
        let old = before.get(&file).cloned().unwrap_or_default();
        let new = after.get(&file).cloned().unwrap_or_default();
        prop_assert!(new.starts_with(&old));
        let appended = &new[old.len()..];
        let new_state = &after[STATE_FILE];
        let image = dir.path().join("image");
        for cut in 0..=appended.len() {
            let mut files = before.clone();
            if after.contains_key(&file) {
                files.insert(file.clone(), [&old[..], &appended[..cut]].concat());
            }
            if cut % 2 == 1 {
                let partial = &new_state[..cut.min(new_state.len())];
                files.insert("_state.json.tmp".to_owned(), partial.to_vec());
            }
            restore(&image, &files);
            let mut reopened = JsonlStore::open(&image).expect("reopened after the crash");
            prop_assert_eq!(reopened.states(), states_before.clone(), "cut at {}", cut);
            prop_assert_eq!(all_records(&mut reopened), records_before.clone(), "cut at {}", cut);
            commit(&mut reopened, page.0, &rows_of(page), crashed as i64).expect("the commit again");
            drop(reopened);
            let redone = snapshot(&image);
            prop_assert_eq!(redone.get(&file), after.get(&file), "cut at {}", cut);
            prop_assert_eq!(&redone[STATE_FILE], new_state, "cut at {}", cut);
        }
        restore(&image, &after);
        let mut reopened = JsonlStore::open(&image).expect("reopened after the state");
        prop_assert_eq!(all_records(&mut reopened), records_after);
    }
}
