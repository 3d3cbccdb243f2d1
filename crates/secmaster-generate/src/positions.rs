//! [`positions`]: positions on the securities of a trail, for the as-of join.

use secmaster_core::Position;

use crate::rng::Rng;
use crate::security::{END, START, date, securities, stream};
use crate::{Config, Error};

/// `count` positions on the securities of `config`'s trail, on random dates in 2020–2024,
/// with quantities in whole units from 1 to 10,000. Some fall before their security's
/// first date, so an inner join drops them and a left join keeps them. Deterministic.
///
/// Refuses what [`crate::Trail::new`] refuses: no securities, or too many.
pub fn positions(config: &Config, count: usize) -> Result<Vec<Position>, Error> {
    config.check()?;
    let secs = securities(config);
    let mut rng = Rng::new(config.seed(), stream::POSITIONS);
    Ok((0..count)
        .map(|_| {
            let s = rng.pick(&secs);
            let day = rng.range(i64::from(START), i64::from(END) + 1) as i32;
            Position::new(s.id, rng.range(1, 10_001), date(day))
        })
        .collect())
}
