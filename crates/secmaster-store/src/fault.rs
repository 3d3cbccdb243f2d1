//! The crash hook of the crash-safety tests: an ingest aborts the process right after a
//! step named by an environment variable, and the tests reopen the store.

/// The environment variable of the crash-safety tests: set to `log`, `files` or
/// `manifest`, an ingest aborts the process right after that step.
pub const CRASH_AFTER: &str = "SECMASTER_STORE_CRASH_AFTER";

/// Aborts the process if [`CRASH_AFTER`] names `step`.
pub(crate) fn crash_point(step: &str) {
    if std::env::var(CRASH_AFTER).is_ok_and(|v| v == step) {
        std::process::abort();
    }
}
