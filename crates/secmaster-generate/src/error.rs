//! [`Error`]: why a trail cannot be generated.

/// Why a trail cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A trail needs at least one security.
    #[error("a generated trail needs at least one security")]
    NoSecurities,
    /// More securities were asked for than a trail is made for (its working memory is about
    /// 50 bytes a security, so [`crate::MAX_SECURITIES`] is about 5 GB).
    #[error("{requested} securities are more than the {max} a generated trail can hold")]
    TooManySecurities {
        /// The number of securities asked for.
        requested: usize,
        /// The most a trail holds.
        max: usize,
    },
    /// Fewer facts were asked for than the first buckets of the securities hold.
    #[error(
        "{requested} facts are fewer than the {initial} facts of the securities' first buckets; \
         ask for more facts or fewer securities"
    )]
    TooFewFacts {
        /// The number of facts asked for.
        requested: u64,
        /// The number of facts in the first buckets (asset class and static attributes).
        initial: u64,
    },
}
