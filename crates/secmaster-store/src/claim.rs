//! A commit's claim on its generation: the compare-and-swap that lets only one writer
//! commit each generation, whatever became of `writer.lock`.
//!
//! A writer that starts from generation `g` claims `g + 1` before it writes anything: it
//! creates `commit-NNNNNN.lock` (named by `g + 1`) if it is not there, and takes an
//! exclusive `flock` on it. A claim another writer holds is refused; one left by a writer
//! that died (its lock went with it) is taken over. Holding the claim, the writer checks
//! that the manifest is still generation `g` — once when it starts and once right before
//! the manifest's rename — and gives the claim up (removes the file, then unlocks) after
//! its commit or failure.
//!
//! So two writers cannot both commit generation `g + 1`: the second either finds the claim
//! held, or takes it after the first gave it up and then finds the manifest at `g + 1`,
//! not `g` — the manifest only moves forward, one claimed generation at a time. This holds
//! with `writer.lock` removed, replaced or ignored; it does not hold if the claim file
//! itself is removed while held, or on a file system whose `flock` does not exclude
//! other processes (some network file systems).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::manifest::write_error;
use crate::{Error, Result};

/// The file name of the claim on `generation`.
pub(crate) fn name(generation: u64) -> String {
    format!("commit-{generation:06}.lock")
}

/// The generation a claim's file name names, if `name` is one.
pub(crate) fn generation_of(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("commit-")?.strip_suffix(".lock")?;
    crate::manifest::number(digits)
}

/// A held claim on one generation of a store; given up when dropped.
#[derive(Debug)]
pub(crate) struct Claim {
    _file: File,
    /// The claim's file, while it is still to be removed.
    path: Option<PathBuf>,
    generation: u64,
}

impl Claim {
    /// Claims generation `generation` of the store at `root`, or fails with
    /// [`Error::Claimed`] if another writer holds the claim.
    pub(crate) fn take(root: &Path, generation: u64) -> Result<Claim> {
        let path = root.join(name(generation));
        let claimed = || Error::Claimed {
            path: root.to_path_buf(),
            generation,
        };
        // A claim's file vanishes when its writer gives it up: then try again to make it.
        for _ in 0..3 {
            let file = match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    match OpenOptions::new().write(true).open(&path) {
                        Ok(file) => file,
                        Err(e) if e.kind() == ErrorKind::NotFound => continue,
                        Err(e) => return Err(write_error(&path)(e)),
                    }
                }
                Err(e) => return Err(write_error(&path)(e)),
            };
            return match file.try_lock() {
                // A new file, or one a dead writer left: either way, this writer's now.
                Ok(()) => Ok(Claim {
                    _file: file,
                    path: Some(path),
                    generation,
                }),
                Err(TryLockError::WouldBlock) => Err(claimed()),
                Err(TryLockError::Error(e)) => Err(write_error(&path)(e)),
            };
        }
        Err(claimed())
    }

    /// The generation claimed.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Gives the claim up: removes its file while still holding it (so no writer takes
    /// over a claim about to vanish), then unlocks it.
    pub(crate) fn release(mut self) -> std::io::Result<()> {
        match self.path.take() {
            Some(path) => std::fs::remove_file(path),
            None => Ok(()),
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // A failed ingest's claim; if it cannot be removed, the next writer takes it over.
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_generation_and_a_dead_writers_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let held = Claim::take(root, 7).unwrap();
        assert_eq!(held.generation(), 7);
        assert!(root.join("commit-000007.lock").is_file());
        let err = Claim::take(root, 7).unwrap_err();
        assert!(matches!(err, Error::Claimed { generation: 7, .. }), "{err}");
        let other = Claim::take(root, 8).unwrap();
        held.release().unwrap();
        assert!(!root.join("commit-000007.lock").exists());
        drop(other);
        assert!(!root.join("commit-000008.lock").exists());
        // A claim's file without a holder (its writer died) is taken over.
        std::fs::write(root.join("commit-000009.lock"), b"").unwrap();
        let taken = Claim::take(root, 9).unwrap();
        assert!(Claim::take(root, 9).is_err());
        drop(taken);
        assert_eq!(generation_of("commit-000009.lock"), Some(9));
        assert_eq!(generation_of("commit-9.lock"), None);
        assert_eq!(generation_of("writer.lock"), None);
    }
}
