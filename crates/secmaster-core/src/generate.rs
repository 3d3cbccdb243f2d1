//! A deterministic, streaming generator of realistic audit trails, for demos, tests and
//! benchmarks.
//!
//! It mirrors the shape of the peers' `gen_facts.py`:
//! - asset classes `equity`, `fixed_income`, `etf`, `fx` and `commodity` (46/24/12/6/12 %),
//!   each with its own attributes, all asserted in one bucket at the security's first date
//!   (first dates lean early in 2020-01-01 ..= 2024-12-31);
//! - later updates, most of them numbers (`market_cap`, `aum`, `rating`, `margin_requirement`
//!   …), some renames (a new `name` and `ticker` in one bucket), GICS reclassifications
//!   (`gics_sector` and `gics_industry` together) and re-assertions of the asset class;
//! - each attribute has one value type (int, float, date or string), and no string looks
//!   like a number or a date;
//! - no two facts share `(security_id, attribute, effective_date)`, unless a trail asks for
//!   more updates than its securities have attributes and days for;
//! - late and shuffled arrival: facts are made in date order, as a feed would send them, and
//!   pass through a shuffle buffer of [`Config::with_shuffle_window`] facts. A fact leaves
//!   the buffer at a random step, so most arrive a little late and a few very late; a trail
//!   smaller than the window is fully shuffled.
//!
//! [`Trail`] is an [`Iterator`] of [`Fact`]s. Its memory is proportional to the number of
//! securities and the shuffle window, never to the number of facts, so 100 million facts
//! stream in the memory of one million. The same [`Config`] always gives the same facts:
//! the random numbers come from a small hand-written SplitMix64 (not a crate whose stream
//! may change between versions), and the few floating-point steps use only `std`.
//!
//! ```
//! use secmaster_core::generate::{Config, Trail};
//! use secmaster_core::SecurityMaster;
//!
//! let config = Config::new(20, 500).with_seed(7);
//! let facts: Vec<_> = Trail::new(&config)?.collect();
//! assert_eq!(facts.len(), 500);
//! assert_eq!(facts, Trail::new(&config)?.collect::<Vec<_>>());
//! let master = SecurityMaster::build(facts)?;
//! assert_eq!(master.num_securities(), 20);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::{Fact, Position, Value};

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

/// What to generate: how many securities and facts, from which seed.
///
/// ```
/// use secmaster_core::generate::Config;
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
}

// ---------------------------------------------------------------------------------------
// Random numbers.

/// SplitMix64 (Steele, Lea and Flood): one add and a few multiply-xorshifts per number,
/// statistically sound for simulation, and the same on every platform.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for our `n`).
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    #[inline]
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal (Box–Muller; one of the pair is enough here).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    #[inline]
    fn pick_str(&mut self, pool: &[&'static str]) -> &'static str {
        pool[self.below(pool.len() as u64) as usize]
    }

    #[inline]
    fn pick<'a, T>(&mut self, pool: &'a [T]) -> &'a T {
        &pool[self.below(pool.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------
// The vocabulary of gen_facts.py.

const CLASSES: [&str; 5] = ["equity", "fixed_income", "etf", "fx", "commodity"];
const CLASS_P: [f64; 5] = [0.46, 0.24, 0.12, 0.06, 0.12];
/// Relative update intensity per class.
const CLASS_ACTIVITY: [f64; 5] = [1.0, 0.7, 1.0, 0.25, 0.8];

/// Every attribute the generator asserts; an [`Attr`] indexes this. At most 32, so that a
/// set of them fits a `u32`.
const ATTRIBUTES: [&str; 26] = [
    "asset_class",
    "ticker",
    "name",
    "isin",
    "exchange",
    "gics_sector",
    "gics_industry",
    "market_cap",
    "listing_date",
    "currency",
    "issuer",
    "coupon",
    "maturity_date",
    "rating",
    "amount_outstanding",
    "expense_ratio",
    "aum",
    "benchmark",
    "inception_date",
    "base_currency",
    "quote_currency",
    "tick_size",
    "settlement_days",
    "contract_size",
    "unit",
    "margin_requirement",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Attr {
    AssetClass,
    Ticker,
    Name,
    Isin,
    Exchange,
    GicsSector,
    GicsIndustry,
    MarketCap,
    ListingDate,
    Currency,
    Issuer,
    Coupon,
    MaturityDate,
    Rating,
    AmountOutstanding,
    ExpenseRatio,
    Aum,
    Benchmark,
    InceptionDate,
    BaseCurrency,
    QuoteCurrency,
    TickSize,
    SettlementDays,
    ContractSize,
    Unit,
    MarginRequirement,
}

/// What one update event asserts: one attribute, or two in one bucket.
#[derive(Debug, Clone, Copy)]
enum Event {
    One(Attr),
    /// A new name and ticker on the same date.
    Rename,
    /// A new GICS sector and industry on the same date.
    Reclass,
}

impl Event {
    fn mask(self) -> u32 {
        match self {
            Event::One(a) => 1 << a as u32,
            Event::Rename => (1 << Attr::Name as u32) | (1 << Attr::Ticker as u32),
            Event::Reclass => (1 << Attr::GicsSector as u32) | (1 << Attr::GicsIndustry as u32),
        }
    }

    fn len(self) -> u64 {
        match self {
            Event::One(_) => 1,
            Event::Rename | Event::Reclass => 2,
        }
    }
}

use Attr::*;

/// The attributes of each class's first bucket, after `asset_class`.
const STATIC: [&[Attr]; 5] = [
    &[
        Ticker,
        Name,
        Isin,
        Exchange,
        GicsSector,
        GicsIndustry,
        MarketCap,
        ListingDate,
        Currency,
    ],
    &[
        Ticker,
        Name,
        Isin,
        Issuer,
        Coupon,
        MaturityDate,
        Rating,
        AmountOutstanding,
        Currency,
    ],
    &[
        Ticker,
        Name,
        Isin,
        Exchange,
        ExpenseRatio,
        Aum,
        Benchmark,
        InceptionDate,
        Currency,
    ],
    &[
        Ticker,
        Name,
        BaseCurrency,
        QuoteCurrency,
        TickSize,
        SettlementDays,
    ],
    &[
        Ticker,
        Name,
        Exchange,
        ContractSize,
        Unit,
        TickSize,
        MarginRequirement,
        Currency,
    ],
];

/// The update events of each class with their weights.
const UPDATES: [&[(Event, f64)]; 5] = [
    &[
        (Event::One(MarketCap), 0.82),
        (Event::Rename, 0.03),
        (Event::One(Name), 0.02),
        (Event::One(Ticker), 0.03),
        (Event::Reclass, 0.03),
        (Event::One(Exchange), 0.02),
        (Event::One(AssetClass), 0.01),
        (Event::One(Currency), 0.01),
        (Event::One(Isin), 0.01),
        (Event::One(GicsIndustry), 0.02),
    ],
    &[
        (Event::One(Rating), 0.45),
        (Event::One(AmountOutstanding), 0.40),
        (Event::One(Name), 0.03),
        (Event::One(Ticker), 0.02),
        (Event::One(Issuer), 0.03),
        (Event::One(Coupon), 0.03),
        (Event::One(MaturityDate), 0.02),
        (Event::One(AssetClass), 0.02),
    ],
    &[
        (Event::One(Aum), 0.80),
        (Event::One(ExpenseRatio), 0.07),
        (Event::Rename, 0.04),
        (Event::One(Ticker), 0.02),
        (Event::One(Benchmark), 0.04),
        (Event::One(Exchange), 0.02),
        (Event::One(AssetClass), 0.01),
    ],
    &[
        (Event::One(TickSize), 0.45),
        (Event::One(SettlementDays), 0.35),
        (Event::One(Name), 0.18),
        (Event::One(AssetClass), 0.02),
    ],
    &[
        (Event::One(MarginRequirement), 0.75),
        (Event::One(TickSize), 0.08),
        (Event::One(ContractSize), 0.04),
        (Event::One(Name), 0.06),
        (Event::One(Exchange), 0.05),
        (Event::One(AssetClass), 0.02),
    ],
];

const WORDS_A: [&str; 54] = [
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "North",
    "Orbit",
    "Pioneer",
    "Quartz",
    "River",
    "Summit",
    "Titan",
    "Union",
    "Vertex",
    "Willow",
    "Xenon",
    "Yellowstone",
    "Zephyr",
    "Aurora",
    "Beacon",
    "Cobalt",
    "Dynamo",
    "Ember",
    "Frontier",
    "Glacier",
    "Helix",
    "Indigo",
    "Jasper",
    "Kinetic",
    "Lattice",
    "Meridian",
    "Nova",
    "Onyx",
    "Prairie",
    "Redwood",
    "Sterling",
    "Tidal",
    "Upland",
    "Vanguard",
    "Westbrook",
    "Müller",
    "Société",
    "Øresund",
    "O'Neill",
    "São Paulo",
    "Zürich",
];
const WORDS_B: [&str; 26] = [
    "Therapeutics",
    "Energy",
    "Holdings",
    "Systems",
    "Bancorp",
    "Networks",
    "Foods",
    "Logistics",
    "Semiconductor",
    "Pharma",
    "Materials",
    "Capital",
    "Robotics",
    "Media",
    "Mining",
    "Airlines",
    "Software",
    "Insurance",
    "Utilities",
    "Realty",
    "Biosciences",
    "Motors",
    "Telecom",
    "Retail",
    "Chemicals",
    "Shipping",
];
const LEGAL: [&str; 12] = [
    " Inc",
    ", Inc.",
    " Corp",
    " Corporation",
    " PLC",
    " AG",
    " SA",
    " Ltd",
    ", LLC",
    " Group",
    " N.V.",
    " & Co",
];
const EXCHANGES: [&str; 12] = [
    "XNYS", "XNAS", "XLON", "XPAR", "XETR", "XTKS", "XHKG", "XASX", "XTSE", "XSWX", "ARCX", "BATS",
];
const COMMODITY_EXCHANGES: [&str; 6] = ["XCME", "XNYM", "XCBT", "IFEU", "XLME", "XCEC"];
const CURRENCIES: [&str; 16] = [
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "HKD", "SEK", "NOK", "SGD", "NZD", "MXN",
    "BRL", "ZAR", "CNH",
];
const RATINGS: [&str; 22] = [
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+",
    "B", "B-", "CCC+", "CCC", "CC", "C", "D", "NR",
];
const GICS: [(&str, &str); 23] = [
    ("Energy", "Oil, Gas & Consumable Fuels"),
    ("Energy", "Energy Equipment & Services"),
    ("Materials", "Chemicals"),
    ("Materials", "Metals & Mining"),
    ("Industrials", "Aerospace & Defense"),
    ("Industrials", "Machinery"),
    ("Industrials", "Airlines"),
    ("Consumer Discretionary", "Automobiles"),
    ("Consumer Discretionary", "Hotels, Restaurants & Leisure"),
    ("Consumer Staples", "Beverages"),
    ("Consumer Staples", "Food Products"),
    ("Health Care", "Pharmaceuticals"),
    ("Health Care", "Biotechnology"),
    ("Health Care", "Health Care Equipment & Supplies"),
    ("Financials", "Banks"),
    ("Financials", "Insurance"),
    ("Financials", "Capital Markets"),
    ("Information Technology", "Software"),
    (
        "Information Technology",
        "Semiconductors & Semiconductor Equipment",
    ),
    ("Communication Services", "Media"),
    (
        "Communication Services",
        "Diversified Telecommunication Services",
    ),
    ("Utilities", "Electric Utilities"),
    (
        "Real Estate",
        "Equity Real Estate Investment Trusts (REITs)",
    ),
];
const BENCHMARKS: [&str; 12] = [
    "S&P 500",
    "NASDAQ-100",
    "MSCI World",
    "MSCI EM",
    "Russell 2000",
    "Bloomberg US Aggregate",
    "FTSE 100",
    "Euro Stoxx 50",
    "Nikkei 225",
    "ICE US Treasury 20+ Year",
    "Gold Spot",
    "S&P 500 \"Equal Weight\"",
];
const UNITS: [&str; 7] = [
    "bbl",
    "troy oz",
    "bushel",
    "MMBtu",
    "metric ton",
    "lb",
    "short ton",
];
const FX_SUFFIX: [&str; 4] = [" Spot", " Spot Rate", " WM/R 4pm Fix", " ECB Fix"];
const TICK_SIZES: [f64; 8] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25];
const COMMODITY_NAMES: [&str; 16] = [
    "WTI Crude Oil",
    "Brent Crude",
    "Natural Gas",
    "Gold",
    "Silver",
    "Copper",
    "Corn",
    "Soybeans",
    "Wheat",
    "Coffee",
    "Cocoa",
    "Sugar No. 11",
    "Live Cattle",
    "Lean Hogs",
    "Aluminium",
    "Platinum",
];
const COUNTRIES: [&str; 8] = ["US", "GB", "DE", "FR", "JP", "CH", "CA", "AU"];
const CONTRACT_SIZES: [i64; 9] = [1, 5, 10, 25, 50, 100, 1000, 5000, 42000];

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const UNIX_EPOCH_CE: i32 = 719_163;
/// 2020-01-01 and 2024-12-31 as days since 1970-01-01.
const START: i32 = 18_262;
const END: i32 = 20_088;

fn date(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_CE).expect("generated dates are valid")
}

/// Shared strings, made once: cloning one is a reference-count increment.
#[derive(Debug)]
struct Pools {
    attributes: Vec<Arc<str>>,
    classes: Vec<Arc<str>>,
    exchanges: Vec<Arc<str>>,
    commodity_exchanges: Vec<Arc<str>>,
    currencies: Vec<Arc<str>>,
    ratings: Vec<Arc<str>>,
    sectors: Vec<Arc<str>>,
    industries: Vec<Arc<str>>,
    benchmarks: Vec<Arc<str>>,
    units: Vec<Arc<str>>,
}

fn arcs(pool: &[&str]) -> Vec<Arc<str>> {
    pool.iter().map(|&s| Arc::from(s)).collect()
}

impl Pools {
    fn new() -> Pools {
        Pools {
            attributes: arcs(&ATTRIBUTES),
            classes: arcs(&CLASSES),
            exchanges: arcs(&EXCHANGES),
            commodity_exchanges: arcs(&COMMODITY_EXCHANGES),
            currencies: arcs(&CURRENCIES),
            ratings: arcs(&RATINGS),
            sectors: GICS.iter().map(|g| Arc::from(g.0)).collect(),
            industries: GICS.iter().map(|g| Arc::from(g.1)).collect(),
            benchmarks: arcs(&BENCHMARKS),
            units: arcs(&UNITS),
        }
    }
}

/// What is fixed about one security.
#[derive(Debug, Clone)]
struct Security {
    id: i64,
    class: u8,
    /// The first date, in days since 1970-01-01.
    first: i32,
    base_cap: f64,
    base: u8,
    quote: u8,
}

/// The securities of a config, from its seed (shared by [`Trail`] and [`positions`]).
fn securities(config: &Config) -> Vec<Security> {
    let n = config.securities;
    let mut rng = Rng::new(config.seed, 1);
    // Distinct ids spread over 1..=10n+9, increasing: step by a random gap of 1..=19.
    let mut id = 0i64;
    (0..n)
        .map(|_| {
            id += rng.range(1, 20);
            let u = rng.unit();
            let mut class = 0;
            let mut acc = 0.0;
            for (c, p) in CLASS_P.iter().enumerate() {
                acc += p;
                if u < acc {
                    class = c;
                    break;
                }
            }
            // Kumaraswamy(0.6, 2.2), a closed-form stand-in for gen_facts.py's Beta(0.6, 2.2):
            // most securities appear early in the range, a long tail later.
            let x = (1.0 - (1.0 - rng.unit()).powf(1.0 / 2.2)).powf(1.0 / 0.6);
            let first = START + (x * f64::from(END - START - 120)).floor() as i32;
            let base_cap = (3e9f64.ln() + 1.6 * rng.normal()).exp();
            let base = rng.below(CURRENCIES.len() as u64) as u8;
            let quote = ((u64::from(base) + 1 + rng.below(CURRENCIES.len() as u64 - 1))
                % CURRENCIES.len() as u64) as u8;
            Security {
                id,
                class: class as u8,
                first,
                base_cap,
                base,
                quote,
            }
        })
        .collect()
}

/// The facts of a security's first bucket.
fn initial_len(class: u8) -> u64 {
    1 + STATIC[class as usize].len() as u64
}

// ---------------------------------------------------------------------------------------
// The trail.

/// The update schedule: which securities are active on a day and how to pick one by weight.
#[derive(Debug)]
struct Schedule {
    /// Security indexes sorted by first date.
    order: Vec<u32>,
    /// `cum[k]`: the summed daily update rate of `order[..k]`.
    cum: Vec<f64>,
    /// Chen's guide table over `cum`: `guide[j]` is the first `k` whose interval
    /// `cum[k]..cum[k + 1]` reaches `j * total / guide.len()`. Makes a weighted pick O(1).
    guide: Vec<u32>,
    /// `target[d - START]`: how many update facts are due by the end of day `d`.
    target: Vec<u64>,
}

impl Schedule {
    fn new(secs: &[Security], updates: u64, rng: &mut Rng) -> Schedule {
        let mut order: Vec<u32> = (0..secs.len() as u32).collect();
        order.sort_by_key(|&i| (secs[i as usize].first, i));
        let mut cum = Vec::with_capacity(secs.len() + 1);
        cum.push(0.0);
        let mut acc = 0.0;
        for &i in &order {
            let s = &secs[i as usize];
            // A security's weight is spread over the days after its first: gen_facts.py picks
            // the security by weight, then a day uniformly in (first, END].
            let weight = CLASS_ACTIVITY[s.class as usize] * (0.5 * rng.normal()).exp();
            acc += weight / f64::from(END - s.first);
            cum.push(acc);
        }
        let total = acc;
        let n = order.len();
        let mut guide = Vec::with_capacity(n);
        let mut k = 0usize;
        for j in 0..n {
            let at = j as f64 * total / n as f64;
            while k + 1 < n && cum[k + 1] <= at {
                k += 1;
            }
            guide.push(k as u32);
        }
        // Update facts due per day, proportional to the rate of the securities active then,
        // rounded on the running sum so they add up to exactly `updates`.
        let mut daily = Vec::with_capacity((END - START + 1) as usize);
        let mut active = 0usize;
        for d in START..=END {
            while active < n && secs[order[active] as usize].first < d {
                active += 1;
            }
            daily.push(cum[active]);
        }
        let sum: f64 = daily.iter().sum();
        let mut running = 0.0;
        let target = daily
            .iter()
            .map(|r| {
                running += r;
                if sum > 0.0 {
                    ((running / sum) * updates as f64).round() as u64
                } else {
                    updates
                }
            })
            .collect::<Vec<u64>>();
        let mut target = target;
        if let Some(last) = target.last_mut() {
            *last = updates;
        }
        Schedule {
            order,
            cum,
            guide,
            target,
        }
    }

    /// A security among the first `active` of `order`, by weight.
    #[inline]
    fn pick(&self, active: usize, rng: &mut Rng) -> usize {
        let u = rng.unit() * self.cum[active];
        let total = self.cum[self.cum.len() - 1];
        let j = ((u / total) * self.guide.len() as f64) as usize;
        let mut k = self.guide[j.min(self.guide.len() - 1)] as usize;
        while k + 1 < active && self.cum[k + 1] <= u {
            k += 1;
        }
        self.order[k.min(active - 1)] as usize
    }
}

/// A realistic audit trail, generated as it is iterated: see the [module docs](self).
///
/// Yields exactly [`Config::facts`] facts; [`Iterator::size_hint`] is exact.
#[derive(Debug)]
pub struct Trail {
    pools: Pools,
    secs: Vec<Security>,
    schedule: Schedule,
    /// Per security: the last day it had an update, and the attributes updated that day.
    last_day: Vec<i32>,
    used: Vec<u32>,
    rng: Rng,
    /// The day being generated, and how many of `order` are active on it.
    day: i32,
    active: usize,
    /// The next security (index into `schedule.order`) whose first bucket is due.
    next_first: usize,
    updates_made: u64,
    updates_total: u64,
    /// Facts made but not yet in the shuffle buffer (one bucket at most).
    pending: Vec<Fact>,
    shuffle: Vec<Fact>,
    window: usize,
    shuffle_rng: Rng,
    remaining: u64,
    text: String,
}

impl Trail {
    /// The trail `config` describes.
    ///
    /// Fails when there are no securities, or fewer facts than the securities' first buckets
    /// need (about nine per security).
    pub fn new(config: &Config) -> Result<Trail, Error> {
        if config.securities == 0 {
            return Err(Error::NoSecurities);
        }
        let secs = securities(config);
        let initial: u64 = secs.iter().map(|s| initial_len(s.class)).sum();
        if config.facts < initial {
            return Err(Error::TooFewFacts {
                requested: config.facts,
                initial,
            });
        }
        let updates = config.facts - initial;
        let mut rng = Rng::new(config.seed, 2);
        let schedule = Schedule::new(&secs, updates, &mut rng);
        let n = secs.len();
        Ok(Trail {
            pools: Pools::new(),
            secs,
            schedule,
            last_day: vec![i32::MIN; n],
            used: vec![0; n],
            rng,
            day: START,
            active: 0,
            next_first: 0,
            updates_made: 0,
            updates_total: updates,
            pending: Vec::with_capacity(16),
            shuffle: Vec::with_capacity(config.window.clamp(1, 1 << 20)),
            window: config.window.max(1),
            shuffle_rng: Rng::new(config.seed, 3),
            remaining: config.facts,
            text: String::with_capacity(64),
        })
    }

    /// The ids of the trail's securities, ascending.
    pub fn security_ids(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        self.secs.iter().map(|s| s.id)
    }

    /// Makes the next bucket in date order into `pending`; false when the trail is done.
    fn refill(&mut self) -> bool {
        while self.day <= END {
            // First buckets of securities that start today.
            if let Some(&i) = self.schedule.order.get(self.next_first)
                && self.secs[i as usize].first == self.day
            {
                self.next_first += 1;
                self.first_bucket(i as usize);
                return true;
            }
            let due = self.schedule.target[(self.day - START) as usize];
            if self.updates_made < due && self.active > 0 {
                self.update();
                return true;
            }
            self.day += 1;
            let order = &self.schedule.order;
            while self.active < order.len()
                && self.secs[order[self.active] as usize].first < self.day
            {
                self.active += 1;
            }
        }
        false
    }

    fn first_bucket(&mut self, i: usize) {
        let s = &self.secs[i];
        let (class, day) = (s.class, s.first);
        self.push(i, AssetClass, day);
        for &attr in STATIC[class as usize] {
            self.push(i, attr, day);
        }
    }

    fn update(&mut self) {
        let day = self.day;
        let left = self.updates_total - self.updates_made;
        let mut chosen = None;
        for _ in 0..16 {
            let i = self.schedule.pick(self.active, &mut self.rng);
            let event = self.event(self.secs[i].class);
            if self.last_day[i] != day || self.used[i] & event.mask() == 0 {
                chosen = Some((i, event));
                break;
            }
        }
        // Crowded: more updates than free (attribute, day) slots. Re-assert a key rather
        // than loop; the engine resolves it by arrival (rule 5).
        let (i, event) = chosen.unwrap_or_else(|| {
            let i = self.schedule.pick(self.active, &mut self.rng);
            (i, self.event(self.secs[i].class))
        });
        if self.last_day[i] != day {
            self.last_day[i] = day;
            self.used[i] = 0;
        }
        self.used[i] |= event.mask();
        let made = event.len().min(left);
        self.updates_made += made;
        match event {
            Event::One(a) => self.push(i, a, day),
            Event::Rename => {
                self.push(i, Name, day);
                if made == 2 {
                    self.push(i, Ticker, day);
                }
            }
            Event::Reclass => {
                let g = self.rng.below(GICS.len() as u64) as usize;
                self.push_value(i, GicsSector, day, self.pools.sectors[g].clone().into());
                if made == 2 {
                    self.push_value(
                        i,
                        GicsIndustry,
                        day,
                        self.pools.industries[g].clone().into(),
                    );
                }
            }
        }
    }

    fn event(&mut self, class: u8) -> Event {
        let events = UPDATES[class as usize];
        let total: f64 = events.iter().map(|e| e.1).sum();
        let mut u = self.rng.unit() * total;
        for &(event, w) in events {
            if u < w {
                return event;
            }
            u -= w;
        }
        events[0].0
    }

    fn push(&mut self, i: usize, attr: Attr, day: i32) {
        let value = self.value(i, attr, day);
        self.push_value(i, attr, day, value);
    }

    fn push_value(&mut self, i: usize, attr: Attr, day: i32, value: Value) {
        self.pending.push(Fact::new(
            self.secs[i].id,
            self.pools.attributes[attr as usize].clone(),
            value,
            date(day),
        ));
    }

    fn text_value(&mut self) -> Value {
        let v = Value::from(self.text.as_str());
        self.text.clear();
        v
    }

    fn company_name(&mut self) {
        let a = self.rng.pick_str(&WORDS_A);
        let b = self.rng.pick_str(&WORDS_B);
        let c = self.rng.pick_str(&LEGAL);
        self.text.push_str(a);
        self.text.push(' ');
        self.text.push_str(b);
        self.text.push_str(c);
    }

    fn value(&mut self, i: usize, attr: Attr, day: i32) -> Value {
        let s = &self.secs[i];
        let (class, first, base_cap) = (s.class, s.first, s.base_cap);
        let (base, quote) = (s.base as usize, s.quote as usize);
        let rng = &mut self.rng;
        let p = &self.pools;
        match attr {
            AssetClass => p.classes[class as usize].clone().into(),
            Ticker => {
                if CLASSES[class as usize] == "fx" {
                    self.text.push_str(CURRENCIES[base]);
                    self.text.push_str(CURRENCIES[quote]);
                } else {
                    let len = rng.range(3, 6);
                    for _ in 0..len {
                        self.text.push(char::from(b'A' + rng.below(26) as u8));
                    }
                }
                self.text_value()
            }
            Name => {
                match CLASSES[class as usize] {
                    "commodity" => {
                        self.text.push_str(rng.pick_str(&COMMODITY_NAMES));
                        self.text.push_str(" Futures");
                    }
                    "fx" => {
                        self.text.push_str(CURRENCIES[base]);
                        self.text.push('/');
                        self.text.push_str(CURRENCIES[quote]);
                        self.text.push_str(rng.pick_str(&FX_SUFFIX));
                    }
                    "fixed_income" => {
                        self.company_name();
                        let coupon = self.rng.below(73) * 125;
                        let year = 1970 + day / 365 + self.rng.range(1, 31) as i32;
                        let _ =
                            write!(self.text, " {}.{:03}% {year}", coupon / 1000, coupon % 1000);
                    }
                    _ => self.company_name(),
                }
                self.text_value()
            }
            Isin => {
                self.text.push_str(rng.pick_str(&COUNTRIES));
                for _ in 0..10 {
                    self.text.push(char::from(b'0' + rng.below(10) as u8));
                }
                self.text_value()
            }
            Exchange => {
                if CLASSES[class as usize] == "commodity" {
                    rng.pick(&p.commodity_exchanges).clone().into()
                } else {
                    rng.pick(&p.exchanges).clone().into()
                }
            }
            GicsSector => rng.pick(&p.sectors).clone().into(),
            GicsIndustry => rng.pick(&p.industries).clone().into(),
            MarketCap | Aum => {
                let f = (0.35 * rng.normal()).exp();
                Value::Int(((base_cap * f) as i64).max(1))
            }
            ListingDate | InceptionDate => Value::Date(date(first - rng.range(0, 15_000) as i32)),
            Currency => rng.pick(&p.currencies).clone().into(),
            Issuer => {
                self.company_name();
                self.text_value()
            }
            Coupon => Value::Float((rng.below(73) * 125) as f64 / 1000.0),
            MaturityDate => Value::Date(date(day + rng.range(365, 30 * 365) as i32)),
            Rating => rng.pick(&p.ratings).clone().into(),
            AmountOutstanding => Value::Int(rng.range(1, 400) * 5_000_000),
            ExpenseRatio => Value::Float(rng.range(3, 96) as f64 / 10_000.0),
            Benchmark => rng.pick(&p.benchmarks).clone().into(),
            BaseCurrency => p.currencies[base].clone().into(),
            QuoteCurrency => p.currencies[quote].clone().into(),
            TickSize => Value::Float(*rng.pick(&TICK_SIZES)),
            SettlementDays => Value::Int(rng.range(0, 4)),
            ContractSize => Value::Int(*rng.pick(&CONTRACT_SIZES)),
            Unit => rng.pick(&p.units).clone().into(),
            MarginRequirement => Value::Int(rng.range(500, 25_000)),
        }
    }
}

impl Iterator for Trail {
    type Item = Fact;

    fn next(&mut self) -> Option<Fact> {
        // Fill the shuffle buffer, then hand out a random one of its facts.
        while self.shuffle.len() < self.window {
            if self.pending.is_empty() && !self.refill() {
                break;
            }
            // Buckets are small; drain them oldest first.
            self.shuffle.append(&mut self.pending);
        }
        if self.shuffle.is_empty() {
            return None;
        }
        let j = self.shuffle_rng.below(self.shuffle.len() as u64) as usize;
        self.remaining -= 1;
        Some(self.shuffle.swap_remove(j))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

/// `count` positions on the securities of `config`'s trail, on random dates in 2020–2024,
/// with quantities in whole units from 1 to 10,000. Some fall before their security's
/// first date, so an inner join drops them and a left join keeps them. Deterministic.
pub fn positions(config: &Config, count: usize) -> Vec<Position> {
    let secs = securities(config);
    if secs.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::new(config.seed, 4);
    (0..count)
        .map(|_| {
            let s = rng.pick(&secs);
            let day = rng.range(i64::from(START), i64::from(END) + 1) as i32;
            Position::new(s.id, rng.range(1, 10_001) as f64, date(day))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::{SecurityMaster, ValueType};

    fn trail(securities: usize, facts: u64, seed: u64) -> Vec<Fact> {
        Trail::new(&Config::new(securities, facts).with_seed(seed))
            .unwrap()
            .collect()
    }

    #[test]
    fn same_seed_same_facts_other_seed_other_facts() {
        let a = trail(50, 3_000, 1);
        assert_eq!(a, trail(50, 3_000, 1));
        assert_ne!(a, trail(50, 3_000, 2));
    }

    #[test]
    fn yields_exactly_the_requested_facts() {
        for (securities, facts) in [(1, 10), (1, 500), (10, 100), (37, 5_000), (200, 20_000)] {
            let config = Config::new(securities, facts);
            let t = Trail::new(&config).unwrap();
            assert_eq!(t.size_hint(), (facts as usize, Some(facts as usize)));
            assert_eq!(t.count() as u64, facts, "{securities} securities");
        }
    }

    #[test]
    fn too_few_facts_is_refused() {
        let err = Trail::new(&Config::new(10, 5)).unwrap_err();
        assert!(
            matches!(err, Error::TooFewFacts { requested: 5, .. }),
            "{err}"
        );
        assert_eq!(
            Trail::new(&Config::new(0, 5)).unwrap_err(),
            Error::NoSecurities
        );
    }

    #[test]
    fn builds_without_type_conflicts_and_keys_are_unique() {
        let facts = trail(300, 30_000, 42);
        let mut keys = HashSet::new();
        let mut types: HashMap<String, ValueType> = HashMap::new();
        for f in &facts {
            assert!(
                keys.insert((
                    f.security_id(),
                    f.attribute().to_string(),
                    f.effective_date()
                )),
                "repeated key {f}"
            );
            let ty = f.value().value_type().expect("no nulls");
            assert_eq!(
                *types.entry(f.attribute().to_string()).or_insert(ty),
                ty,
                "{f}"
            );
            let d = f.effective_date();
            assert!(date(START) <= d && d <= date(END), "{f}");
        }
        let master = SecurityMaster::build(facts).unwrap();
        assert_eq!(master.num_securities(), 300);
        assert_eq!(master.num_facts(), 30_000);
        let classes: HashSet<String> = master
            .table()
            .column_values(3)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert_eq!(classes.len(), 5, "{classes:?}");
    }

    #[test]
    fn arrival_is_shuffled_but_window_zero_is_date_order() {
        let shuffled = trail(100, 10_000, 3);
        assert!(
            shuffled
                .windows(2)
                .any(|w| w[0].effective_date() > w[1].effective_date())
        );
        let ordered: Vec<Fact> = Trail::new(&Config::new(100, 10_000).with_shuffle_window(0))
            .unwrap()
            .collect();
        assert!(
            ordered
                .windows(2)
                .all(|w| w[0].effective_date() <= w[1].effective_date())
        );
    }

    #[test]
    fn renames_change_name_and_ticker_together() {
        let facts = trail(200, 40_000, 5);
        let mut buckets: HashMap<(i64, NaiveDate), Vec<&str>> = HashMap::new();
        for f in &facts {
            buckets
                .entry((f.security_id(), f.effective_date()))
                .or_default()
                .push(f.attribute());
        }
        let renames = buckets
            .values()
            .filter(|b| b.len() == 2 && b.contains(&"name") && b.contains(&"ticker"))
            .count();
        assert!(renames > 0);
    }

    #[test]
    fn positions_are_on_known_securities() {
        let config = Config::new(20, 1_000);
        let ids: HashSet<i64> = Trail::new(&config).unwrap().security_ids().collect();
        let ps = positions(&config, 500);
        assert_eq!(ps.len(), 500);
        assert!(ps.iter().all(|p| ids.contains(&p.security_id())));
        assert_eq!(ps, positions(&config, 500));
    }
}
