//! Bench sizes: full under `cargo bench`, a hundredth when the benches are smoke-run as tests
//! (`cargo test --benches`, as CI does), so the smoke run is quick even in a debug build.

/// `n`, or `n / 100` when not run by `cargo bench`.
pub(crate) fn size(n: u64) -> u64 {
    if std::env::args().any(|a| a == "--bench") {
        n
    } else {
        (n / 100).max(1)
    }
}

/// A bench id for `n` facts or positions: `100k`, `1m`, `10k`…
pub(crate) fn label(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
