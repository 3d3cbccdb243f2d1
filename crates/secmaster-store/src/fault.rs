//! The fault hooks of the crash-safety tests: with the `fault-injection` feature, an ingest
//! aborts the process right after a step named by an environment variable, fails a step
//! with an injected error, or pauses at a step until the test lets it go on. Without the
//! feature (the default, and every release build) the hooks are not compiled at all: no
//! environment can make the store abort, fail or wait.

#[cfg(feature = "fault-injection")]
pub use hook::{CRASH_AFTER, FAIL, PAUSE_AT, PAUSE_FILE};
#[cfg(feature = "fault-injection")]
pub(crate) use hook::{crash_point, fail_point, pause_point};

#[cfg(feature = "fault-injection")]
mod hook {
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    /// The environment variable of the crash-safety tests: set to `log`, `files` or
    /// `manifest`, an ingest aborts the process right after that step. Only with the
    /// `fault-injection` feature.
    pub const CRASH_AFTER: &str = "SECMASTER_STORE_CRASH_AFTER";

    /// Set to `sync` (the sync of the store's folder after the manifest's rename) or
    /// `remove` (the removal of a file a commit superseded), that step fails with an
    /// injected error. Only with the `fault-injection` feature.
    pub const FAIL: &str = "SECMASTER_STORE_FAIL";

    /// Set to `start` (a writer's ingest or compaction, before it claims its generation)
    /// or `commit` (right before the manifest is committed), a writer pauses there: it
    /// creates the file [`PAUSE_FILE`] names with `.paused` appended, and waits until that
    /// file itself exists (at most a minute). Only with the `fault-injection` feature.
    pub const PAUSE_AT: &str = "SECMASTER_STORE_PAUSE_AT";

    /// The file a writer paused by [`PAUSE_AT`] waits for.
    pub const PAUSE_FILE: &str = "SECMASTER_STORE_PAUSE_FILE";

    /// Aborts the process if [`CRASH_AFTER`] names `step`.
    pub(crate) fn crash_point(step: &str) {
        if std::env::var(CRASH_AFTER).is_ok_and(|v| v == step) {
            std::process::abort();
        }
    }

    /// Fails if [`FAIL`] names `step`.
    pub(crate) fn fail_point(step: &str) -> std::io::Result<()> {
        if std::env::var(FAIL).is_ok_and(|v| v == step) {
            return Err(std::io::Error::other(format!(
                "injected failure at `{step}`"
            )));
        }
        Ok(())
    }

    /// Pauses if [`PAUSE_AT`] names `step`, as it says.
    pub(crate) fn pause_point(step: &str) {
        if !std::env::var(PAUSE_AT).is_ok_and(|v| v == step) {
            return;
        }
        let Some(go) = std::env::var_os(PAUSE_FILE).map(PathBuf::from) else {
            return;
        };
        let mut paused = go.clone().into_os_string();
        paused.push(".paused");
        // The test waits for this file; if it cannot be made, the test times out and says.
        let _ = std::fs::write(paused, b"");
        let end = Instant::now() + Duration::from_secs(60);
        while !go.exists() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Nothing: the crash hook is built only with the `fault-injection` feature.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn crash_point(_step: &str) {}

/// Nothing fails: the hook is built only with the `fault-injection` feature.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn fail_point(_step: &str) -> std::io::Result<()> {
    Ok(())
}

/// Nothing pauses: the hook is built only with the `fault-injection` feature.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn pause_point(_step: &str) {}
