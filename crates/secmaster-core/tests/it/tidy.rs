//! Architecture invariants of the core, checked on its source (rust-analyzer's tidy test).

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, however deep, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    // The walk went into the folders: `master/` holds the master's submodules.
    assert!(
        out.iter().any(|(p, _)| p.ends_with("master/mod.rs")),
        "{out:?}"
    );
    out
}

#[test]
fn core_does_no_io_starts_no_threads_and_knows_no_formats_or_cli() {
    // Parallel work runs on rayon's pool, which the caller controls; never on threads of
    // the core's own.
    let forbidden = [
        "std::fs",
        "std::io",
        "std::net",
        "std::process",
        "std::thread",
        "arrow",
        "parquet",
        "clap",
        "println!",
        "eprintln!",
        "print!",
        "eprint!",
        "dbg!",
    ];
    for (path, text) in sources() {
        for word in forbidden {
            assert!(
                !text.contains(word),
                "{} mentions `{word}`: secmaster-core is pure (no I/O, no threads of its own, \
                 no formats, no CLI)",
                path.display()
            );
        }
    }
}

#[test]
fn every_source_file_says_what_it_is() {
    for (path, text) in sources() {
        assert!(
            text.starts_with("//!"),
            "{} does not open with a `//!` line",
            path.display()
        );
    }
}
