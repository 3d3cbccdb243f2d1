//! How a run fails: bad usage (exit 2) or bad data (exit 1), and how main tells them apart.

use std::fmt;

/// A usage error: the arguments make no sense together. Exit code 2.
#[derive(Debug)]
pub(crate) struct Usage(String);

impl Usage {
    pub(crate) fn new(message: impl Into<String>) -> Usage {
        Usage(message.into())
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// How a failed run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The reader went away (`secmaster … | head`): not a failure.
    BrokenPipe,
    /// Exit code 2.
    Usage,
    /// Exit code 1.
    Data,
}

/// Classifies an error by the links of its chain. A store's refusal of the STORE argument
/// itself (no store there, a directory to make one in that holds files, a batch it does
/// not have) is a usage error too.
pub(crate) fn outcome(err: &anyhow::Error) -> Outcome {
    for cause in err.chain() {
        if cause.is::<Usage>() {
            return Outcome::Usage;
        }
        if let Some(
            secmaster_store::Error::NotAStore { .. }
            | secmaster_store::Error::NotEmpty { .. }
            | secmaster_store::Error::NoSuchBatch { .. },
        ) = cause.downcast_ref::<secmaster_store::Error>()
        {
            return Outcome::Usage;
        }
        if let Some(e) = cause.downcast_ref::<std::io::Error>()
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            return Outcome::BrokenPipe;
        }
    }
    Outcome::Data
}
