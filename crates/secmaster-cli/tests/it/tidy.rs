//! The workspace's invariants that no one crate can check alone (ARCHITECTURE.md), read off
//! every source file of every crate, `src/**`: each file says what it is; only the CLI's
//! `main.rs` prints or exits; parallel work runs on rayon alone; rule 8 (how types mix)
//! is decided in one place, the core's `value.rs`. Each crate's own tidy test adds its
//! own bans (the core's: no I/O).

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

/// Each crate's `src/**` files, with their path from the workspace root and their text
/// before the unit tests (`#[cfg(test)]`), which may do what the library may not.
fn library_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap() {
        let krate = krate.unwrap().path();
        for path in sources(&krate.join("src")) {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = match text.find("#[cfg(test)]") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            let name = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((name, code));
        }
    }
    assert!(out.len() > 40, "found only {} source files", out.len());
    out
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
