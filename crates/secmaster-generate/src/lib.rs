//! Realistic, deterministic audit trails for secmaster's demos, tests and benchmarks.
//!
//! This crate owns secmaster's synthetic data: a [`Trail`] of [`Fact`]s shaped like the
//! peers' `gen_facts.py`, and [`positions()`] on its securities. It only makes values: like
//! `secmaster-core`, which its facts feed, it never does I/O and never starts a thread (the
//! command line writes a trail to a file; benchmarks keep one in memory).
//!
//! **Deterministic across platforms.** For a given [`Config`] and version of this crate, a
//! trail is the same, fact for fact, on every platform. Its random numbers come from
//! xoshiro256++ (`rand_xoshiro`, seeded with `seed_from_u64`, i.e. SplitMix64), a published
//! algorithm whose stream the Rand project keeps value-stable across releases; and every
//! value is derived from them with integer arithmetic and the basic IEEE operations
//! (`+ - * /`), which round the same everywhere, never with libm's `exp`, `ln`, `powf`,
//! `sqrt` or trigonometry, whose last bits differ between platforms. A later version of
//! this crate may make other trails from the same seed; a test pins the first facts of one,
//! so that such a change is always deliberate.
//!
//! The shape of a trail:
//! - asset classes `equity`, `fixed_income`, `etf`, `fx` and `commodity` (46/24/12/6/12 %),
//!   each with its own attributes, all asserted in one bucket at the security's first date
//!   (first dates lean early in 2020-01-01 ..= 2024-12-31);
//! - later updates, most of them numbers (`market_cap`, `aum`, `rating`, `margin_requirement`
//!   …), some renames (a new `name` and `ticker` in one bucket), GICS reclassifications
//!   (`gics_sector` and `gics_industry` together) and re-assertions of the asset class;
//! - each attribute has one value type (int, float, date or string), and no string looks
//!   like a number or a date; no value is null (a trail has no retractions);
//! - no two facts share `(security_id, attribute, effective_date)`, unless a trail asks for
//!   more updates than its securities have attributes and days for;
//! - late and shuffled arrival: facts are made in date order, as a feed would send them, and
//!   pass through a shuffle buffer of [`Config::with_shuffle_window`] facts. A fact leaves
//!   the buffer at a random step, so most arrive a little late and a few very late; a trail
//!   smaller than the window is fully shuffled.
//!
//! The main types: a [`Config`] says how many securities and facts, and the seed; a
//! [`Trail`] is an [`Iterator`] of the facts it describes, made as they are taken, so its
//! memory is proportional to the number of securities and the shuffle window, never to the
//! number of facts (100 million facts stream in the memory of one million); [`positions()`]
//! makes positions on the same securities; [`Error`] says why a config makes no trail.
//!
//! ```
//! use secmaster_core::SecurityMaster;
//! use secmaster_generate::{Config, Trail};
//!
//! let config = Config::new(20, 500).with_seed(7);
//! let facts: Vec<_> = Trail::new(&config)?.collect();
//! assert_eq!(facts.len(), 500);
//! assert_eq!(facts, Trail::new(&config)?.collect::<Vec<_>>());
//! let master = SecurityMaster::build(facts)?;
//! assert_eq!(master.num_securities(), 20);
//! let positions = secmaster_generate::positions(&config, 10)?;
//! assert!(positions.iter().all(|p| master.security_ids().any(|id| id == p.security_id())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Fact`]: secmaster_core::Fact
#![deny(missing_docs)]

mod config;
mod error;
mod positions;
mod rng;
mod schedule;
mod security;
mod trail;
mod words;

pub use config::{Config, MAX_SECURITIES};
pub use error::Error;
pub use positions::positions;
pub use trail::Trail;
