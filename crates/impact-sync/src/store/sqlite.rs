//! The SQLite store (SPEC 9.2), the default: one file in WAL mode, a table per stream
//! (`Id TEXT PRIMARY KEY, record TEXT, synced_at TEXT`), and the checkpoints in
//! `_impact_sync_state`, written in the same transaction as the rows they cover.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::lock::StoreLock;
use super::{Batch, Committed, Store, StoreError, StoreErrorKind, valid_stream_name};
use crate::state::StreamState;
use crate::stream::Key;

/// The table of checkpoints, one row per stream.
const STATE_TABLE: &str = "_impact_sync_state";

/// A SQLite file holding streams and their checkpoints.
///
/// Each commit is one transaction with `synchronous = FULL` in WAL mode: the rows of a page
/// and the checkpoint after it become durable together, or not at all. A row is written only
/// when its key is new or its record differs from the stored one; `synced_at` is the time of
/// the read that last changed it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use impact_sync::{Batch, Key, Row, SqliteStore, Store, StreamState, Timestamp};
///
/// let mut store = SqliteStore::open_in_memory()?;
/// let rows = [Row::new("1000", r#"{"Id":"1000"}"#)];
/// let state = StreamState::default();
/// let batch = Batch { stream: "Campaigns", key: Key::Field("Id"), rows: &rows, state: &state, synced_at: Timestamp::from_unix(0) };
/// assert_eq!(store.commit(batch)?.written, 1);
/// assert_eq!(store.commit(batch)?.unchanged, 1);
/// assert_eq!(store.records("Campaigns", Key::Field("Id"))?["1000"], r#"{"Id":"1000"}"#);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    connection: Connection,
    path: Option<PathBuf>,
    /// Held while the store is open (`PATH.lock`); none in memory.
    _lock: Option<StoreLock>,
    states: BTreeMap<String, StreamState>,
    tables: HashSet<String>,
    #[cfg(test)]
    pub(crate) fail_after_rows: Option<usize>,
}

impl SqliteStore {
    /// Opens (or creates) the store at `path`, taking its lock (`PATH.lock`, see
    /// [`StoreErrorKind::Locked`]): one writer at a time. Readers such as `sqlite3` are not
    /// concerned: WAL lets them read while a sync writes.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock = StoreLock::acquire(Path::new(&lock_path))?;
        let connection = Connection::open(path).map_err(|error| with_path(error, path))?;
        SqliteStore::setup(connection, Some(path.to_owned()), Some(lock))
    }

    /// A store in memory, for tests and examples.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::setup(Connection::open_in_memory()?, None, None)
    }

    fn setup(
        connection: Connection,
        path: Option<PathBuf>,
        lock: Option<StoreLock>,
    ) -> Result<SqliteStore, StoreError> {
        // WAL keeps readers (sqlite3 on the same file) out of the writer's way; FULL makes a
        // committed transaction survive a power loss, not only a crash of the process.
        let mode: String =
            connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if path.is_some() && !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(
                StoreErrorKind::Sqlite,
                format!("sqlite refused WAL mode (journal mode is {mode})"),
            ));
        }
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (stream TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL)"
        ))?;
        let states = read_states(&connection, path.as_deref())?;
        Ok(SqliteStore {
            connection,
            path,
            _lock: lock,
            states,
            tables: HashSet::new(),
            #[cfg(test)]
            fail_after_rows: None,
        })
    }

    /// The file, unless the store is in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn ensure_table(&mut self, stream: &str) -> Result<(), StoreError> {
        if !self.tables.contains(stream) {
            // The name was checked: a letter, then letters, digits and `_`.
            self.connection.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS \"{stream}\" (Id TEXT PRIMARY KEY NOT NULL, record TEXT NOT NULL, synced_at TEXT NOT NULL)"
            ))?;
            self.tables.insert(stream.to_owned());
        }
        Ok(())
    }

    fn table_exists(&self, stream: &str) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [stream],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

fn with_path(error: rusqlite::Error, path: &Path) -> StoreError {
    let mut store = StoreError::from(error);
    store.path = Some(path.to_owned());
    store
}

fn read_states(
    connection: &Connection,
    path: Option<&Path>,
) -> Result<BTreeMap<String, StreamState>, StoreError> {
    let mut statement = connection.prepare(&format!("SELECT stream, state FROM {STATE_TABLE}"))?;
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut states = BTreeMap::new();
    for row in rows {
        let (stream, text) = row?;
        let state = serde_json::from_str(&text).map_err(|error| {
            StoreError::corrupt(
                path.unwrap_or(Path::new(":memory:")),
                format!("the checkpoint of {stream} cannot be read: {error}"),
            )
        })?;
        states.insert(stream, state);
    }
    Ok(states)
}

impl Store for SqliteStore {
    fn state(&self, stream: &str) -> StreamState {
        self.states.get(stream).cloned().unwrap_or_default()
    }

    fn commit(&mut self, batch: Batch<'_>) -> Result<Committed, StoreError> {
        if !valid_stream_name(batch.stream) {
            return Err(StoreError::invalid_name(batch.stream));
        }
        self.ensure_table(batch.stream)?;
        let state_text = serde_json::to_string(batch.state)
            .map_err(|error| StoreError::new(StoreErrorKind::Corrupt, error.to_string()))?;
        let synced_at = batch.synced_at.to_string();
        let mut committed = Committed::default();
        let transaction = self.connection.transaction()?;
        {
            let mut upsert = transaction.prepare_cached(&format!(
                "INSERT INTO \"{}\" (Id, record, synced_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (Id) DO UPDATE SET record = excluded.record, synced_at = excluded.synced_at \
                 WHERE record IS NOT excluded.record",
                batch.stream
            ))?;
            for (index, row) in batch.rows.iter().enumerate() {
                #[cfg(test)]
                if self.fail_after_rows == Some(index) {
                    return Err(StoreError::new(StoreErrorKind::Io, "injected failure"));
                }
                let _ = index;
                match upsert.execute(params![row.id, row.record, synced_at])? {
                    0 => committed.unchanged += 1,
                    _ => committed.written += 1,
                }
            }
            transaction.execute(
                &format!(
                    "INSERT INTO {STATE_TABLE} (stream, state) VALUES (?1, ?2) \
                     ON CONFLICT (stream) DO UPDATE SET state = excluded.state"
                ),
                params![batch.stream, state_text],
            )?;
        }
        transaction.commit()?;
        self.states
            .insert(batch.stream.to_owned(), batch.state.clone());
        Ok(committed)
    }

    fn states(&self) -> BTreeMap<String, StreamState> {
        self.states.clone()
    }

    fn records(&mut self, stream: &str, _key: Key) -> Result<BTreeMap<String, String>, StoreError> {
        if !valid_stream_name(stream) {
            return Err(StoreError::invalid_name(stream));
        }
        if !self.table_exists(stream)? {
            return Ok(BTreeMap::new());
        }
        let mut statement = self
            .connection
            .prepare(&format!("SELECT Id, record FROM \"{stream}\""))?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let mut records = BTreeMap::new();
        for row in rows {
            let (id, record) = row?;
            records.insert(id, record);
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Row;
    use crate::time::Timestamp;

    fn batch<'a>(rows: &'a [Row], state: &'a StreamState) -> Batch<'a> {
        Batch {
            stream: "Actions",
            key: Key::Field("Id"),
            rows,
            state,
            synced_at: Timestamp::from_unix(1_700_000_000),
        }
    }

    fn page(version: u32, ids: std::ops::Range<u32>) -> Vec<Row> {
        ids.map(|id| Row::new(format!("{id}"), format!(r#"{{"Id":"{id}","v":{version}}}"#)))
            .collect()
    }

    /// A commit abandoned after any number of its rows (the transaction is dropped, as when
    /// the process dies before `COMMIT`) leaves exactly the earlier commits, in memory and on
    /// disk; the same commit made again afterwards lands whole.
    #[test]
    fn an_abandoned_commit_leaves_nothing_behind() {
        let dir =
            std::env::temp_dir().join(format!("impact-sync-sqlite-abandon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let path = dir.join("store.sqlite3");
        let first = page(1, 0..6);
        let second = page(2, 3..10);
        let before = StreamState::new(Some(Timestamp::from_unix(1)));
        let after = StreamState::new(Some(Timestamp::from_unix(2)));
        for fail_at in 0..second.len() {
            let _ = std::fs::remove_file(&path);
            let mut store = SqliteStore::open(&path).expect("a store");
            store
                .commit(batch(&first, &before))
                .expect("the first page");
            let expected = store.records("Actions", Key::Field("Id")).expect("records");
            store.fail_after_rows = Some(fail_at);
            assert!(store.commit(batch(&second, &after)).is_err());
            assert_eq!(
                store.state("Actions"),
                before,
                "in memory, failing at {fail_at}"
            );
            drop(store);
            let mut store = SqliteStore::open(&path).expect("reopened");
            assert_eq!(
                store.state("Actions"),
                before,
                "on disk, failing at {fail_at}"
            );
            assert_eq!(
                store.records("Actions", Key::Field("Id")).expect("records"),
                expected
            );
            let committed = store
                .commit(batch(&second, &after))
                .expect("the second page");
            assert_eq!((committed.written, committed.unchanged), (7, 0));
            assert_eq!(
                store
                    .records("Actions", Key::Field("Id"))
                    .expect("records")
                    .len(),
                10
            );
            assert_eq!(store.state("Actions"), after);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
