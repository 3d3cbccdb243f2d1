//! The architecture invariants of every crate (ARCHITECTURE.md), read off the source files
//! under each crate's `src/`, however deep (rust-analyzer's tidy test), in one place: each
//! file says what it is; only the CLI's `main.rs` prints or exits; parallel work runs on
//! rayon alone; rule 8 (how types mix) is decided in the core alone; and each crate's own
//! bans (the core and the generator do no I/O, io and the store only translate and store,
//! the generator calls no libm).

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The `src/**` files of the crates whose folder name contains `krate` (every crate for
/// `""`), each with its path from the workspace root and its whole text.
fn crate_sources(krate: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.file_name().unwrap().to_string_lossy().contains(krate) {
            continue;
        }
        for path in sources(&dir.join("src")) {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((name, text));
        }
    }
    assert!(
        out.len() > 1,
        "found only {} source files of `{krate}`",
        out.len()
    );
    out
}

/// Each crate's `src/**` files, with only their text before the unit tests
/// (`#[cfg(test)]`), which may do what the library may not.
fn library_sources() -> Vec<(String, String)> {
    let out: Vec<(String, String)> = crate_sources("")
        .into_iter()
        .map(|(name, text)| {
            let code = match text.find("#[cfg(test)]") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            (name, code)
        })
        .collect();
    assert!(out.len() > 40, "found only {} source files", out.len());
    // The walk went into the folders.
    assert!(out.iter().any(|(n, _)| n.ends_with("master/mod.rs")));
    out
}

/// Asserts that no file of `files` mentions any of `words` anywhere, comments included,
/// saying `why` otherwise.
#[track_caller]
fn assert_none(files: &[(String, String)], words: &[&str], why: &str) {
    let found: Vec<String> = files
        .iter()
        .flat_map(|(name, text)| {
            words
                .iter()
                .filter(|w| text.contains(*w))
                .map(move |w| format!("{name} mentions `{w}`"))
        })
        .collect();
    assert!(found.is_empty(), "{why}: {found:#?}");
}

/// The places where a file breaks a ban: one line per file and word of `words` it uses,
/// unless its path contains one of `allowed`.
fn uses(files: &[(String, String)], words: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, code) in files {
        if allowed.iter().any(|a| name.contains(a)) {
            continue;
        }
        for word in words {
            if code
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains(word))
            {
                found.push(format!("{name} uses `{word}`"));
            }
        }
    }
    found
}

#[test]
fn every_source_file_says_what_it_is() {
    let missing: Vec<String> = library_sources()
        .into_iter()
        .filter(|(_, code)| !code.starts_with("//!"))
        .map(|(name, _)| name)
        .collect();
    assert!(missing.is_empty(), "no `//!` line: {missing:?}");
}

#[test]
fn only_the_cli_main_prints_or_ends_the_process() {
    let files = library_sources();
    let found = uses(
        &files,
        &["println!", "eprintln!", "print!(", "eprint!(", "dbg!("],
        &["secmaster-cli/src/main.rs"],
    );
    assert!(found.is_empty(), "{found:#?}");
    // The store's crash hook aborts, but only in test builds (its `fault-injection`
    // feature), to prove a crash at any step leaves a readable store.
    let found = uses(
        &files,
        &["process::exit", "process::abort", "abort()"],
        &["secmaster-cli/src/main.rs", "secmaster-store/src/fault.rs"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn parallel_work_runs_on_rayon_alone() {
    // One mechanism, so a caller caps every crate's threads with one rayon pool and nested
    // work does not oversubscribe. The CLI's progress bar ticks on a thread of its own,
    // which does no work.
    let found = uses(
        &library_sources(),
        &["available_parallelism", "thread::scope", "thread::spawn"],
        &["secmaster-cli/src/progress.rs"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn rule8_is_decided_in_the_core_alone() {
    // Rule 8's one decision is which type two types make together; `ValueType::unify`
    // makes it, and the core applies it. Anywhere else, a match on a pair of numeric types
    // is that rule written again.
    let pairs = [
        "(ValueType::Int, ValueType::Float)",
        "(ValueType::Float, ValueType::Int)",
        "(Int, Float)",
        "(Float, Int)",
        "Some(ValueType::Int), Some(ValueType::Float)",
        "Some(ValueType::Float), Some(ValueType::Int)",
    ];
    let found = uses(&library_sources(), &pairs, &["secmaster-core/src/"]);
    assert!(found.is_empty(), "{found:#?}");
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
    assert_none(
        &crate_sources("secmaster-core"),
        &forbidden,
        "secmaster-core is pure (no I/O, no threads of its own, no formats, no CLI)",
    );
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
    assert_none(
        &crate_sources("secmaster-generate"),
        &forbidden,
        "secmaster-generate only makes values",
    );
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
    let code: Vec<(String, String)> = crate_sources("secmaster-generate")
        .into_iter()
        .map(|(name, text)| (name, text.split("#[cfg(test)]").next().unwrap().to_string()))
        .collect();
    assert_none(
        &code,
        &libm,
        "libm's last bits differ between platforms, so a trail would too; use integer \
         arithmetic or + - * /",
    );
}

#[test]
fn io_translates_and_never_prints_or_parses_arguments() {
    let forbidden = [
        "println!",
        "print!(",
        "eprint",
        "dbg!",
        "clap",
        "anyhow",
        "std::process",
    ];
    assert_none(
        &crate_sources("secmaster-io"),
        &forbidden,
        "io only translates",
    );
}

#[test]
fn the_store_never_prints_or_parses_arguments() {
    let forbidden = ["println!", "print!(", "eprint", "dbg!", "clap", "anyhow"];
    assert_none(
        &crate_sources("secmaster-store"),
        &forbidden,
        "the store reports through its return values",
    );
}

/// The crash hook is the one place the store may abort the process, and it is built only
/// with the `fault-injection` feature (`cargo build --release` leaves it out).
#[test]
fn only_the_feature_gated_crash_hook_aborts() {
    let gated = "#[cfg(feature = \"fault-injection\")]\nmod hook {";
    let checked: Vec<(String, String)> = crate_sources("secmaster-store")
        .into_iter()
        .map(|(path, text)| {
            let checked = match text.find(gated) {
                Some(at) if path.ends_with("fault.rs") => {
                    let hook = &text[at..];
                    let end = hook.find("\n}\n").expect("the hook module ends");
                    format!("{}{}", &text[..at], &hook[end..])
                }
                _ => text,
            };
            (path, checked)
        })
        .collect();
    assert_none(
        &checked,
        &["std::process", "abort("],
        "only the feature-gated crash hook may end the process",
    );
}
