//! Integration tests of secmaster-io: round trips, fact readers and error messages.

mod roundtrip;
mod sql;
