//! [`Config`]: what to generate, how many securities and facts, from which seed.

use crate::Error;

/// What to generate: how many securities and facts, from which seed.
///
/// ```
/// use secmaster_generate::Config;
/// let config = Config::new(1_000, 100_000).with_seed(42);
/// assert_eq!(config.facts(), 100_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Config {
    securities: usize,
    facts: u64,
    seed: u64,
    window: usize,
}

/// The most securities a trail holds: its working memory is about 50 bytes a security
/// (some 5 GB at this size), and a larger request is refused before anything is allocated.
pub const MAX_SECURITIES: usize = 100_000_000;

/// The default shuffle window: large enough to mix days, small enough to stay in cache.
const DEFAULT_WINDOW: usize = 1 << 16;

impl Default for Config {
    /// 100 securities, 5,000 facts, seed 42.
    fn default() -> Config {
        Config::new(100, 5_000)
    }
}

impl Config {
    /// A trail of `facts` facts about `securities` securities, with seed 42.
    pub fn new(securities: usize, facts: u64) -> Config {
        Config {
            securities,
            facts,
            seed: 42,
            window: DEFAULT_WINDOW,
        }
    }

    /// The seed: the same seed gives the same trail.
    pub fn with_seed(mut self, seed: u64) -> Config {
        self.seed = seed;
        self
    }

    /// How many facts the arrival shuffle holds back (default 65,536; 0 or 1: date order).
    pub fn with_shuffle_window(mut self, window: usize) -> Config {
        self.window = window;
        self
    }

    /// The number of securities.
    pub fn securities(&self) -> usize {
        self.securities
    }

    /// The number of facts.
    pub fn facts(&self) -> u64 {
        self.facts
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The shuffle window.
    pub fn shuffle_window(&self) -> usize {
        self.window
    }

    /// Refuses a config no trail can be made of, before anything is allocated.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match self.securities {
            0 => Err(Error::NoSecurities),
            n if n > MAX_SECURITIES => Err(Error::TooManySecurities {
                requested: n,
                max: MAX_SECURITIES,
            }),
            _ => Ok(()),
        }
    }
}
