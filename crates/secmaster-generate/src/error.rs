//! [`Error`]: why a trail cannot be generated.

/// Why a trail cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A trail needs at least one security.
    #[error("a generated trail needs at least one security")]
    NoSecurities,
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
