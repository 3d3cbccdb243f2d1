//! The persistent store through the command line: `init`, `ingest`, `log`, `resolve`,
//! `history`, `compact` and a STORE read by `build`. Every test runs the real binary, so
//! crashes, locks and concurrent writers are real processes.
//!
//! The yardstick throughout is rule 6 at the level of files: a store that took batches
//! `f1, f2, …` reads, byte for byte, as `secmaster build f1 f2 …` (and as known after batch
//! k, as a build of the first k files).

mod crash;
mod day;
mod errors;
mod generated;
mod writers;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{data, secmaster_in, temp};

/// The crash-test hook of `secmaster ingest` (secmaster_store::CRASH_AFTER), built into
/// the binary by the `fault-injection` feature that `cargo test` turns on.
const CRASH_AFTER: &str = "SECMASTER_STORE_CRASH_AFTER";

/// The late correction of the day in the life: security 1 was never LENZ, it was LNZX, and
/// security 3 gets a name.
const CORRECTION: &str = "\
security_id,attribute,value,effective_date
1,ticker,LNZX,2024-03-22
3,name,Acme Corp,2024-01-01
";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// `secmaster build ARGS --format csv` in `dir`, which must succeed.
#[track_caller]
fn build(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "csv"]);
    secmaster_in(dir, &all).ok()
}

/// `secmaster build STORE --as-known-at K --format csv`.
#[track_caller]
fn known_at(dir: &Path, store: &str, k: &str) -> String {
    build(dir, &[store, "--as-known-at", k])
}

/// `secmaster ingest STORE FILES` in `dir`, which must succeed.
#[track_caller]
fn ingest(dir: &Path, store: &str, files: &[&str]) -> String {
    let mut all = vec!["ingest", store];
    all.extend_from_slice(files);
    secmaster_in(dir, &all).ok()
}

/// A new store `name` in `dir`.
#[track_caller]
fn init(dir: &Path, name: &str) {
    assert_eq!(
        secmaster_in(dir, &["init", name]).ok(),
        format!("created store {name}\n")
    );
}

/// The command `secmaster ARGS` in `dir`, not yet run, without the crash hook.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secmaster"));
    c.args(args)
        .current_dir(dir)
        .env_remove(CRASH_AFTER)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Every file under `root`, by relative path, with its bytes.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The files under `log/`, `state/` and `table/` of the store at `root`.
fn data_files(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for dir in ["log", "state", "table"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            out.insert(format!("{dir}/{name}"));
        }
    }
    out
}

/// The files the manifest of the store at `root` lists: log segments, state (and its block
/// digests) and table.
fn listed(root: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let path = |e: &serde_json::Value| e["path"].as_str().unwrap().to_string();
    let mut out = BTreeSet::new();
    for batch in manifest["batches"].as_array().unwrap() {
        out.insert(path(&batch["log"]));
    }
    if !manifest["state"].is_null() {
        out.insert(path(&manifest["state"]));
        out.insert(path(&manifest["state"]["blocks"]));
    }
    out.extend(manifest["table"].as_array().unwrap().iter().map(path));
    out
}

/// One row of `secmaster log --format csv`.
#[derive(Debug)]
struct LogRow {
    batch: u64,
    committed_at: String,
    facts: u64,
    sources: String,
    log: String,
    xxh3: String,
}

/// `secmaster log STORE --format csv`, parsed (the tests' file names hold no comma).
#[track_caller]
fn log(dir: &Path, store: &str) -> Vec<LogRow> {
    let out = secmaster_in(dir, &["log", store, "--format", "csv"]).ok();
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("batch,committed_at,facts,sources,log,xxh3")
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 6, "{line}");
            LogRow {
                batch: f[0].parse().unwrap(),
                committed_at: f[1].to_string(),
                facts: f[2].parse().unwrap(),
                sources: f[3].to_string(),
                log: f[4].to_string(),
                xxh3: f[5].to_string(),
            }
        })
        .collect()
}

/// The sources of each batch of the store's log, in order.
#[track_caller]
fn sources(dir: &Path, store: &str) -> Vec<String> {
    log(dir, store).into_iter().map(|r| r.sources).collect()
}

/// Copies the prototype's trail and update into `dir` as `trail.csv` and `update.csv`.
fn prototype_files(dir: &Path) {
    std::fs::copy(data("prototype_trail.csv"), dir.join("trail.csv")).unwrap();
    std::fs::copy(data("prototype_update.csv"), dir.join("update.csv")).unwrap();
}

/// `secmaster generate` of `facts` facts about `securities` securities, split into `parts`
/// files `{prefix}1.csv`, … each with the header; returns their names.
fn generated_parts(
    dir: &Path,
    prefix: &str,
    seed: u64,
    securities: usize,
    facts: usize,
    parts: usize,
) -> Vec<String> {
    let all = format!("{prefix}all.csv");
    let (securities, facts, seed) = (securities.to_string(), facts.to_string(), seed.to_string());
    secmaster_in(
        dir,
        &[
            "generate",
            "--securities",
            &securities,
            "--facts",
            &facts,
            "--seed",
            &seed,
            "-o",
            &all,
        ],
    )
    .ok();
    let text = std::fs::read_to_string(dir.join(&all)).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let size = rows.len().div_ceil(parts);
    rows.chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            let name = format!("{prefix}{}.csv", i + 1);
            write(dir, &name, &format!("{header}\n{}\n", chunk.join("\n")));
            name
        })
        .collect()
}

/// Runs `secmaster ingest STORE FILE` with the crash hook at `step` and checks that the
/// process died of its abort, not of an error.
#[track_caller]
fn crashing_ingest(dir: &Path, store: &str, file: &str, step: &str) {
    let output: Output = command(dir, &["ingest", store, file])
        .env(CRASH_AFTER, step)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "ingest with {CRASH_AFTER}={step} should have aborted: {:?}",
        output
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(6), // SIGABRT: std::process::abort, not an error exit
            "{CRASH_AFTER}={step}: {output:?}"
        );
    }
}

/// Flips one bit in the middle of `path`.
fn flip(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(path, bytes).unwrap();
}

/// A store with the prototype's trail as its one batch, in `dir/s`; returns its root.
fn one_batch(dir: &Path) -> std::path::PathBuf {
    prototype_files(dir);
    init(dir, "s");
    ingest(dir, "s", &["trail.csv"]);
    dir.join("s")
}

/// A store with the prototype's trail and update as two batches, in `dir/s`: the trail
/// compacted into `state/000002.parquet` and `table/000002.parquet`, the update in its log
/// segment and the table delta `table/000003.parquet`.
fn two_batches(dir: &Path) {
    prototype_files(dir);
    write(dir, "correction.csv", CORRECTION);
    init(dir, "s");
    ingest(dir, "s", &["trail.csv"]);
    secmaster_in(dir, &["compact", "s"]).ok();
    ingest(dir, "s", &["update.csv"]);
    let root = dir.join("s");
    for file in [
        "state/000002.parquet",
        "table/000002.parquet",
        "table/000003.parquet",
    ] {
        assert!(root.join(file).is_file(), "{file}");
    }
}
