//! The crash hook of the crash-safety tests: with the `fault-injection` feature, an ingest
//! aborts the process right after a step named by an environment variable, and the tests
//! reopen the store. Without the feature (the default, and every release build) the hook
//! is not compiled at all: no environment can make the store abort.

#[cfg(feature = "fault-injection")]
pub use hook::CRASH_AFTER;
#[cfg(feature = "fault-injection")]
pub(crate) use hook::crash_point;

#[cfg(feature = "fault-injection")]
mod hook {
    /// The environment variable of the crash-safety tests: set to `log`, `files` or
    /// `manifest`, an ingest aborts the process right after that step. Only with the
    /// `fault-injection` feature.
    pub const CRASH_AFTER: &str = "SECMASTER_STORE_CRASH_AFTER";

    /// Aborts the process if [`CRASH_AFTER`] names `step`.
    pub(crate) fn crash_point(step: &str) {
        if std::env::var(CRASH_AFTER).is_ok_and(|v| v == step) {
            std::process::abort();
        }
    }
}

/// Nothing: the crash hook is built only with the `fault-injection` feature.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn crash_point(_step: &str) {}
