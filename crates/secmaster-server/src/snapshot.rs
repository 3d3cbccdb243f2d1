//! The server's state: the [`Snapshot`] of one committed batch it serves, and how it picks
//! up the next commit without ever showing a half-applied one.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use secmaster_core::{SecurityMaster, Value};
use secmaster_store::Store;

use crate::Config;
use crate::metrics::Metrics;

/// One committed batch: the store's manifest as of it, the master it makes, and the resolve
/// indexes built so far. Never changed once served; a new commit makes a new one.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) store: Store,
    pub(crate) master: Arc<SecurityMaster>,
    /// Per attribute column (index among the attributes), built on the first resolve.
    resolve: Mutex<HashMap<usize, Arc<Index>>>,
}

/// Of one attribute, every row's value: value → (security, start, end) of the rows that
/// carry it.
pub(crate) type Index = HashMap<Value, Vec<(i64, NaiveDate, Option<NaiveDate>)>>;

impl Snapshot {
    fn new(store: Store, master: Arc<SecurityMaster>) -> Snapshot {
        Snapshot {
            store,
            master,
            resolve: Mutex::new(HashMap::new()),
        }
    }

    /// The batch it is as of.
    pub(crate) fn batch(&self) -> u64 {
        self.store.last_batch()
    }

    /// The index of attribute `attribute` if it is built already.
    pub(crate) fn built_index(&self, attribute: usize) -> Option<Arc<Index>> {
        let built = self.resolve.lock().unwrap_or_else(|e| e.into_inner());
        built.get(&attribute).cloned()
    }

    /// The index of attribute `attribute` (its position among the attribute columns).
    pub(crate) fn index(&self, attribute: usize) -> Arc<Index> {
        let mut built = self.resolve.lock().unwrap_or_else(|e| e.into_inner());
        built
            .entry(attribute)
            .or_insert_with(|| Arc::new(index(&self.master, attribute)))
            .clone()
    }
}

fn index(master: &SecurityMaster, attribute: usize) -> Index {
    let mut index = Index::new();
    let mut cursor = master.cursor();
    while let Some(row) = cursor.next_row() {
        let value = row.attribute(attribute);
        if !value.is_null() {
            index.entry(value.clone()).or_default().push((
                row.security_id(),
                row.start(),
                row.end(),
            ));
        }
    }
    index
}

/// The server's shared state.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) root: PathBuf,
    current: RwLock<Arc<Snapshot>>,
    /// Serializes pick-ups (the watcher's and an ingest's).
    reload: Mutex<()>,
    /// The last master read as known at an earlier batch.
    past: Mutex<Option<(u64, Arc<SecurityMaster>)>>,
    pub(crate) metrics: Metrics,
    pub(crate) token: Option<Vec<u8>>,
    pub(crate) max_json_rows: usize,
}

impl App {
    pub(crate) fn load(config: &Config) -> crate::Result<App> {
        let (store, master) = read_whole(&config.store)?;
        let app = App {
            root: config.store.clone(),
            current: RwLock::new(Arc::new(Snapshot::new(store, Arc::new(master)))),
            reload: Mutex::new(()),
            past: Mutex::new(None),
            metrics: Metrics::default(),
            token: config.token.clone(),
            max_json_rows: config.max_json_rows,
        };
        app.metrics.set_batch(app.current().batch());
        Ok(app)
    }

    /// The snapshot to answer a request from.
    pub(crate) fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Picks up the store's committed state if it moved: the batches since merged into a
    /// copy of the master (rule 6: merging them in order is building from all), or, if the
    /// log is not the one served plus later batches, the whole master read again. Returns
    /// whether the snapshot changed.
    pub(crate) fn refresh(&self) -> secmaster_store::Result<bool> {
        let _one = self.reload.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        let current = self.current();
        let store = Store::open(&self.root)?;
        let served = current.store.batches();
        let extends = store.batches().len() >= served.len()
            && served
                .iter()
                .zip(store.batches())
                .all(|(a, b)| a.number() == b.number() && a.checksum() == b.checksum());
        let snapshot = if extends && store.last_batch() == current.batch() {
            if store.files().eq(current.store.files()) {
                return Ok(false);
            }
            // Compacted: the same master, read from other files from now on.
            Snapshot::new(store, current.master.clone())
        } else if extends {
            let mut master = (*current.master).clone();
            for b in &store.batches()[served.len()..] {
                master
                    .merge(store.batch_facts(b.number())?)
                    .map_err(|source| secmaster_store::Error::Inconsistent {
                        path: self.root.join(b.path()),
                        source,
                    })?;
            }
            Snapshot::new(store, Arc::new(master))
        } else {
            let (store, master) = read_whole(&self.root)?;
            Snapshot::new(store, Arc::new(master))
        };
        let batch = snapshot.batch();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snapshot);
        self.metrics.set_batch(batch);
        self.metrics.reloaded(started.elapsed());
        Ok(true)
    }

    /// Watches the manifest every `poll` until `stop`, picking up each commit.
    pub(crate) fn watch(&self, poll: Duration, stop: &AtomicBool) {
        let manifest = self.root.join("manifest.json");
        let stamp = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.ino(), m.mtime(), m.mtime_nsec(), m.len()))
        };
        let mut seen = stamp(&manifest);
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(poll);
            let now = stamp(&manifest);
            if now != seen {
                match self.refresh() {
                    Ok(_) => seen = now,
                    // Keep serving the last good snapshot; try again next time.
                    Err(_) => self.metrics.reload_failed(),
                }
            }
        }
    }

    /// The master as known after batch `batch` (not the served one's), read from the log:
    /// the last one read is kept.
    pub(crate) fn master_after(&self, batch: u64) -> secmaster_store::Result<Arc<SecurityMaster>> {
        let mut past = self.past.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((b, master)) = &*past
            && *b == batch
        {
            return Ok(master.clone());
        }
        let master = Arc::new(Store::read(&self.root, |s| s.master_after(batch))?);
        *past = Some((batch, master.clone()));
        Ok(master)
    }
}

/// The store's committed state and its master, read together.
fn read_whole(root: &Path) -> secmaster_store::Result<(Store, SecurityMaster)> {
    Store::read(root, |s| Ok((s.clone(), s.master()?)))
}
