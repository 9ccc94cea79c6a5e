//! Where synced items land (SPEC 9.2): a [`Store`] commits one page's rows together with the
//! stream's checkpoint, atomically and durably, so that after a crash at any moment reopening
//! gives exactly the rows and checkpoints of the commits that returned. SQLite and JSONL are
//! the two implementations; another (Postgres, Parquet) is one more.

mod jsonl;
mod lock;
mod sqlite;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use jsonl::{JsonlStore, LOCK_FILE, STATE_FILE};
pub use sqlite::SqliteStore;

use crate::state::StreamState;
use crate::stream::Key;
use crate::time::Timestamp;

/// One item to store: its primary key and the item as the API sent it in JSON.
///
/// The runner keeps the bytes of each item as the page carried them (attribute order, number
/// forms and escapes included), less the whitespace between tokens, so that a record is one
/// line. Two reads of an unchanged item give the same text, so a store tells a changed item
/// from an unchanged one by comparing records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub(crate) id: String,
    pub(crate) record: String,
}

impl Row {
    /// A row of a parsed item, serialised compactly (keys in the map's order), its key read by
    /// `key`. `None` when the item lacks the key (or it is not a string or a number). The
    /// runner stores list items as they were sent instead; this is for items it builds.
    ///
    /// ```
    /// use impact_sync::{Key, Row};
    ///
    /// let item = serde_json::json!({"Name": "Spring", "Id": "1000"});
    /// let row = Row::from_item(&item, Key::Field("Id")).unwrap();
    /// assert_eq!(row.id(), "1000");
    /// assert_eq!(row.record(), r#"{"Id":"1000","Name":"Spring"}"#);
    /// assert!(Row::from_item(&serde_json::json!({"Name": "x"}), Key::Field("Id")).is_none());
    /// ```
    pub fn from_item(item: &serde_json::Value, key: Key) -> Option<Row> {
        let id = key_of(item, key)?;
        Some(Row {
            id,
            record: item.to_string(),
        })
    }

    /// A row from a key and a record already in the compact form.
    pub fn new(id: impl Into<String>, record: impl Into<String>) -> Row {
        Row {
            id: id.into(),
            record: record.into(),
        }
    }

    /// The primary key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The item, as compact JSON.
    pub fn record(&self) -> &str {
        &self.record
    }
}

/// The key of an item by a [`Key`] rule: a string attribute as it is, a number as written.
pub fn key_of(item: &serde_json::Value, key: Key) -> Option<String> {
    match key {
        Key::Field(field) => key_of_value(item.get(field)?),
        Key::Fields(fields) => {
            let parts = fields
                .iter()
                .map(|field| key_of(item, Key::Field(field)))
                .collect::<Option<Vec<_>>>()?;
            Some(parts.join("/"))
        }
        Key::Singleton(constant) => Some(constant.to_owned()),
    }
}

/// A key attribute's value as a key: a non-empty string as it is, a number as written.
pub(crate) fn key_of_value(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) if !text.is_empty() => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// One commit: a stream's rows from one page, and the checkpoint that says the page is done.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The stream (a table or file name; see [`valid_stream_name`]).
    pub stream: &'a str,
    /// How the stream's items are keyed (a JSONL store reads keys back from its lines).
    pub key: Key,
    /// The rows, in the order read; a later row of the same key wins.
    pub rows: &'a [Row],
    /// The stream's checkpoint after this page.
    pub state: &'a StreamState,
    /// When the rows were read.
    pub synced_at: Timestamp,
}

/// What a commit wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    /// Rows that were new or changed, and written.
    pub written: u64,
    /// Rows identical to what the store held, and left alone.
    pub unchanged: u64,
}

/// A place where streams land.
///
/// The contract every implementation keeps, and the tests of each check by crashing it at
/// every step of a commit:
/// - [`Store::commit`] makes the rows and the checkpoint durable together: once it returns,
///   both survive a crash of the process or the machine; if the process dies before it
///   returns, reopening the store gives either the state before the commit or the state after
///   it, never a part of it.
/// - A row whose key the stream already holds with an identical record is not written again.
/// - Checkpoints are read back exactly as committed.
pub trait Store {
    /// The checkpoint of a stream as last committed (the default state if none was).
    fn state(&self, stream: &str) -> StreamState;

    /// Commits a batch. On error nothing of the batch may be visible after reopening.
    fn commit(&mut self, batch: Batch<'_>) -> Result<Committed, StoreError>;

    /// Every stream with a committed checkpoint, and its checkpoint.
    fn states(&self) -> BTreeMap<String, StreamState>;

    /// The current record of every item of a stream, by key (for checks and for comparing
    /// a store with the ground truth; it reads the whole stream). `key` is the stream's key
    /// rule, for stores that read keys back from records.
    fn records(&mut self, stream: &str, key: Key) -> Result<BTreeMap<String, String>, StoreError>;
}

/// A store behind a reference or a box is the store.
macro_rules! delegate_store {
    ($($pointer:ty),*) => {$(
        impl<S: Store + ?Sized> Store for $pointer {
            fn state(&self, stream: &str) -> StreamState {
                (**self).state(stream)
            }

            fn commit(&mut self, batch: Batch<'_>) -> Result<Committed, StoreError> {
                (**self).commit(batch)
            }

            fn states(&self) -> BTreeMap<String, StreamState> {
                (**self).states()
            }

            fn records(
                &mut self,
                stream: &str,
                key: Key,
            ) -> Result<BTreeMap<String, String>, StoreError> {
                (**self).records(stream, key)
            }
        }
    )*};
}

delegate_store!(&mut S, Box<S>);

/// Whether a stream name can name a table and a file: an ASCII letter, then letters, digits
/// and `_`, at most 64 characters. Names starting with `_` are the stores' own.
pub fn valid_stream_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && bytes.all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        && name.len() <= 64
}

/// What kind of failure a [`StoreError`] is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreErrorKind {
    /// Reading or writing a file failed.
    Io,
    /// SQLite failed.
    Sqlite,
    /// The saved state cannot be read, or does not match the data beside it.
    Corrupt,
    /// A stream name that cannot be a table or file name.
    InvalidName,
    /// Another open store (another process, most likely another sync) holds the store's lock.
    Locked,
}

/// Why a store could not open, read or commit.
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    path: Option<PathBuf>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    pub(crate) fn new(kind: StoreErrorKind, message: impl Into<String>) -> StoreError {
        StoreError {
            kind,
            message: message.into(),
            path: None,
            source: None,
        }
    }

    pub(crate) fn io(path: &Path, what: &str, error: std::io::Error) -> StoreError {
        StoreError {
            path: Some(path.to_owned()),
            source: Some(Box::new(error)),
            ..StoreError::new(StoreErrorKind::Io, what)
        }
    }

    pub(crate) fn corrupt(path: &Path, message: impl Into<String>) -> StoreError {
        StoreError {
            path: Some(path.to_owned()),
            ..StoreError::new(StoreErrorKind::Corrupt, message)
        }
    }

    pub(crate) fn invalid_name(name: &str) -> StoreError {
        StoreError::new(
            StoreErrorKind::InvalidName,
            format!(
                "{:?} is not a stream name (a letter, then letters, digits or _)",
                name.chars().take(80).collect::<String>()
            ),
        )
    }

    /// The kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The file involved, when there is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError {
            source: Some(Box::new(error)),
            ..StoreError::new(StoreErrorKind::Sqlite, "sqlite failed")
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(path) = &self.path {
            write!(f, " ({})", path.display())?;
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("path", &self.path)
            .field("source", &self.source)
            .finish()
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_are_safe_table_and_file_names() {
        let cases = [
            ("Actions", true),
            ("CatalogItems", true),
            ("Report_2", true),
            ("", false),
            ("_state", false),
            ("2Actions", false),
            ("Actions.jsonl", false),
            ("../x", false),
            ("Act ions", false),
            ("a\"; DROP TABLE x; --", false),
            ("Äctions", false),
        ];
        for (name, expect) in cases {
            assert_eq!(valid_stream_name(name), expect, "{name:?}");
        }
        assert!(!valid_stream_name(&"A".repeat(65)));
    }

    #[test]
    fn keys_are_strings_or_numbers() {
        let cases = [
            (
                serde_json::json!({"Id": "1000.4000.1"}),
                Some("1000.4000.1"),
            ),
            (serde_json::json!({"Id": 17}), Some("17")),
            (serde_json::json!({"Id": ""}), None),
            (serde_json::json!({"Id": null}), None),
            (serde_json::json!({"Id": ["1"]}), None),
            (serde_json::json!({"id": "1"}), None),
        ];
        for (item, expect) in cases {
            assert_eq!(key_of(&item, Key::Field("Id")).as_deref(), expect, "{item}");
        }
        let composite = Key::Fields(&["CatalogId", "CatalogItemId"]);
        let item = serde_json::json!({"CatalogId": "7", "CatalogItemId": "sku-1"});
        assert_eq!(key_of(&item, composite).as_deref(), Some("7/sku-1"));
        let partial = serde_json::json!({"CatalogId": "7"});
        assert_eq!(key_of(&partial, composite), None);
        assert_eq!(
            key_of(&serde_json::json!({}), Key::Singleton("CompanyInformation")).as_deref(),
            Some("CompanyInformation")
        );
    }
}
