//! The one error type of secmaster-store: what is wrong with a store, which file, and why.

use std::path::PathBuf;

/// Why a store could not be created, read or written. Every variant names the store or the
/// file at fault. Messages are lowercase; an underlying cause (io's error reading a batch's
/// file, the core's refusal of a batch) is the [`source`](std::error::Error::source), not
/// repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder of the store could not be read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file or folder of the store could not be written (or synced, or removed).
    #[error("cannot write `{}`", .path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading a batch's fact file, or writing or decoding a file of the store, failed in
    /// secmaster-io; its error names the file (and, for a record, its line).
    #[error(transparent)]
    Io(#[from] secmaster_io::Error),
    /// [`Store::init`](crate::Store::init) was given a directory that holds files.
    #[error(
        "store `{}`: exists and is not empty; a store is created in a new or empty directory",
        .path.display()
    )]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// The directory holds no manifest.
    #[error(
        "store `{}`: not a secmaster store (no {manifest}); create one with `secmaster init`",
        .path.display(),
        manifest = crate::manifest::MANIFEST
    )]
    NotAStore {
        /// The directory.
        path: PathBuf,
    },
    /// The manifest is not JSON, or not a manifest.
    #[error("store `{}`: unreadable manifest", .path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The manifest lists a path that is not a file in the store's folders (`../x`, an
    /// absolute path): refused rather than followed.
    #[error(
        "store `{}`: the manifest lists `{entry}`, which is not a file of the store's log/, \
         state/ or table/ folders",
        .path.display()
    )]
    OutsidePath {
        /// The store's directory.
        path: PathBuf,
        /// The path as the manifest lists it.
        entry: String,
    },
    /// The manifest is of another format or version than this crate reads.
    #[error(
        "store `{}`: format `{format}` version {version}, expected `{expected_format}` version \
         {expected_version}",
        .path.display()
    )]
    Version {
        /// The manifest.
        path: PathBuf,
        /// The format it names.
        format: String,
        /// Its version.
        version: u32,
        /// The format this crate reads.
        expected_format: &'static str,
        /// The version this crate reads and writes.
        expected_version: u32,
    },
    /// A batch was asked for that the store does not have.
    #[error("store `{}`: no batch {batch}: the store's last batch is {last}", .path.display())]
    NoSuchBatch {
        /// The store's directory.
        path: PathBuf,
        /// The batch asked for.
        batch: u64,
        /// The last batch committed (0: none).
        last: u64,
    },
    /// The store's files, each as its manifest describes it, do not make a valid master
    /// or table: the core refused what they hold.
    #[error("store `{}`: inconsistent store", .path.display())]
    Inconsistent {
        /// The file at fault (or the kind of file: `state`, `table`).
        path: PathBuf,
        /// The core's reason.
        #[source]
        source: secmaster_core::Error,
    },
    /// A file of block digests does not fit the file it describes.
    #[error("store `{}`: does not hold the block digests of `{of}`", .path.display())]
    Digests {
        /// The digests' file.
        path: PathBuf,
        /// The file they should describe, relative to the store's root.
        of: String,
    },
    /// A table file holds a row without a security id or start date.
    #[error("store `{}`: a row without a security id or start", .path.display())]
    TableRow {
        /// The table file.
        path: PathBuf,
    },
    /// A file of the store is not the file its manifest describes.
    #[error("`{}` is corrupt: checksum {found}, expected {expected}", .path.display())]
    Checksum {
        /// The file.
        path: PathBuf,
        /// What the manifest says: the checksum and length, or a block's digest.
        expected: String,
        /// What the file holds.
        found: String,
    },
    /// Another writer holds the store.
    #[error(
        "store `{}` is locked by another writer; try again later or pass --wait",
        .path.display()
    )]
    Locked {
        /// The store's directory.
        path: PathBuf,
    },
    /// Another writer still held the store when the time to wait for it was up.
    #[error(
        "store `{}` is still locked by another writer after waiting {waited:?}; try again later",
        .path.display()
    )]
    LockTimeout {
        /// The store's directory.
        path: PathBuf,
        /// How long it waited.
        waited: std::time::Duration,
    },
    /// Another writer committed since this writer read the store (so the lock file was
    /// removed, replaced or not honoured): this writer committed nothing.
    #[error(
        "store `{}`: another writer committed generation {generation} first (was writer.lock \
         removed?); this writer committed nothing",
        .path.display()
    )]
    Conflict {
        /// The store's directory.
        path: PathBuf,
        /// The generation the store is at now.
        generation: u64,
    },
    /// Another writer holds the claim on the generation this writer would commit (so the
    /// lock file was removed, replaced or not honoured): this writer committed nothing.
    #[error(
        "store `{}`: another writer is committing generation {generation} (was writer.lock \
         removed?); this writer committed nothing",
        .path.display()
    )]
    Claimed {
        /// The store's directory.
        path: PathBuf,
        /// The generation claimed.
        generation: u64,
    },
    /// A batch holds exactly the facts of the store's last batch, in the same order: most
    /// likely a retry of an ingest that was committed. Refused unless
    /// [`IngestOptions::with_allow_duplicate`](crate::IngestOptions::with_allow_duplicate).
    #[error(
        "batch refused, store `{}` unchanged: its facts are those of the last batch, {batch}, \
         committed at {committed_at}; pass --allow-duplicate to ingest them again",
        .path.display()
    )]
    Duplicate {
        /// The store's directory.
        path: PathBuf,
        /// The last batch.
        batch: u64,
        /// When it was committed.
        committed_at: String,
    },
    /// A batch was refused (rule 8, an empty attribute); the store is unchanged.
    #[error("batch refused, store `{}` unchanged", .path.display())]
    Rejected {
        /// The store's directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: secmaster_core::Error,
    },
}

/// Something that went wrong after a commit, which stands: the batch or compaction is
/// committed, and a caller should say what went wrong rather than fail (a retry would
/// ingest the batch again). Its text reads after "batch 3", or "compaction".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// Syncing the store's folder after the manifest's rename failed: the commit is
    /// visible to readers, but may not survive a power loss or a crash of the system.
    NotDurable {
        /// The folder.
        path: PathBuf,
        /// Why, as the system said.
        cause: String,
    },
    /// A file the commit superseded (or its claim) could not be removed; the next writer
    /// removes it.
    NotRemoved {
        /// The file.
        path: PathBuf,
        /// Why, as the system said.
        cause: String,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::NotDurable { path, cause } => write!(
                f,
                "committed, but syncing `{}` failed ({cause}): the commit may not survive a \
                 power loss",
                path.display()
            ),
            Warning::NotRemoved { path, cause } => write!(
                f,
                "committed, but `{}`, no longer needed, could not be removed ({cause}); the next \
                 writer removes it",
                path.display()
            ),
        }
    }
}

/// The result type of secmaster-store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages the command line prints, link by link.
    #[test]
    fn messages_name_the_store_or_file_and_leave_the_cause_to_the_source() {
        let e = Error::NoSuchBatch {
            path: "s".into(),
            batch: 5,
            last: 2,
        };
        assert_eq!(
            e.to_string(),
            "store `s`: no batch 5: the store's last batch is 2"
        );
        let e = Error::Locked { path: "s".into() };
        assert_eq!(
            e.to_string(),
            "store `s` is locked by another writer; try again later or pass --wait"
        );
        let e = Error::NotAStore { path: "s".into() };
        assert_eq!(
            e.to_string(),
            "store `s`: not a secmaster store (no manifest.json); create one with `secmaster init`"
        );
        let e = Error::Io(secmaster_io::Error::Write {
            path: "s/log/000001.parquet".into(),
            source: std::io::Error::other("disk full"),
        });
        assert_eq!(e.to_string(), "cannot write `s/log/000001.parquet`");
        assert_eq!(
            std::error::Error::source(&e).unwrap().to_string(),
            "disk full"
        );
    }
}
