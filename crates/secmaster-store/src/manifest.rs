//! The manifest: what a committed state is made of, the store's one commit point.
//!
//! `manifest.json` lists the batches (number, commit time, sources, fact count, log file),
//! the state file and the batch it holds facts through, and the table files in generation
//! order, each with its XXH3-64 checksum and length, and the table's schema. A commit
//! writes it to a temporary file, syncs it and renames it over the old one, so a crash at
//! any instant leaves the last committed state; files it does not list are leftovers,
//! removed by the next writer. A commit holds the claim on its generation (`claim.rs`) and
//! checks that the manifest is still the one it started from, so that no two writers
//! commit over the same manifest.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use secmaster_io::{TableSchema, atomic};
use serde::{Deserialize, Serialize};

use crate::checksum::Checksum;
use crate::claim::{self, Claim};
use crate::{Error, Result, Warning, fault};

/// The manifest's file name in a store.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The format a manifest names.
pub(crate) const FORMAT: &str = "secmaster-store";
/// The manifest version this crate reads and writes (it reads version 1 too, see
/// [`upgrade`]).
pub(crate) const VERSION: u32 = 2;
/// The folders of a store's files.
pub(crate) const FOLDERS: [&str; 3] = ["log", "state", "table"];

/// One committed batch of a store: its number, when it was committed, what it was read
/// from, and its log segment (the batch's facts as they arrived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub(crate) number: u64,
    pub(crate) committed_at: DateTime<Utc>,
    pub(crate) sources: Vec<String>,
    pub(crate) facts: u64,
    pub(crate) log: FileEntry,
    /// The XXH3-64 of the batch's facts in order ([`crate::checksum::digest`]), so that an
    /// ingest of the same facts again is told from a new batch (absent in stores written
    /// before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) digest: Option<String>,
}

impl Batch {
    /// The batch number: 1 for the first, one more for each next.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// When the batch was committed (UTC, to the millisecond).
    pub fn committed_at(&self) -> DateTime<Utc> {
        self.committed_at
    }

    /// How many facts it held.
    pub fn facts(&self) -> u64 {
        self.facts
    }

    /// The files the batch was read from, as given (or the name given to facts in hand).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Its log segment's path relative to the store's root, with `/` separators.
    pub fn path(&self) -> &str {
        &self.log.path
    }

    /// Its log segment's checksum and length.
    pub fn checksum(&self) -> &Checksum {
        &self.log.checksum
    }

    /// The XXH3-64 of its facts, in order (as 16 hex digits), if the store recorded it:
    /// the same for the same facts however they were read, unlike the log segment's
    /// checksum, which covers the batch number too.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }
}

/// A file of the store: its path under the store's root, rows and checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileEntry {
    /// The path relative to the store's root, with `/` separators.
    pub(crate) path: String,
    /// The rows it holds.
    pub(crate) rows: u64,
    /// Its checksum and length.
    #[serde(flatten)]
    pub(crate) checksum: Checksum,
    /// The digests of its blocks, for a file read in small parts (the state file): an
    /// ingest checks just the blocks it reads. Absent, readers check the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) blocks: Option<BlocksEntry>,
}

/// The file of a [`FileEntry`]'s block digests: the XXH3-64 of each consecutive block of
/// `block_bytes` bytes of the file, as little-endian `u64`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BlocksEntry {
    /// The path relative to the store's root, with `/` separators.
    pub(crate) path: String,
    /// The size of a block (the file's last block may be shorter).
    pub(crate) block_bytes: u64,
    /// The digest file's own checksum and length.
    #[serde(flatten)]
    pub(crate) checksum: Checksum,
}

/// The committed state of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) format: String,
    pub(crate) version: u32,
    /// Bumped by every commit; names the state and table files it writes.
    pub(crate) generation: u64,
    /// The table's schema, as [`TableSchema::to_json`] writes it.
    pub(crate) schema: serde_json::Value,
    pub(crate) batches: Vec<Batch>,
    /// The facts in force as of batch `state_through`, every security's (none before the
    /// first compaction). Later batches' facts are in their log segments.
    pub(crate) state: Option<FileEntry>,
    /// The last batch the state file holds (0: none).
    pub(crate) state_through: u64,
    /// Table files, oldest generation first; a security's rows are in the newest that
    /// holds it.
    pub(crate) table: Vec<FileEntry>,
}

impl Manifest {
    /// The manifest of a new store whose table has `schema`.
    pub(crate) fn empty(schema: &TableSchema) -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            version: VERSION,
            generation: 0,
            schema: schema_json(schema),
            batches: Vec::new(),
            state: None,
            state_through: 0,
            table: Vec::new(),
        }
    }

    /// Reads the manifest of the store at `root`, upgrading an older version.
    pub(crate) fn read(root: &Path) -> Result<Manifest> {
        let path = root.join(MANIFEST);
        if !path.is_file() {
            return Err(Error::NotAStore {
                path: root.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let unreadable = |source| Error::Manifest {
            path: path.clone(),
            source,
        };
        let mut value: serde_json::Value = serde_json::from_str(&text).map_err(unreadable)?;
        upgrade(&mut value);
        let manifest: Manifest = serde_json::from_value(value).map_err(unreadable)?;
        if manifest.format != FORMAT || manifest.version != VERSION {
            return Err(Error::Version {
                path,
                format: manifest.format,
                version: manifest.version,
                expected_format: FORMAT,
                expected_version: VERSION,
            });
        }
        // Every path it lists is read (and, superseded, removed): none may lead elsewhere.
        if let Some(bad) = manifest.paths().find(|p| !is_store_path(p)) {
            return Err(Error::OutsidePath {
                path: root.to_path_buf(),
                entry: bad.clone(),
            });
        }
        Ok(manifest)
    }

    /// The table's schema, as the manifest holds it.
    pub(crate) fn table_schema(&self, root: &Path) -> Result<TableSchema> {
        Ok(TableSchema::from_json(
            &self.schema.to_string(),
            &root.join(MANIFEST),
        )?)
    }

    /// The number of the last committed batch (0: none).
    pub(crate) fn last_batch(&self) -> u64 {
        self.batches.last().map_or(0, |b| b.number)
    }

    /// The batches after the state file's, whose facts are only in their log segments.
    pub(crate) fn batches_since_state(&self) -> &[Batch] {
        let first = self
            .batches
            .partition_point(|b| b.number <= self.state_through);
        &self.batches[first..]
    }

    /// Whether the store holds no fact yet (no state file, no batch with facts).
    pub(crate) fn holds_no_facts(&self) -> bool {
        self.state.is_none() && self.batches.iter().all(|b| b.facts == 0)
    }

    /// Every file the manifest lists (log segments, the state file and its block digests,
    /// table files), relative to the root.
    fn paths(&self) -> impl Iterator<Item = &String> {
        self.state
            .iter()
            .chain(&self.table)
            .chain(self.batches.iter().map(|b| &b.log))
            .flat_map(|e| std::iter::once(&e.path).chain(e.blocks.as_ref().map(|b| &b.path)))
    }

    /// Writes the manifest over the store's, atomically (a synced temporary file renamed
    /// into place); the rename is not synced.
    fn replace(&self, root: &Path) -> Result<()> {
        let path = root.join(MANIFEST);
        let text = serde_json::to_string_pretty(self).expect("a manifest is JSON");
        atomic::write_file(&path, |w| {
            use std::io::Write;
            w.write_all(text.as_bytes()).map_err(io_write_error(&path))
        })?;
        Ok(())
    }

    /// Writes the manifest of a new store, unless the store has one, and syncs the folder:
    /// written whole beside it and linked into place, which fails if the manifest exists
    /// (another `init` got there first: [`Error::NotEmpty`]).
    pub(crate) fn write_new(&self, root: &Path) -> Result<()> {
        static STAGED: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let staged = root.join(format!(
            ".secmaster-init-{nanos}-{}.tmp",
            STAGED.fetch_add(1, Ordering::Relaxed)
        ));
        let text = serde_json::to_string_pretty(self).expect("a manifest is JSON");
        atomic::write_file(&staged, |w| {
            use std::io::Write;
            w.write_all(text.as_bytes())
                .map_err(io_write_error(&staged))
        })?;
        let path = root.join(MANIFEST);
        let linked = std::fs::hard_link(&staged, &path);
        let _ = std::fs::remove_file(&staged);
        match linked {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::NotEmpty {
                path: root.to_path_buf(),
            }),
            linked => linked.map_err(write_error(&path)),
        }?;
        sync_dir(root)
    }

    /// Fails with [`Error::Conflict`] unless the store's committed manifest is `self`:
    /// another writer committed since this one read it.
    pub(crate) fn check_current(&self, root: &Path) -> Result<()> {
        let current = Manifest::read(root)?;
        if current != *self {
            return Err(Error::Conflict {
                path: root.to_path_buf(),
                generation: current.generation,
            });
        }
        Ok(())
    }

    /// Commits the manifest, generation `claim`'s, over `base`, the one its writer started
    /// from: checks, holding the claim, that `base` is still the committed manifest (no
    /// writer can commit meanwhile: the next generation is claimed), and renames the
    /// manifest into place: the commit. Then syncs the folder (the crash hook's last step),
    /// removes the files `base` listed that this one does not, and gives the claim up; a
    /// failure of those is a [`Warning`], not an error: the commit stands.
    pub(crate) fn commit(
        &self,
        root: &Path,
        base: &Manifest,
        claim: Claim,
    ) -> Result<Vec<Warning>> {
        debug_assert_eq!(claim.generation(), self.generation);
        base.check_current(root)?;
        self.replace(root)?;
        let mut warnings = Vec::new();
        let synced = fault::fail_point("sync").and_then(|()| File::open(root)?.sync_all());
        if let Err(e) = synced {
            warnings.push(Warning::NotDurable {
                path: root.to_path_buf(),
                cause: e.to_string(),
            });
        }
        fault::crash_point("manifest");
        let keep: HashSet<&String> = self.paths().collect();
        for path in base.paths().filter(|p| !keep.contains(p)) {
            let path = root.join(path);
            let removed = fault::fail_point("remove").and_then(|()| std::fs::remove_file(&path));
            if let Err(e) = removed {
                warnings.push(Warning::NotRemoved {
                    path,
                    cause: e.to_string(),
                });
            }
        }
        if let Err(e) = claim.release() {
            warnings.push(Warning::NotRemoved {
                path: root.join(claim::name(self.generation)),
                cause: e.to_string(),
            });
        }
        Ok(warnings)
    }

    /// Removes what no committed state refers to: files of an ingest that crashed before
    /// its commit, files a compaction replaced, temporary files, claims other than
    /// `claimed`'s. Only a writer calls this, holding the claim on the next generation.
    pub(crate) fn remove_leftovers(&self, root: &Path, claimed: u64) -> Result<()> {
        let keep: HashSet<PathBuf> = self.paths().map(|path| root.join(path)).collect();
        let read_error = |dir: &Path| {
            let dir = dir.to_path_buf();
            move |source| Error::Read { path: dir, source }
        };
        for dir in FOLDERS {
            let dir = root.join(dir);
            for entry in std::fs::read_dir(&dir).map_err(read_error(&dir))?.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                let ours = is_data_name(&name.to_string_lossy()) || is_temporary(&name);
                if ours && path.is_file() && !keep.contains(&path) {
                    std::fs::remove_file(&path).map_err(write_error(&path))?;
                }
            }
        }
        // A manifest's temporary file, from a crash while it was written; claims of
        // writers that died, or that found the store changed.
        for entry in std::fs::read_dir(root).map_err(read_error(root))?.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let claim = claim::generation_of(&name).is_some_and(|g| g != claimed);
            if claim || is_temporary(&entry.file_name()) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(write_error(&path))?;
            }
        }
        Ok(())
    }
}

/// Whether `name` is a name the store gives its data files: `NNNNNN.parquet` (log
/// segments, state and table files) or `NNNNNN.blocks` (block digests). A writer removes
/// only files so named (and its temporary files), never what someone else put in its
/// folders.
fn is_data_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".parquet")
        .or_else(|| name.strip_suffix(".blocks"));
    stem.and_then(number).is_some()
}

/// Whether `name` is a temporary file of the store's (`.secmaster-*.tmp`).
fn is_temporary(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with(".secmaster-") && name.ends_with(".tmp")
}

/// Whether `path`, as the manifest lists it, names a file in one of the store's folders:
/// `FOLDER/NAME`, nothing else (no `..`, no absolute path, no deeper folder).
fn is_store_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let (Some(folder), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    FOLDERS.contains(&folder) && !matches!(name, "" | "." | "..") && !name.contains('\\')
}

/// The number of a store's file name (`000042`): six or more ASCII digits.
pub(crate) fn number(digits: &str) -> Option<u64> {
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads a version 1 manifest as version 2. Version 1 kept state files of only the
/// securities each commit touched (newest wins per security); version 2 keeps at most one,
/// of every security, and reads later batches from their log segments. Its log segments and
/// table files mean the same in both, so a version 1 store reads as one whose state file
/// holds nothing yet: every fact comes from the log, and the next writer's compaction writes
/// the state file (and removes the old ones as leftovers).
fn upgrade(manifest: &mut serde_json::Value) {
    if manifest["format"] == FORMAT && manifest["version"] == 1 {
        manifest["version"] = VERSION.into();
        manifest["state"] = serde_json::Value::Null;
        manifest["state_through"] = 0.into();
    }
}

/// A schema as the manifest holds it: a JSON value, not a string.
pub(crate) fn schema_json(schema: &TableSchema) -> serde_json::Value {
    serde_json::from_str(&schema.to_json()).expect("a schema is JSON")
}

/// The error of a failed write, remove or sync of `path`.
pub(crate) fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// [`write_error`] as io's error, for the writers [`atomic::write_file`] runs.
pub(crate) fn io_write_error(path: &Path) -> impl Fn(std::io::Error) -> secmaster_io::Error + '_ {
    move |source| secmaster_io::Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Syncs a directory, so that the renames in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(write_error(dir))
}
