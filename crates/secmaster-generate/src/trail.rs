//! [`Trail`]: the facts of a trail, made bucket by bucket in date order as a feed would send
//! them, and handed out through a shuffle buffer so that they arrive late and out of order.

use std::fmt::Write as _;
use std::sync::Arc;

use secmaster_core::{Fact, Value};

use crate::rng::Rng;
use crate::schedule::Schedule;
use crate::security::{END, START, Security, date, initial_len, securities, stream};
use crate::words::Attr::{self, *};
use crate::words::*;
use crate::{Config, Error};

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

/// A realistic audit trail, generated as it is iterated: see the [crate docs](crate).
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
        config.check()?;
        let secs = securities(config);
        let initial: u64 = secs.iter().map(|s| initial_len(s.class)).sum();
        if config.facts() < initial {
            return Err(Error::TooFewFacts {
                requested: config.facts(),
                initial,
            });
        }
        let updates = config.facts() - initial;
        let mut rng = Rng::new(config.seed(), stream::FACTS);
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
            shuffle: Vec::with_capacity(config.shuffle_window().clamp(1, 1 << 20)),
            window: config.shuffle_window().max(1),
            shuffle_rng: Rng::new(config.seed(), stream::SHUFFLE),
            remaining: config.facts(),
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

    /// An update event of a security of `class`, by the weights of [`UPDATES`].
    fn event(&mut self, class: u8) -> Event {
        let events = UPDATES[class as usize];
        let mut u = self.rng.below(100); // the weights are percentages
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
            MarketCap | Aum => Value::Int(((base_cap * rng.lognormal(0.35)) as i64).max(1)),
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
