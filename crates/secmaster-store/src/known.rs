//! A point in a store's history, as a reader names it: after a batch, or as committed by a
//! time ([`KnownAt`]); the command line's `--as-known-at` and the server's `as_known_at`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::Store;

/// A point in a store's history: after a batch, or as committed by a time.
///
/// ```
/// use secmaster_store::KnownAt;
/// assert_eq!("3".parse::<KnownAt>(), Ok(KnownAt::Batch(3)));
/// let end_of_day = "2026-11-27".parse::<KnownAt>().unwrap();
/// assert_eq!(end_of_day, "2026-11-27T23:59:59.999999999Z".parse().unwrap());
/// assert!("soon".parse::<KnownAt>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownAt {
    /// After this batch.
    Batch(u64),
    /// After the last batch committed at or before this time.
    Time(DateTime<Utc>),
}

impl FromStr for KnownAt {
    type Err = String;

    /// A batch number, an RFC 3339 time (2026-11-27T09:30:00Z), or a date (the end of that
    /// day, UTC).
    fn from_str(s: &str) -> Result<KnownAt, String> {
        if let Ok(n) = s.parse::<u64>() {
            return Ok(KnownAt::Batch(n));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(KnownAt::Time(t.to_utc()));
        }
        if let Ok(day) = s.parse::<NaiveDate>() {
            let end = day
                .and_hms_nano_opt(23, 59, 59, 999_999_999)
                .expect("a valid time");
            return Ok(KnownAt::Time(end.and_utc()));
        }
        Err(format!(
            "`{s}` is neither a batch number, an RFC 3339 time (2026-11-27T09:30:00Z) nor a date"
        ))
    }
}

/// Why a [`KnownAt`] names no batch a store can be read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotKnown(String);

impl fmt::Display for NotKnown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotKnown {}

/// A commit time as `secmaster log` prints it.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

impl Store {
    /// The batch `at` names: itself, or the last committed by a time. One before the first
    /// batch (0, or a time before its commit) or after the last names none: the store held
    /// no table then, or does not yet; the error says which, and what the store has.
    pub fn batch_known_at(&self, at: KnownAt) -> std::result::Result<u64, NotKnown> {
        let batch = match at {
            KnownAt::Batch(n) => n,
            KnownAt::Time(t) => self.batch_at(t),
        };
        let path = self.root().display();
        if batch > self.last_batch() {
            return Err(NotKnown(format!(
                "store `{path}`: no batch {batch}: the store's last batch is {}",
                self.last_batch()
            )));
        }
        if batch == 0 {
            let first = self.batches().first().map_or_else(
                || "it has no batch yet".to_string(),
                |b| {
                    format!(
                        "the first, batch {}, was committed at {}",
                        b.number(),
                        time(b.committed_at())
                    )
                },
            );
            return Err(NotKnown(match at {
                KnownAt::Batch(_) => {
                    format!("store `{path}`: --as-known-at 0 is before the first batch; {first}")
                }
                KnownAt::Time(t) => {
                    format!(
                        "store `{path}`: no batch was committed by {}; {first}",
                        time(t)
                    )
                }
            }));
        }
        Ok(batch)
    }
}
