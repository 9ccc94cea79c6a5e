//! One writer per store: an exclusive advisory lock on a file beside the store, held while the
//! store is open, so that two processes (two overlapping cron runs) cannot write one store at
//! once. The operating system drops the lock when the process ends, however it ends, so a
//! crashed sync never leaves a store locked.

use std::fs::{File, OpenOptions};
use std::path::Path;

use super::{StoreError, StoreErrorKind};

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct StoreLock {
    _file: File,
}

impl StoreLock {
    /// Takes the lock on `path` (created if missing), or fails at once with
    /// [`StoreErrorKind::Locked`] when another open store holds it, in this process or another.
    pub(crate) fn acquire(path: &Path) -> Result<StoreLock, StoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|error| StoreError::io(path, "cannot open the store's lock file", error))?;
        match file.try_lock() {
            Ok(()) => Ok(StoreLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError {
                path: Some(path.to_owned()),
                ..StoreError::new(
                    StoreErrorKind::Locked,
                    "another sync is writing to this store (its lock file is held)",
                )
            }),
            Err(std::fs::TryLockError::Error(error)) => Err(StoreError::io(
                path,
                "cannot lock the store's lock file",
                error,
            )),
        }
    }
}
