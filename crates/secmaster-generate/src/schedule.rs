//! The update schedule of a trail: how many update facts are due by each day, and which
//! security an update goes to, by weight.

use crate::rng::Rng;
use crate::security::{END, START, Security};
use crate::words::CLASS_ACTIVITY;

/// The update schedule: which securities are active on a day and how to pick one by weight.
#[derive(Debug)]
pub(crate) struct Schedule {
    /// Security indexes sorted by first date.
    pub(crate) order: Vec<u32>,
    /// `cum[k]`: the summed daily update rate of `order[..k]`.
    cum: Vec<f64>,
    /// Chen's guide table over `cum`: `guide[j]` is the first `k` whose interval
    /// `cum[k]..cum[k + 1]` reaches `j * total / guide.len()`. Makes a weighted pick O(1).
    guide: Vec<u32>,
    /// `target[d - START]`: how many update facts are due by the end of day `d`.
    pub(crate) target: Vec<u64>,
}

impl Schedule {
    pub(crate) fn new(secs: &[Security], updates: u64, rng: &mut Rng) -> Schedule {
        let mut order: Vec<u32> = (0..secs.len() as u32).collect();
        order.sort_by_key(|&i| (secs[i as usize].first, i));
        let mut cum = Vec::with_capacity(secs.len() + 1);
        cum.push(0.0);
        let mut acc = 0.0;
        for &i in &order {
            let s = &secs[i as usize];
            // A security's weight is spread over the days after its first: gen_facts.py picks
            // the security by weight, then a day uniformly in (first, END].
            let weight = CLASS_ACTIVITY[s.class as usize] * rng.lognormal(0.5);
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
                    ((running / sum) * updates as f64 + 0.5) as u64 // rounded
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
    pub(crate) fn pick(&self, active: usize, rng: &mut Rng) -> usize {
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
