//! Architecture invariants of the core, checked on its source (rust-analyzer's tidy test).

use std::fs;
use std::path::Path;

fn sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
    assert!(!out.is_empty());
    out
}

#[test]
fn core_does_no_io_and_knows_no_formats_or_cli() {
    let forbidden = [
        "std::fs",
        "std::net",
        "std::io",
        "arrow",
        "parquet",
        "clap",
        "println!",
        "eprintln!",
    ];
    for (path, text) in sources() {
        for word in forbidden {
            assert!(
                !text.contains(word),
                "{path} mentions `{word}`: secmaster-core is pure (no I/O, no formats, no CLI)"
            );
        }
    }
}

#[test]
fn every_source_file_says_what_it_is() {
    for (path, text) in sources() {
        assert!(
            text.starts_with("//!"),
            "{path} does not open with a `//!` line"
        );
    }
}
