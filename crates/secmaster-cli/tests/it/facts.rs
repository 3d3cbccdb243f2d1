//! `secmaster build` and `secmaster positions` on fact files.
