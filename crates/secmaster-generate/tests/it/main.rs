//! Integration tests of secmaster-generate: the shape and determinism of its trails, and the
//! crate's architecture invariants.

mod trail;
