//! The one writer: [`Writer`], which holds the store's lock (an exclusive `flock` on
//! `writer.lock`) for as long as it lives.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::claim::Claim;
use crate::manifest::write_error;
use crate::{Error, Result, Store, fault};

/// The lock file's name in a store.
const LOCK: &str = "writer.lock";

/// The one writer of a store: it holds the store's lock, released when it is dropped or
/// when the process dies (so a crashed writer never leaves the store locked), and ingests
/// batches ([`Writer::ingest`]) and compacts ([`Writer::compact`]). Readers
/// ([`Store::open`]) take no lock and go on reading while it writes.
#[derive(Debug)]
pub struct Writer {
    _lock: File,
    pub(crate) store: Store,
}

impl Store {
    /// Takes the writer's lock of the store at `root`, or fails with [`Error::Locked`] if
    /// another writer holds it.
    pub fn lock(root: impl AsRef<Path>) -> Result<Writer> {
        Writer::acquire(root.as_ref(), Wait::No)
    }

    /// Takes the writer's lock of the store at `root`, waiting for another writer to
    /// finish first.
    pub fn lock_waiting(root: impl AsRef<Path>) -> Result<Writer> {
        Writer::acquire(root.as_ref(), Wait::Forever)
    }

    /// Takes the writer's lock of the store at `root`, waiting at most `timeout` for
    /// another writer to finish first, or fails with [`Error::LockTimeout`].
    pub fn lock_timeout(root: impl AsRef<Path>, timeout: Duration) -> Result<Writer> {
        Writer::acquire(root.as_ref(), Wait::For(timeout))
    }
}

/// How long [`Writer::acquire`] waits for another writer.
#[derive(Debug, Clone, Copy)]
enum Wait {
    No,
    Forever,
    For(Duration),
}

impl Writer {
    fn acquire(root: &Path, wait: Wait) -> Result<Writer> {
        if !Store::is_store(root) {
            Store::open(root)?; // the "not a store" error
        }
        let path = root.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(write_error(&path))?;
        let start = Instant::now();
        loop {
            match (file.try_lock(), wait) {
                (Ok(()), _) => break,
                (Err(TryLockError::Error(e)), _) => return Err(write_error(&path)(e)),
                (Err(TryLockError::WouldBlock), Wait::No) => {
                    return Err(Error::Locked {
                        path: root.to_path_buf(),
                    });
                }
                (Err(TryLockError::WouldBlock), Wait::Forever) => {
                    file.lock().map_err(write_error(&path))?;
                    break;
                }
                // flock has no timeout: try again every few milliseconds until it is up.
                (Err(TryLockError::WouldBlock), Wait::For(timeout)) => {
                    let left = timeout.saturating_sub(start.elapsed());
                    if left.is_zero() {
                        return Err(Error::LockTimeout {
                            path: root.to_path_buf(),
                            waited: timeout,
                        });
                    }
                    std::thread::sleep(left.min(Duration::from_millis(20)));
                }
            }
        }
        // Opened under the lock: no other writer commits while this one lives.
        let store = Store::open(root)?;
        Ok(Writer { _lock: file, store })
    }

    /// Starts a commit: claims the next generation, checks that the store is still as this
    /// writer read it (else [`Error::Conflict`]: another writer committed meanwhile), and
    /// removes the leftovers of writers that died. The claim is given up by the commit, or
    /// when dropped.
    pub(crate) fn begin(&self) -> Result<Claim> {
        fault::pause_point("start");
        let root = &self.store.root;
        let claim = Claim::take(root, self.store.manifest.generation + 1)?;
        self.store.manifest.check_current(root)?;
        self.store
            .manifest
            .remove_leftovers(root, claim.generation())?;
        Ok(claim)
    }

    /// The store as this writer last committed it (or found it).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Creates the lock file of a new store at `root`.
pub(crate) fn create(root: &Path) -> Result<()> {
    let path = root.join(LOCK);
    std::fs::write(&path, b"").map_err(write_error(&path))
}
