//! Processes killed (SIGKILL) in the middle of committing: the test binary runs itself as a
//! child that commits pages to a store as fast as it can, printing the number of each commit
//! once it returned; the parent kills it at a random moment and opens the store. What it finds
//! must be exactly some whole number of commits, no fewer than the child reported.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use impact_sync::{Batch, Key, Row, Store, StreamState, Timestamp};

use crate::support::{Kind, TempDir};

const CHILD: &str = "IMPACT_SYNC_KILL_CHILD";
const STORE_DIR: &str = "IMPACT_SYNC_KILL_DIR";
const KIND: &str = "IMPACT_SYNC_KILL_KIND";
const ROWS_PER_PAGE: u32 = 400;

/// The rows of commit `n`: a window of ids that slides, so that commits add, change and leave
/// rows alone.
fn page(n: u32) -> Vec<Row> {
    (0..ROWS_PER_PAGE)
        .map(|j| {
            let id = (n * 150 + j) % 2_000;
            let padding = "x".repeat((id % 64) as usize);
            Row::new(
                id.to_string(),
                format!(r#"{{"Id":"{id}","commit":{n},"pad":"{padding}"}}"#),
            )
        })
        .collect()
}

/// The records after commits `0..count`.
fn expected(count: u32) -> BTreeMap<String, String> {
    let mut records = BTreeMap::new();
    for n in 0..count {
        for row in page(n) {
            records.insert(row.id().to_owned(), row.record().to_owned());
        }
    }
    records
}

fn commit(store: &mut dyn Store, n: u32) {
    let state = StreamState::new(Some(Timestamp::from_unix(i64::from(n) + 1)));
    let rows = page(n);
    let batch = Batch {
        stream: "Actions",
        key: Key::Field("Id"),
        rows: &rows,
        state: &state,
        synced_at: Timestamp::from_unix(1_700_000_000),
    };
    store.commit(batch).expect("a commit in the child");
}

/// Commits until killed. Its stdout carries `committed N` after each commit returned.
fn child(kind: Kind, dir: &str) -> ! {
    let mut store = kind
        .open(std::path::Path::new(dir))
        .expect("the child's store");
    let start = committed_count(&*store);
    for n in start.. {
        commit(&mut *store, n);
        println!("committed {}", n + 1);
    }
    unreachable!("commits go on until the parent kills the child")
}

fn committed_count(store: &dyn Store) -> u32 {
    store
        .state("Actions")
        .synced_until()
        .map_or(0, |t| u32::try_from(t.unix()).expect("a commit count"))
}

/// Runs itself as the child for `kind`, kills it once it has reported `target` commits plus
/// a few hundred microseconds, and returns what the child had reported.
fn run_and_kill(kind: Kind, dir: &TempDir, target: u32, delay: Duration) -> u32 {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "kill::killed_mid_commit_leaves_whole_commits",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(STORE_DIR, dir.path())
        .env(KIND, format!("{kind:?}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child");
    let stdout = child.stdout.take().expect("the child's stdout");
    let mut reported = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if let Some(n) = line.strip_prefix("committed ") {
            reported = n.parse().expect("a count");
            if reported >= target {
                break;
            }
        }
    }
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    reported
}

/// For both stores, several kills at moments that move across the commit: after each, the
/// store holds exactly the commits its checkpoint names, at least as many as reported.
#[test]
fn killed_mid_commit_leaves_whole_commits() {
    if std::env::var_os(CHILD).is_some() {
        let kind = match std::env::var(KIND).as_deref() {
            Ok("Sqlite") => Kind::Sqlite,
            _ => Kind::Jsonl,
        };
        let dir = std::env::var(STORE_DIR).expect("the store's directory");
        child(kind, &dir);
    }
    for kind in Kind::ALL {
        let dir = TempDir::new("kill");
        let mut last = 0;
        for round in 0..6u32 {
            let delay = Duration::from_micros(u64::from(round) * 377 % 2_000);
            let reported = run_and_kill(kind, &dir, last + 2, delay);
            let mut store = kind.open(dir.path()).expect("the store after the kill");
            let count = committed_count(&*store);
            assert!(
                count >= reported,
                "{kind:?} round {round}: {count} commits found, {reported} reported"
            );
            assert!(count >= last, "{kind:?} round {round}: commits went back");
            let records = store.records("Actions", Key::Field("Id")).expect("records");
            assert!(
                records == expected(count),
                "{kind:?} round {round}: the rows are not those of {count} whole commits"
            );
            last = count;
        }
    }
}
