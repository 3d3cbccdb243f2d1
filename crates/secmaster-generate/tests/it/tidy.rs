//! Architecture invariants of the generator, checked on its source (rust-analyzer's tidy
//! test): it does no I/O and starts no threads, and nothing that decides a generated value
//! calls libm, whose last bits differ between platforms.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its text.
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
    assert!(out.len() > 1);
    out
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

#[test]
fn the_generator_does_no_io_and_starts_no_threads() {
    let forbidden = [
        "std::fs",
        "std::io",
        "std::net",
        "std::process",
        "std::thread",
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
                "{} mentions `{word}`: secmaster-generate only makes values",
                path.display()
            );
        }
    }
}

#[test]
fn generated_values_use_no_libm() {
    // The tests at the bottom of a file may compare with libm; the code above them may not.
    let libm = [
        ".exp(",
        ".exp2(",
        ".exp_m1(",
        ".ln(",
        ".ln_1p(",
        ".log(",
        ".log2(",
        ".log10(",
        ".powf(",
        ".powi(",
        ".sqrt(",
        ".cbrt(",
        ".hypot(",
        ".sin(",
        ".cos(",
        ".tan(",
        ".sin_cos(",
        ".asin(",
        ".acos(",
        ".atan(",
        ".atan2(",
        ".sinh(",
        ".cosh(",
        ".tanh(",
        ".mul_add(",
    ];
    for (path, text) in sources() {
        let code = text.split("#[cfg(test)]").next().unwrap();
        for call in libm {
            assert!(
                !code.contains(call),
                "{} calls `{call}`: its last bits differ between platforms, so a trail would \
                 too; use integer arithmetic or + - * /",
                path.display()
            );
        }
    }
}
