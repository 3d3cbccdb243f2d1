//! The securities of a trail, drawn from its seed: what is fixed about each (id, asset
//! class, first date, size, currency pair), and the calendar the trail spans.

use chrono::NaiveDate;

use crate::Config;
use crate::rng::Rng;
use crate::words::{CLASS_PERCENT, CURRENCIES, STATIC};

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const UNIX_EPOCH_CE: i32 = 719_163;
/// 2020-01-01 and 2024-12-31, the first and last day of a trail, as days since 1970-01-01.
pub(crate) const START: i32 = 18_262;
pub(crate) const END: i32 = 20_088;

/// The day `days` after 1970-01-01.
pub(crate) fn date(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_CE).expect("generated dates are valid")
}

/// The random-number stream of each part of a trail (see [`Rng::new`]).
pub(crate) mod stream {
    /// The securities.
    pub(crate) const SECURITIES: u32 = 0;
    /// The update schedule and the facts' values.
    pub(crate) const FACTS: u32 = 1;
    /// The arrival shuffle.
    pub(crate) const SHUFFLE: u32 = 2;
    /// [`crate::positions()`].
    pub(crate) const POSITIONS: u32 = 3;
}

/// What is fixed about one security.
#[derive(Debug, Clone)]
pub(crate) struct Security {
    pub(crate) id: i64,
    pub(crate) class: u8,
    /// The first date, in days since 1970-01-01.
    pub(crate) first: i32,
    /// The size of its market capitalization or assets under management.
    pub(crate) base_cap: f64,
    /// Its currency pair, for an fx security: indexes into [`CURRENCIES`], never equal.
    pub(crate) base: u8,
    pub(crate) quote: u8,
}

/// The securities of a config, from its seed (shared by [`crate::Trail`] and
/// [`crate::positions()`]).
pub(crate) fn securities(config: &Config) -> Vec<Security> {
    let mut rng = Rng::new(config.seed(), stream::SECURITIES);
    // Increasing ids, about ten apart: each a random gap of 1..=19 after the last.
    let mut id = 0i64;
    (0..config.securities())
        .map(|_| {
            id += rng.range(1, 20);
            let mut u = rng.below(100);
            let mut class = 0;
            while u >= CLASS_PERCENT[class] {
                u -= CLASS_PERCENT[class];
                class += 1;
            }
            // Most securities appear early in the range, a long tail later (gen_facts.py
            // draws a Beta(0.6, 2.2); see `Rng::early`).
            let span = (END - START - 120) as u64;
            let first = START + ((u128::from(rng.early()) * u128::from(span)) >> 52) as i32;
            // Log-normal around 3 billion, as gen_facts.py's exp(N(ln 3e9, 1.6)).
            let base_cap = 3e9 * rng.lognormal(1.6);
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

/// The number of facts in the first bucket of a security of `class`.
pub(crate) fn initial_len(class: u8) -> u64 {
    1 + STATIC[class as usize].len() as u64
}
