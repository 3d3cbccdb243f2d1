//! Integration tests of secmaster-store: ingest, as-known-at, lineage, refusals, corruption,
//! and the crate's architecture invariants.

mod examples;
mod store;
mod writers;
