//! Architecture invariants of secmaster-store, checked on its source.

use std::fs;
use std::path::Path;

fn sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: Vec<(String, String)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| (p.display().to_string(), fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() > 3);
    out
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

#[test]
fn the_store_never_prints_or_parses_arguments() {
    for (path, text) in sources() {
        for word in ["println!", "print!(", "eprint", "dbg!", "clap", "anyhow"] {
            assert!(
                !text.contains(word),
                "{path} mentions `{word}`: the store reports through its return values"
            );
        }
    }
}

/// The crash hook is the one place the store may abort the process, and it is built only
/// with the `fault-injection` feature (`cargo build --release` leaves it out).
#[test]
fn only_the_feature_gated_crash_hook_aborts() {
    for (path, text) in sources() {
        let gated = "#[cfg(feature = \"fault-injection\")]\nmod hook {";
        let checked = match text.find(gated) {
            Some(at) if path.ends_with("fault.rs") => {
                let hook = &text[at..];
                let end = hook.find("\n}\n").expect("the hook module ends");
                format!("{}{}", &text[..at], &hook[end..])
            }
            _ => text,
        };
        for word in ["std::process", "abort("] {
            assert!(
                !checked.contains(word),
                "{path} mentions `{word}` outside the feature-gated crash hook"
            );
        }
    }
}
