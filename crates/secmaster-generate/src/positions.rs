//! [`positions`]: positions on the securities of a trail, for the as-of join.

use secmaster_core::Position;

use crate::Config;
use crate::rng::Rng;
use crate::security::{END, START, date, securities, stream};

/// `count` positions on the securities of `config`'s trail, on random dates in 2020–2024,
/// with quantities in whole units from 1 to 10,000. Some fall before their security's
/// first date, so an inner join drops them and a left join keeps them. Deterministic.
pub fn positions(config: &Config, count: usize) -> Vec<Position> {
    let secs = securities(config);
    if secs.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::new(config.seed(), stream::POSITIONS);
    (0..count)
        .map(|_| {
            let s = rng.pick(&secs);
            let day = rng.range(i64::from(START), i64::from(END) + 1) as i32;
            Position::new(s.id, rng.range(1, 10_001) as f64, date(day))
        })
        .collect()
}
