//! `secmaster serve`: point-in-time lookups over HTTP, and a page to browse a security's
//! history, over a store.
//!
//! The server holds one snapshot at a time: the master of one committed batch
//! and what lookups need, swapped whole when a watcher sees the store's manifest change, so
//! every response is read from one committed batch, named in its `X-Secmaster-Batch` header
//! and its ETag. Reads as known at an earlier batch go to the store (`Store::master_after`
//! and `Store::lineage_after`). It decides no domain rule: tables come
//! from the core, files and Arrow from secmaster-io, the log and ingests from the store.
//!
//! # Map
//!
//! - [`Config`] and [`start`]: bind, load the store, serve on a small tokio runtime of its
//!   own; [`Running`] is the handle (its address, [`Running::wait`], [`Running::stop`]).
//! - `snapshot`: the in-memory state and how a new commit is picked up (the batches since
//!   merged into a copy of the master, or the whole master read again).
//! - `api`: the routes under `/api/v1`, `/healthz`, `/metrics`; `render`: a table as JSON,
//!   CSV, an Arrow IPC stream or Parquet; `metrics`: the Prometheus counters.
//! - `page`: the page at `/`, its script and style, embedded in the binary.
//!
//! # Example
//!
//! ```
//! use secmaster_core::sample;
//! use secmaster_server::{start, Config};
//! use secmaster_store::{IngestOptions, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let root = dir.path().join("master.store");
//! Store::init(&root, &Default::default())?;
//! Store::lock(&root)?.ingest_facts(sample::trail(), "trail", &IngestOptions::default())?;
//!
//! let server = start(Config::new(&root, "127.0.0.1:0".parse()?))?;
//! assert_eq!(server.batch(), 1);
//! assert!(server.addr().port() != 0);
//! server.stop()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod api;
mod metrics;
mod page;
mod render;
mod snapshot;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::snapshot::App;

/// What went wrong starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] secmaster_store::Error),
    /// The address could not be bound, or the runtime could not start.
    #[error("cannot serve on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The token file could not be read, or holds no token.
    #[error("token file `{path}`: {reason}")]
    Token {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The server stopped on an I/O error.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// The result of this crate's calls.
pub type Result<T> = std::result::Result<T, Error>;

/// How to serve a store.
#[derive(Debug, Clone)]
pub struct Config {
    store: PathBuf,
    addr: SocketAddr,
    token: Option<Vec<u8>>,
    poll: Duration,
    max_body: usize,
    max_json_rows: usize,
    workers: usize,
}

impl Config {
    /// Serve the store at `store` on `addr` (port 0: any free port), read-only, watching
    /// the manifest every 20 ms, on 2 worker threads; bodies up to 256 MiB; JSON results up
    /// to 100,000 rows.
    pub fn new(store: impl AsRef<Path>, addr: SocketAddr) -> Config {
        Config {
            store: store.as_ref().to_path_buf(),
            addr,
            token: None,
            poll: Duration::from_millis(20),
            max_body: 256 << 20,
            max_json_rows: 100_000,
            workers: 2,
        }
    }

    /// Allow `POST /api/v1/batches` to a request whose `Authorization: Bearer` is `token`.
    pub fn with_token(mut self, token: impl Into<Vec<u8>>) -> Config {
        self.token = Some(token.into());
        self
    }

    /// [`Config::with_token`] with the token in a file (its first line, trimmed).
    pub fn with_token_file(self, path: impl AsRef<Path>) -> Result<Config> {
        let path = path.as_ref();
        let error = |reason: String| Error::Token {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let token = text.lines().next().unwrap_or("").trim();
        if token.len() < 16 {
            return Err(error(
                "its first line must hold a token of at least 16 characters".to_string(),
            ));
        }
        Ok(self.with_token(token.as_bytes()))
    }

    /// How often the manifest is checked for a new commit.
    pub fn with_poll(mut self, poll: Duration) -> Config {
        self.poll = poll;
        self
    }

    /// The largest request body (an ingested batch) accepted.
    pub fn with_max_body(mut self, bytes: usize) -> Config {
        self.max_body = bytes;
        self
    }

    /// The most rows a JSON response holds (CSV and Arrow stream without a limit).
    pub fn with_max_json_rows(mut self, rows: usize) -> Config {
        self.max_json_rows = rows;
        self
    }

    /// The runtime's worker threads.
    pub fn with_workers(mut self, workers: usize) -> Config {
        self.workers = workers.max(1);
        self
    }
}

/// A server that is running: [`start`]ed, until [`Running::stop`] or the process ends.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Arc<AtomicBool>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    watcher: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The batch it serves now.
    pub fn batch(&self) -> u64 {
        self.app.current().batch()
    }

    /// Blocks until the server stops (on an I/O error; it does not stop by itself).
    pub fn wait(mut self) -> Result<()> {
        let done = self.thread.take().map_or(Ok(()), |t| {
            t.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the server panicked")))
        });
        self.stop_watcher();
        Ok(done?)
    }

    /// Stops serving: new connections are refused, open ones finish their request.
    pub fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait()
    }

    fn stop_watcher(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.stop_watcher();
    }
}

/// Loads the store, binds `config`'s address and serves on a runtime of its own threads;
/// returns once it listens.
pub fn start(config: Config) -> Result<Running> {
    let app = Arc::new(App::load(&config)?);
    let bind = |source| Error::Bind {
        addr: config.addr,
        source,
    };
    let listener = std::net::TcpListener::bind(config.addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers)
        .max_blocking_threads(config.workers * 2)
        .thread_name("secmaster-serve")
        .enable_all()
        .build()
        .map_err(bind)?;
    let router = api::router(app.clone(), &config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("secmaster-serve".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await
            })
        })?;
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (app, stop, poll) = (app.clone(), stop.clone(), config.poll);
        std::thread::Builder::new()
            .name("secmaster-watch".to_string())
            .spawn(move || app.watch(poll, &stop))?
    };
    Ok(Running {
        addr,
        app,
        stop,
        shutdown: Some(tx),
        thread: Some(thread),
        watcher: Some(watcher),
    })
}
