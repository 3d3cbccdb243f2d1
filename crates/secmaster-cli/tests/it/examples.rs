//! The examples under `examples/` are run and their output checked.
