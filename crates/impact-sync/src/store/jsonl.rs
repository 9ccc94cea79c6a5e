//! The JSONL store (SPEC 9.2): `DIR/{Stream}.jsonl`, one item per line, a line appended only
//! for an item that is new or changed since the last line of its key; the checkpoints and the
//! committed length of every file in `DIR/_state.json`, replaced atomically after the lines it
//! covers are durable. On open, bytes past a file's committed length are cut off.

use std::collections::hash_map::DefaultHasher;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lock::StoreLock;
use super::{Batch, Committed, Store, StoreError, key_of, valid_stream_name};
use crate::state::StreamState;
use crate::stream::Key;

/// The state file's name.
pub const STATE_FILE: &str = "_state.json";
const STATE_TEMP: &str = "_state.json.tmp";
/// The lock file held while a store is open.
pub const LOCK_FILE: &str = "_lock";
const VERSION: u32 = 1;

/// What `_state.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    version: u32,
    /// The committed length in bytes of each stream's file.
    files: BTreeMap<String, u64>,
    /// Each stream's checkpoint.
    streams: BTreeMap<String, StreamState>,
}

/// A directory of JSONL files, one per stream, and their checkpoints.
///
/// A commit appends the new and changed items' lines to the stream's file and syncs it, then
/// writes the new state to a temporary file, syncs it, renames it over `_state.json` and syncs
/// the directory. A crash before the rename leaves the old state, and the lines written after
/// it are cut off when the store is opened again; a crash after it leaves the new state, whose
/// lines were already durable. So a crash never leaves a partial or doubled line.
///
/// To tell a changed item from an unchanged one, the store keeps a 64-bit hash of the last
/// line of each key of the streams it has written to since it was opened (read back from the
/// file on the first commit to a stream).
#[derive(Debug)]
pub struct JsonlStore {
    dir: PathBuf,
    saved: Saved,
    /// Per stream: the hash of the last line of each key.
    index: HashMap<String, HashMap<String, u64>>,
    /// Per stream: the file, open for appending.
    files: HashMap<String, File>,
    /// Held while the store is open.
    _lock: StoreLock,
}

impl JsonlStore {
    /// Opens (or creates) the store in `dir`, cutting every file back to its committed length.
    ///
    /// A directory with data files but no `_state.json` is refused: which of its lines were
    /// committed cannot be known. (A new store writes an empty state before any line.) The
    /// store's lock (`DIR/_lock`) is taken first: one writer at a time.
    pub fn open(dir: impl AsRef<Path>) -> Result<JsonlStore, StoreError> {
        let dir = dir.as_ref().to_owned();
        fs::create_dir_all(&dir)
            .map_err(|error| StoreError::io(&dir, "cannot create the directory", error))?;
        let lock = StoreLock::acquire(&dir.join(LOCK_FILE))?;
        let state_path = dir.join(STATE_FILE);
        let saved = if state_path.exists() {
            read_saved(&state_path)?
        } else {
            refuse_orphan_data(&dir)?;
            let saved = Saved {
                version: VERSION,
                ..Saved::default()
            };
            write_saved(&dir, &saved)?;
            saved
        };
        remove_temp(&dir)?;
        cut_back(&dir, &saved)?;
        Ok(JsonlStore {
            dir,
            saved,
            index: HashMap::new(),
            files: HashMap::new(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a stream.
    pub fn file_of(&self, stream: &str) -> PathBuf {
        self.dir.join(format!("{stream}.jsonl"))
    }

    fn committed_len(&self, stream: &str) -> u64 {
        self.saved.files.get(stream).copied().unwrap_or(0)
    }

    /// The index of a stream, read from its committed lines the first time.
    fn index_of(
        &mut self,
        stream: &str,
        key: Key,
    ) -> Result<&mut HashMap<String, u64>, StoreError> {
        if !self.index.contains_key(stream) {
            let mut index = HashMap::new();
            let path = self.file_of(stream);
            for_each_line(&path, self.committed_len(stream), |line| {
                let id = line_key(&path, line, key)?;
                index.insert(id, hash(line));
                Ok(())
            })?;
            self.index.insert(stream.to_owned(), index);
        }
        Ok(self.index.entry(stream.to_owned()).or_default())
    }

    /// The stream's file open for appending, created (and made durable in the directory) on
    /// first use, and cut back to its committed length if a failed commit left bytes past it.
    fn file_for(&mut self, stream: &str) -> Result<&mut File, StoreError> {
        let path = self.file_of(stream);
        let committed = self.committed_len(stream);
        let file = match self.files.entry(stream.to_owned()) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let existed = path.exists();
                let file = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)
                    .map_err(|error| {
                        StoreError::io(&path, "cannot open the stream's file", error)
                    })?;
                if !existed {
                    sync_dir(&self.dir)?;
                }
                entry.insert(file)
            }
        };
        let len = file
            .metadata()
            .map_err(|error| StoreError::io(&path, "cannot read the file's length", error))?
            .len();
        if len != committed {
            file.set_len(committed)
                .map_err(|error| StoreError::io(&path, "cannot cut the file back", error))?;
        }
        Ok(file)
    }
}

impl Store for JsonlStore {
    fn state(&self, stream: &str) -> StreamState {
        self.saved.streams.get(stream).cloned().unwrap_or_default()
    }

    fn commit(&mut self, batch: Batch<'_>) -> Result<Committed, StoreError> {
        if !valid_stream_name(batch.stream) {
            return Err(StoreError::invalid_name(batch.stream));
        }
        let index = self.index_of(batch.stream, batch.key)?;
        let mut changed: HashMap<&str, u64> = HashMap::new();
        let mut lines = Vec::new();
        let mut committed = Committed::default();
        for row in batch.rows {
            let line_hash = hash(&row.record);
            let last = changed
                .get(row.id.as_str())
                .or_else(|| index.get(&row.id))
                .copied();
            if last == Some(line_hash) {
                committed.unchanged += 1;
                continue;
            }
            changed.insert(&row.id, line_hash);
            lines.extend_from_slice(row.record.as_bytes());
            lines.push(b'\n');
            committed.written += 1;
        }
        let mut saved = self.saved.clone();
        if !lines.is_empty() {
            let path = self.file_of(batch.stream);
            let file = self.file_for(batch.stream)?;
            file.write_all(&lines)
                .and_then(|()| file.sync_data())
                .map_err(|error| StoreError::io(&path, "cannot write the stream's lines", error))?;
            let len = saved.files.entry(batch.stream.to_owned()).or_insert(0);
            *len += lines.len() as u64;
        }
        saved
            .streams
            .insert(batch.stream.to_owned(), batch.state.clone());
        write_saved(&self.dir, &saved)?;
        self.saved = saved;
        let index = self.index.entry(batch.stream.to_owned()).or_default();
        for (id, line_hash) in changed {
            index.insert(id.to_owned(), line_hash);
        }
        Ok(committed)
    }

    fn states(&self) -> BTreeMap<String, StreamState> {
        self.saved.streams.clone()
    }

    fn records(&mut self, stream: &str, key: Key) -> Result<BTreeMap<String, String>, StoreError> {
        if !valid_stream_name(stream) {
            return Err(StoreError::invalid_name(stream));
        }
        let path = self.file_of(stream);
        let mut records = BTreeMap::new();
        for_each_line(&path, self.committed_len(stream), |line| {
            records.insert(line_key(&path, line, key)?, line.to_owned());
            Ok(())
        })?;
        Ok(records)
    }
}

fn hash(line: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    line.hash(&mut hasher);
    hasher.finish()
}

fn line_key(path: &Path, line: &str, key: Key) -> Result<String, StoreError> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|error| StoreError::corrupt(path, format!("a line is not json: {error}")))?;
    key_of(&value, key)
        .ok_or_else(|| StoreError::corrupt(path, format!("a line has no key ({key:?})")))
}

/// Calls `each` with every line of the first `len` bytes of `path` (none if it is missing).
fn for_each_line(
    path: &Path,
    len: u64,
    mut each: impl FnMut(&str) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    if len == 0 {
        return Ok(());
    }
    let file = File::open(path)
        .map_err(|error| StoreError::io(path, "cannot read the stream's file", error))?;
    let mut reader = BufReader::new(file.take(len));
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|error| StoreError::io(path, "cannot read the stream's file", error))?;
        if read == 0 {
            return Ok(());
        }
        let Some(text) = line.strip_suffix('\n') else {
            return Err(StoreError::corrupt(
                path,
                "the committed part of the file ends inside a line",
            ));
        };
        each(text)?;
    }
}

fn read_saved(path: &Path) -> Result<Saved, StoreError> {
    let text = fs::read_to_string(path)
        .map_err(|error| StoreError::io(path, "cannot read the state", error))?;
    let saved: Saved = serde_json::from_str(&text)
        .map_err(|error| StoreError::corrupt(path, format!("the state cannot be read: {error}")))?;
    if saved.version != VERSION {
        return Err(StoreError::corrupt(
            path,
            format!("state version {} is not {VERSION}", saved.version),
        ));
    }
    if let Some(name) = saved.files.keys().find(|name| !valid_stream_name(name)) {
        return Err(StoreError::corrupt(
            path,
            format!("the state names a file {name:?} that is not a stream"),
        ));
    }
    Ok(saved)
}

/// Writes the state to a temporary file, syncs it, renames it over the state and syncs the
/// directory: a reader sees the old state or the new one, whole.
fn write_saved(dir: &Path, saved: &Saved) -> Result<(), StoreError> {
    let temp = dir.join(STATE_TEMP);
    let mut text = serde_json::to_vec(saved)
        .map_err(|error| StoreError::corrupt(&temp, format!("cannot write the state: {error}")))?;
    text.push(b'\n');
    let mut file = File::create(&temp)
        .map_err(|error| StoreError::io(&temp, "cannot create the new state", error))?;
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(|error| StoreError::io(&temp, "cannot write the new state", error))?;
    drop(file);
    let path = dir.join(STATE_FILE);
    fs::rename(&temp, &path)
        .map_err(|error| StoreError::io(&path, "cannot replace the state", error))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|error| StoreError::io(dir, "cannot sync the directory", error))
}

fn remove_temp(dir: &Path) -> Result<(), StoreError> {
    let temp = dir.join(STATE_TEMP);
    match fs::remove_file(&temp) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(StoreError::io(&temp, "cannot remove a stale state", error)),
    }
}

/// The stream files of the directory: `(stream, path)`.
fn stream_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, StoreError> {
    let entries = fs::read_dir(dir)
        .map_err(|error| StoreError::io(dir, "cannot list the directory", error))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|error| StoreError::io(dir, "cannot list the directory", error))?;
        let path = entry.path();
        let stream = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".jsonl"))
            .filter(|stream| valid_stream_name(stream))
            .map(str::to_owned);
        if let Some(stream) = stream {
            files.push((stream, path));
        }
    }
    Ok(files)
}

fn refuse_orphan_data(dir: &Path) -> Result<(), StoreError> {
    for (_, path) in stream_files(dir)? {
        let len = fs::metadata(&path)
            .map_err(|error| StoreError::io(&path, "cannot read the file's length", error))?
            .len();
        if len > 0 {
            return Err(StoreError::corrupt(
                &path,
                format!("data without a {STATE_FILE}: which lines were committed cannot be known"),
            ));
        }
    }
    Ok(())
}

/// Cuts every stream file back to its committed length: what lies past it was written by a
/// commit that did not finish.
fn cut_back(dir: &Path, saved: &Saved) -> Result<(), StoreError> {
    for (stream, len) in &saved.files {
        let path = dir.join(format!("{stream}.jsonl"));
        let actual = fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0);
        if actual < *len {
            return Err(StoreError::corrupt(
                &path,
                format!("the file holds {actual} bytes but {len} were committed"),
            ));
        }
    }
    for (stream, path) in stream_files(dir)? {
        let committed = saved.files.get(&stream).copied().unwrap_or(0);
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|error| StoreError::io(&path, "cannot open the stream's file", error))?;
        let actual = file
            .metadata()
            .map_err(|error| StoreError::io(&path, "cannot read the file's length", error))?
            .len();
        if actual > committed {
            file.set_len(committed)
                .and_then(|()| file.sync_all())
                .map_err(|error| StoreError::io(&path, "cannot cut the file back", error))?;
        }
    }
    Ok(())
}
