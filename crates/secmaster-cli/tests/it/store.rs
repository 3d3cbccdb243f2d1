//! The persistent store through the command line: `init`, `ingest`, `log`, `resolve`,
//! `history`, `compact` and a STORE read by `build`. Every test runs the real binary, so
//! crashes, locks and concurrent writers are real processes.
//!
//! The yardstick throughout is rule 6 at the level of files: a store that took batches
//! `f1, f2, …` reads, byte for byte, as `secmaster build f1 f2 …` (and as known after batch
//! k, as a build of the first k files).

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

// ---------------------------------------------------------------------------------------
// 1. Crash safety
// ---------------------------------------------------------------------------------------

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

/// One crash: `committed` files ingested, then an ingest of `crashing` that aborts after
/// `step`, then a normal ingest of `next`.
fn crash_case(step: &str, committed: &[&str], crashing: &str, next: &str) {
    let dir = temp();
    let dir = dir.path();
    prototype_files(dir);
    write(dir, "correction.csv", CORRECTION);
    write(
        dir,
        "next.csv",
        "security_id,attribute,value,effective_date\n3,ticker,ACMX,2024-06-01\n4,ticker,NEW,2024-02-02\n",
    );
    init(dir, "s");
    for file in committed {
        ingest(dir, "s", &[file]);
    }
    let root = dir.join("s");
    let table_before = build(dir, &["s"]);
    assert_eq!(table_before, build(dir, committed));
    let manifest_before = std::fs::read(root.join("manifest.json")).unwrap();

    crashing_ingest(dir, "s", crashing, step);

    // The store reads as exactly the state before the batch, or exactly after: never a mix.
    let survived: Vec<&str> = if step == "manifest" {
        committed.iter().copied().chain([crashing]).collect()
    } else {
        committed.to_vec()
    };
    let manifest_after = std::fs::read(root.join("manifest.json")).unwrap();
    if step == "manifest" {
        assert_ne!(
            manifest_after, manifest_before,
            "{step}: the manifest was committed"
        );
    } else {
        assert_eq!(
            manifest_after, manifest_before,
            "{step}: the manifest is untouched"
        );
        assert_eq!(build(dir, &["s"]), table_before, "{step}");
    }
    assert_eq!(build(dir, &["s"]), build(dir, &survived), "{step}");
    assert_eq!(sources(dir, "s"), survived, "{step}");
    for k in 1..=survived.len() {
        assert_eq!(
            known_at(dir, "s", &k.to_string()),
            build(dir, &survived[..k]),
            "{step}: as known at {k}"
        );
    }
    if step != "manifest" {
        // The aborted ingest left files behind that no manifest lists.
        assert!(
            !data_files(&root).is_subset(&listed(&root)),
            "{step}: {:?}",
            data_files(&root)
        );
    }
    // What a crash in the middle of writing a file leaves: a temporary file beside it.
    for sub in ["log", "state", "table"] {
        write(&root.join(sub), ".secmaster-crashed.tmp", "half a file");
    }

    // The next writer succeeds (the dead writer's lock went with it) and clears the debris.
    let report = ingest(dir, "s", &[next]);
    let number = survived.len() + 1;
    assert!(
        report.starts_with(&format!("batch {number}: added 2 facts")),
        "{report}"
    );
    assert_eq!(data_files(&root), listed(&root), "{step}: leftovers remain");
    let all: Vec<&str> = survived.iter().copied().chain([next]).collect();
    assert_eq!(build(dir, &["s"]), build(dir, &all), "{step}");
    assert_eq!(sources(dir, "s"), all, "{step}");
    for k in 1..=all.len() {
        assert_eq!(
            known_at(dir, "s", &k.to_string()),
            build(dir, &all[..k]),
            "{step}: as known at {k} after recovery"
        );
    }
}

#[test]
fn a_crash_after_writing_the_log_segment_leaves_the_store_as_before() {
    crash_case("log", &["trail.csv"], "update.csv", "next.csv");
}

#[test]
fn a_crash_after_writing_the_state_and_table_leaves_the_store_as_before() {
    crash_case(
        "files",
        &["trail.csv", "update.csv"],
        "correction.csv",
        "next.csv",
    );
}

#[test]
fn a_crash_after_the_manifest_leaves_the_batch_committed() {
    crash_case(
        "manifest",
        &["trail.csv", "update.csv"],
        "correction.csv",
        "next.csv",
    );
}

// ---------------------------------------------------------------------------------------
// 2. Writers: two at once, and the lock
// ---------------------------------------------------------------------------------------

#[test]
fn two_concurrent_ingests_both_commit_one_after_the_other() {
    let dir = temp();
    let dir = dir.path();
    let parts = generated_parts(dir, "g", 5, 30, 2000, 2);
    // Both batches assert the same key with different values, so their order matters.
    let mut a = std::fs::read_to_string(dir.join(&parts[0])).unwrap();
    a.push_str("7,ticker,AAA,2030-01-01\n");
    write(dir, "a.csv", &a);
    let mut b = std::fs::read_to_string(dir.join(&parts[1])).unwrap();
    b.push_str("7,ticker,BBB,2030-01-01\n");
    write(dir, "b.csv", &b);
    let ab = build(dir, &["a.csv", "b.csv"]);
    let ba = build(dir, &["b.csv", "a.csv"]);
    assert_ne!(ab, ba, "the test's batches must not commute");

    init(dir, "s");
    let children: Vec<_> = ["a.csv", "b.csv"]
        .into_iter()
        .map(|f| {
            command(dir, &["ingest", "s", f, "--wait", "--report", "json"])
                .spawn()
                .unwrap()
        })
        .collect();
    let reports: Vec<serde_json::Value> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{out:?}");
            serde_json::from_slice(&out.stdout).unwrap()
        })
        .collect();

    let order = sources(dir, "s");
    assert_eq!(order.len(), 2, "{order:?}");
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, ["a.csv", "b.csv"]);
    // Each process reported the batch number its file got in the log.
    for (file, report) in ["a.csv", "b.csv"].iter().zip(&reports) {
        let number = order.iter().position(|s| s == file).unwrap() + 1;
        assert_eq!(report["batch"], number, "{file}: {report}");
        assert_eq!(report["dry_run"], false);
    }
    let expected = if order[0] == "a.csv" { &ab } else { &ba };
    assert_eq!(&build(dir, &["s"]), expected);
    assert_eq!(known_at(dir, "s", "1"), build(dir, &[order[0].as_str()]));
    let root = dir.join("s");
    assert_eq!(data_files(&root), listed(&root));
}

#[test]
fn a_held_lock_refuses_a_writer_and_wait_waits_for_it() {
    let dir = temp();
    let dir = dir.path();
    let root = one_batch(dir);
    let before = snapshot(&root);

    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(root.join("writer.lock"))
        .unwrap();
    held.lock().unwrap();

    // Without --wait: refused at once, nothing written.
    let err = secmaster_in(dir, &["ingest", "s", "update.csv"]).fails(1);
    assert!(err.contains("locked"), "{err}");
    assert!(err.contains("--wait"), "{err}");
    let err = secmaster_in(dir, &["compact", "s"]).fails(1);
    assert!(err.contains("locked"), "{err}");
    assert_eq!(snapshot(&root), before);
    // Readers never take the lock.
    assert_eq!(build(dir, &["s"]), build(dir, &["trail.csv"]));
    assert_eq!(sources(dir, "s"), ["trail.csv"]);

    // With --wait: blocks until the lock is released, then commits.
    let start = Instant::now();
    let child = command(dir, &["ingest", "s", "update.csv", "--wait"])
        .spawn()
        .unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let released = Instant::now();
        held.unlock().unwrap();
        drop(held);
        released
    });
    let out = child.wait_with_output().unwrap();
    let finished = Instant::now();
    let released = releaser.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        finished >= released,
        "ingest --wait finished {:?} after its start, before the lock was released",
        finished - start
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("batch 2: added 6 facts")
    );
    assert_eq!(sources(dir, "s"), ["trail.csv", "update.csv"]);
    assert_eq!(build(dir, &["s"]), build(dir, &["trail.csv", "update.csv"]));
}

/// A writer paused by the store's pause hook at `step`, and the file that lets it go on.
struct Paused {
    child: std::process::Child,
    go: std::path::PathBuf,
}

impl Paused {
    /// Starts `secmaster ARGS` in `dir`, and returns once it has paused at `step`.
    fn start(dir: &Path, args: &[&str], step: &str) -> Paused {
        let go = dir.join(format!("go-{step}"));
        let child = command(dir, args)
            .env("SECMASTER_STORE_PAUSE_AT", step)
            .env("SECMASTER_STORE_PAUSE_FILE", &go)
            .spawn()
            .unwrap();
        let paused = dir.join(format!("go-{step}.paused"));
        let start = Instant::now();
        while !paused.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never paused at {step}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Paused { child, go }
    }

    /// Lets it go on, and returns what it printed and how it ended.
    fn finish(self) -> Output {
        std::fs::write(&self.go, b"").unwrap();
        self.child.wait_with_output().unwrap()
    }
}

/// Two ingests that both started from the same committed state, as when `writer.lock` is
/// removed while one runs: whichever commits second is refused and commits nothing, and
/// the store holds exactly the other's batch, as a build of its log.
#[test]
fn a_removed_lock_file_loses_no_batch() {
    // The second writer read the store before the first committed, and commits after.
    let dir = temp();
    let dir = dir.path();
    prototype_files(dir);
    init(dir, "s");
    let root = dir.join("s");
    let late = Paused::start(dir, &["ingest", "s", "update.csv"], "start");
    std::fs::remove_file(root.join("writer.lock")).unwrap();
    assert_eq!(
        ingest(dir, "s", &["trail.csv"]),
        "batch 1: added 15 facts about 3 securities (3 new)\n\
         periods: 7 added, 0 split, 0 changed\n\
         new columns: asset_class, ticker, name, gics_industry, gics_sector, interest_rate, \
         market_cap\n"
    );
    let out = late.finish();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: store `s`: another writer committed generation 1 first (was writer.lock \
         removed?); this writer committed nothing\n"
    );
    assert_eq!(sources(dir, "s"), ["trail.csv"]);
    assert_eq!(build(dir, &["s"]), build(dir, &["trail.csv"]));
    assert_eq!(known_at(dir, "s", "1"), build(dir, &["trail.csv"]));
    assert_eq!(data_files(&root), listed(&root));
    secmaster_in(dir, &["verify", "s"]).ok();

    // The first writer is about to commit when the second starts: the second is refused
    // before it writes anything, and the first commits.
    let dir = temp();
    let dir = dir.path();
    prototype_files(dir);
    init(dir, "s");
    let root = dir.join("s");
    let first = Paused::start(dir, &["ingest", "s", "trail.csv"], "commit");
    std::fs::remove_file(root.join("writer.lock")).unwrap();
    let err = secmaster_in(dir, &["ingest", "s", "update.csv"]).fails(1);
    assert_eq!(
        err,
        "error: store `s`: another writer is committing generation 1 (was writer.lock \
         removed?); this writer committed nothing"
    );
    let out = first.finish();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(sources(dir, "s"), ["trail.csv"]);
    assert_eq!(build(dir, &["s"]), build(dir, &["trail.csv"]));
    assert_eq!(data_files(&root), listed(&root));
    secmaster_in(dir, &["verify", "s"]).ok();
}

/// A failure after the manifest's rename (the sync of the store's folder, the removal of a
/// superseded file) does not undo the commit: the command says what happened in a warning
/// and exits 0. A retry of the same batch is refused as a duplicate, unless asked for.
#[test]
fn a_failure_after_the_commit_is_a_warning_and_a_retry_is_refused() {
    let dir = temp();
    let dir = dir.path();
    let root = one_batch(dir);
    write(dir, "correction.csv", CORRECTION);
    let out = command(dir, &["ingest", "s", "update.csv"])
        .env("SECMASTER_STORE_FAIL", "sync")
        .output()
        .unwrap();
    let run = |out: Output| {
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    assert_eq!(
        run(out),
        (
            Some(0),
            "batch 2: added 6 facts about 2 securities (0 new)\n\
             periods: 0 added, 3 split, 4 changed\n\
             new columns: new_key\n"
                .to_string(),
            "warning: batch 2 committed, but syncing `s` failed (injected failure at `sync`): \
             the commit may not survive a power loss\n"
                .to_string()
        )
    );
    assert_eq!(sources(dir, "s"), ["trail.csv", "update.csv"]);

    // The retry a script would make of a failed ingest: refused, nothing written.
    let before = snapshot(&root);
    let err = secmaster_in(dir, &["ingest", "s", "update.csv"]).fails(1);
    assert!(
        err.starts_with(
            "error: batch refused, store `s` unchanged: its facts are those of the last batch, \
             2, committed at "
        ) && err.ends_with("; pass --allow-duplicate to ingest them again"),
        "{err}"
    );
    let err = secmaster_in(dir, &["ingest", "s", "update.csv", "--dry-run"]).fails(1);
    assert!(err.contains("--allow-duplicate"), "{err}");
    assert_eq!(snapshot(&root), before);
    let report = secmaster_in(dir, &["ingest", "s", "update.csv", "--allow-duplicate"]).ok();
    assert!(report.starts_with("batch 3: added 6 facts"), "{report}");
    assert_eq!(
        build(dir, &["s"]),
        build(dir, &["trail.csv", "update.csv", "update.csv"])
    );

    // A compaction whose superseded files cannot be removed is committed all the same.
    let table = build(dir, &["s"]);
    let out = command(dir, &["compact", "s"])
        .env("SECMASTER_STORE_FAIL", "remove")
        .output()
        .unwrap();
    let (code, stdout, stderr) = run(out);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "compacted s\n"),
        "{stderr}"
    );
    assert!(
        stderr.starts_with("warning: compaction committed, but `s/table/000001.parquet`, superseded, could not be removed (injected failure at `remove`); the next writer removes it\n"),
        "{stderr}"
    );
    assert_eq!(build(dir, &["s"]), table);
    assert!(!data_files(&root).is_subset(&listed(&root)));
    secmaster_in(dir, &["verify", "s"]).ok();
    ingest(dir, "s", &["correction.csv"]);
    assert_eq!(data_files(&root), listed(&root));
}

/// `sql STORE --dialect duckdb` prints views over exactly the files the manifest lists:
/// after an ingest that wrote its table file but died before its commit, the uncommitted
/// file (which a glob of `table/*.parquet` would read) is not among them.
#[test]
fn duckdb_views_name_only_committed_files() {
    let dir = temp();
    let dir = dir.path();
    let root = one_batch(dir);
    write(dir, "correction.csv", CORRECTION);
    ingest(dir, "s", &["update.csv"]);
    crashing_ingest(dir, "s", "correction.csv", "files");
    assert!(root.join("table/000003.parquet").is_file());
    let sql = secmaster_in(dir, &["sql", "s", "--dialect", "duckdb"]).ok();
    assert!(
        sql.starts_with(
            "-- The committed state of store `s` (generation 2, batch 2), read from exactly\n"
        ),
        "{sql}"
    );
    let quoted: Vec<&str> = sql.split('\'').skip(1).step_by(2).collect();
    assert_eq!(
        quoted,
        [
            "s/table/000001.parquet",
            "s/table/000002.parquet",
            "s/table/000001.parquet",
            "s/table/000002.parquet",
            "s/log/000001.parquet",
            "s/log/000002.parquet",
        ],
        "{sql}"
    );
    assert!(
        sql.contains("CREATE OR REPLACE VIEW \"security_master\" AS\n")
            && sql.contains("CREATE OR REPLACE VIEW \"security_master_log\" AS\n")
            && sql.contains(
                "SELECT t.\"security_id\", t.\"effective_start_date\", t.\"effective_end_date\", \
                 t.\"asset_class\",\n       t.\"ticker\", t.\"name\", t.\"gics_industry\", \
                 t.\"gics_sector\", t.\"interest_rate\",\n       t.\"market_cap\", \
                 t.\"new_key\"\n"
            ),
        "{sql}"
    );
    let named = secmaster_in(dir, &["sql", "s", "--dialect", "duckdb", "--table", "m"]).ok();
    assert!(named.contains("VIEW \"m\" AS") && named.contains("VIEW \"m_log\" AS"));

    // An empty store: typed views of no rows. Anything but one store: a usage error.
    init(dir, "empty");
    let sql = secmaster_in(dir, &["sql", "empty", "--dialect", "duckdb"]).ok();
    assert!(
        sql.contains(
            "SELECT NULL::BIGINT AS \"security_id\", NULL::DATE AS \"effective_start_date\", \
             NULL::DATE AS \"effective_end_date\" WHERE false;"
        ),
        "{sql}"
    );
    for args in [
        &["sql", "--dialect", "duckdb"][..],
        &["sql", "trail.csv", "--dialect", "duckdb"],
        &["sql", "s", "empty", "--dialect", "duckdb"],
        &["sql", "s", "--as-known-at", "1", "--dialect", "duckdb"],
    ] {
        let err = secmaster_in(dir, args).fails(2);
        assert!(err.contains("--dialect duckdb"), "{args:?}: {err}");
    }
}

/// `--wait-timeout SECONDS` waits for the lock that long, then gives up clearly, having
/// written nothing.
#[test]
fn wait_timeout_gives_up_clearly() {
    let dir = temp();
    let dir = dir.path();
    let root = one_batch(dir);
    let before = snapshot(&root);
    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(root.join("writer.lock"))
        .unwrap();
    held.lock().unwrap();
    let start = Instant::now();
    let err = secmaster_in(dir, &["ingest", "s", "update.csv", "--wait-timeout", "1"]).fails(1);
    let waited = start.elapsed();
    assert_eq!(
        err,
        "error: store `s` is still locked by another writer after waiting 1s; try again later"
    );
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    let err = secmaster_in(dir, &["compact", "s", "--wait-timeout", "0.2"]).fails(1);
    assert_eq!(
        err,
        "error: cannot compact `s`: store `s` is still locked by another writer after waiting \
         200ms; try again later"
    );
    assert_eq!(snapshot(&root), before);
    let run = secmaster_in(
        dir,
        &["ingest", "s", "update.csv", "--wait-timeout", "soon"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--wait-timeout"), "{}", run.stderr);
    held.unlock().unwrap();
    let report = secmaster_in(dir, &["ingest", "s", "update.csv", "--wait-timeout", "5"]).ok();
    assert!(report.starts_with("batch 2: added 6 facts"), "{report}");
}

// ---------------------------------------------------------------------------------------
// 3. A day in the life, on the prototype's files
// ---------------------------------------------------------------------------------------

/// The prototype's trail and update, then CORRECTION, as the store has them after batch 3.
const AFTER_CORRECTION: &str = "\
security_id,effective_start_date,effective_end_date,asset_class,ticker,name,gics_industry,gics_sector,interest_rate,market_cap,new_key
1,2024-01-01,2024-03-01,equity,GRPH,Graphite bio,biotechnology,healthcare,,,
1,2024-03-01,2024-03-22,equity,GRPH,Graphite bio,health sciences,healthcare,,100,
1,2024-03-22,2024-05-23,equity,LNZX,\"Lenz Therapeutics, Inc\",health sciences,healthcare,,100,
1,2024-05-23,2024-05-26,equity,LNZX,\"Lenz Therapeutics, Inc\",health sciences,healthcare,,400,
1,2024-05-26,,equity,LNZX,\"Lenz Therapeutics, Inc\",health sciences,healthcare,,90000,123
2,2023-01-01,2023-03-17,fixed_income,V,,,technology,199,,
2,2023-03-17,2024-05-23,fixed_income,V,,,financials,199,,456
2,2024-05-23,2024-05-26,fixed_income,V,,,financials,199,549000,456
2,2024-05-26,,fixed_income,V,,,financials,199,548000,456
3,2024-01-01,,,ACME,Acme Corp,,,,,
";

/// `history --security 1` after the three batches: who set each value.
const HISTORY_1: &str = "\
effective_start_date,effective_end_date,attribute,value,value_type,set_on,batch
2024-01-01,2024-03-01,asset_class,equity,str,2024-01-01,1
2024-01-01,2024-03-01,ticker,GRPH,str,2024-01-01,1
2024-01-01,2024-03-01,name,Graphite bio,str,2024-01-01,1
2024-01-01,2024-03-01,gics_industry,biotechnology,str,2024-01-01,1
2024-01-01,2024-03-01,gics_sector,healthcare,str,2024-01-01,1
2024-03-01,2024-03-22,asset_class,equity,str,2024-01-01,1
2024-03-01,2024-03-22,ticker,GRPH,str,2024-01-01,1
2024-03-01,2024-03-22,name,Graphite bio,str,2024-01-01,1
2024-03-01,2024-03-22,gics_industry,health sciences,str,2024-03-01,2
2024-03-01,2024-03-22,gics_sector,healthcare,str,2024-01-01,1
2024-03-01,2024-03-22,market_cap,100,int,2024-03-01,2
2024-03-22,2024-05-23,asset_class,equity,str,2024-01-01,1
2024-03-22,2024-05-23,ticker,LNZX,str,2024-03-22,3
2024-03-22,2024-05-23,name,\"Lenz Therapeutics, Inc\",str,2024-03-22,1
2024-03-22,2024-05-23,gics_industry,health sciences,str,2024-03-01,2
2024-03-22,2024-05-23,gics_sector,healthcare,str,2024-01-01,1
2024-03-22,2024-05-23,market_cap,100,int,2024-03-01,2
2024-05-23,2024-05-26,asset_class,equity,str,2024-01-01,1
2024-05-23,2024-05-26,ticker,LNZX,str,2024-03-22,3
2024-05-23,2024-05-26,name,\"Lenz Therapeutics, Inc\",str,2024-03-22,1
2024-05-23,2024-05-26,gics_industry,health sciences,str,2024-03-01,2
2024-05-23,2024-05-26,gics_sector,healthcare,str,2024-01-01,1
2024-05-23,2024-05-26,market_cap,400,int,2024-05-23,1
2024-05-26,,asset_class,equity,str,2024-01-01,1
2024-05-26,,ticker,LNZX,str,2024-03-22,3
2024-05-26,,name,\"Lenz Therapeutics, Inc\",str,2024-03-22,1
2024-05-26,,gics_industry,health sciences,str,2024-03-01,2
2024-05-26,,gics_sector,healthcare,str,2024-01-01,1
2024-05-26,,market_cap,90000,int,2024-05-26,2
2024-05-26,,new_key,123,int,2024-05-26,2
";

/// A store that took the prototype's trail, its update and CORRECTION, in `dir/s`.
fn day_in_the_life(dir: &Path) {
    prototype_files(dir);
    write(dir, "correction.csv", CORRECTION);
    init(dir, "s");
    assert_eq!(
        ingest(dir, "s", &["trail.csv"]),
        "batch 1: added 15 facts about 3 securities (3 new)\n\
         periods: 7 added, 0 split, 0 changed\n\
         new columns: asset_class, ticker, name, gics_industry, gics_sector, interest_rate, \
         market_cap\n"
    );
    assert_eq!(
        ingest(dir, "s", &["update.csv"]),
        "batch 2: added 6 facts about 2 securities (0 new)\n\
         periods: 0 added, 3 split, 4 changed\n\
         new columns: new_key\n"
    );
    let report = ingest(dir, "s", &["correction.csv"]);
    assert!(
        report.starts_with(
            "batch 3: added 2 facts about 2 securities (0 new)\n\
             periods: 0 added, 0 split, 4 changed\n"
        ),
        "{report}"
    );
}

#[test]
fn a_day_in_the_life_log_and_as_known_at() {
    let dir = temp();
    let dir = dir.path();
    day_in_the_life(dir);

    let log = log(dir, "s");
    let summary: Vec<(u64, u64, &str, &str)> = log
        .iter()
        .map(|r| (r.batch, r.facts, r.sources.as_str(), r.log.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, 15, "trail.csv", "log/000001.parquet"),
            (2, 6, "update.csv", "log/000002.parquet"),
            (3, 2, "correction.csv", "log/000003.parquet"),
        ]
    );
    let mut times = Vec::new();
    for row in &log {
        assert_eq!(row.xxh3.len(), 16, "{row:?}");
        assert!(row.xxh3.bytes().all(|c| c.is_ascii_hexdigit()), "{row:?}");
        let t = chrono::DateTime::parse_from_rfc3339(&row.committed_at)
            .unwrap_or_else(|e| panic!("{row:?}: {e}"));
        times.push(t);
    }
    assert!(times.is_sorted(), "{log:?}");

    let files = ["trail.csv", "update.csv", "correction.csv"];
    let current = build(dir, &["s"]);
    assert_eq!(current, AFTER_CORRECTION);
    assert_eq!(current, build(dir, &files));
    for k in 1..=3 {
        assert_eq!(
            known_at(dir, "s", &k.to_string()),
            build(dir, &files[..k]),
            "as known at {k}"
        );
    }
    // Before the first commit the store held no table (a usage error that says when the
    // first batch came: `as_known_at_outside_the_log_and_exit_codes`); long after, all.
    let before = (times[0] - chrono::Duration::seconds(1)).to_rfc3339();
    let err = secmaster_in(dir, &["build", "s", "--as-known-at", &before]).fails(2);
    assert!(err.contains("no batch was committed by"), "{err}");
    assert_eq!(known_at(dir, "s", "2999-12-31T23:59:59Z"), AFTER_CORRECTION);
    assert_eq!(known_at(dir, "s", "2999-12-31"), AFTER_CORRECTION);
    // A store among FACTS merges like any other input: the store, then a file on top.
    assert_eq!(
        build(
            dir,
            &["s", "--as-known-at", "2", "--update", "correction.csv"]
        ),
        AFTER_CORRECTION
    );
}

/// `log` prints each commit time, and `--as-known-at TIME` reads the store as committed by
/// a time; the time `log` shows for a batch should therefore read the store as it stood
/// after that batch.
#[test]
fn as_known_at_the_logged_commit_time_includes_that_batch() {
    let dir = temp();
    let dir = dir.path();
    day_in_the_life(dir);
    let files = ["trail.csv", "update.csv", "correction.csv"];
    for (k, row) in log(dir, "s").iter().enumerate() {
        assert_eq!(
            known_at(dir, "s", &row.committed_at),
            build(dir, &files[..=k]),
            "as known at {} (batch {})",
            row.committed_at,
            row.batch
        );
    }
}

#[test]
fn a_day_in_the_life_resolve_and_history() {
    let dir = temp();
    let dir = dir.path();
    day_in_the_life(dir);
    let header = AFTER_CORRECTION.lines().next().unwrap();

    // As known after the update, LENZ on April 1st is security 1.
    let lenz = |k: &str| {
        secmaster_in(
            dir,
            &[
                "resolve",
                "s",
                "--where",
                "ticker=LENZ",
                "--on",
                "2024-04-01",
                "--as-known-at",
                k,
                "--format",
                "csv",
            ],
        )
    };
    assert_eq!(
        lenz("2").ok(),
        format!(
            "{header}\n1,2024-03-22,2024-05-23,equity,LENZ,\"Lenz Therapeutics, Inc\",\
             health sciences,healthcare,,100,\n"
        )
    );
    assert_eq!(
        lenz("1").ok(),
        "security_id,effective_start_date,effective_end_date,asset_class,ticker,name,\
         gics_industry,gics_sector,interest_rate,market_cap\n\
         1,2024-03-22,2024-05-23,equity,LENZ,\"Lenz Therapeutics, Inc\",biotechnology,\
         healthcare,,\n"
    );
    // The correction says it never was: nobody carried LENZ, then or now.
    let err = lenz("3").fails(1);
    assert_eq!(err, "error: no security carried ticker=LENZ on 2024-04-01");
    let err = secmaster_in(
        dir,
        &[
            "resolve",
            "s",
            "--where",
            "ticker=LENZ",
            "--on",
            "2024-04-01",
        ],
    )
    .fails(1);
    assert_eq!(err, "error: no security carried ticker=LENZ on 2024-04-01");
    assert_eq!(
        secmaster_in(
            dir,
            &[
                "resolve",
                "s",
                "--where",
                "ticker=LNZX",
                "--on",
                "2024-04-01",
                "--columns",
                "ticker,market_cap",
                "--format",
                "csv",
            ],
        )
        .ok(),
        "security_id,effective_start_date,effective_end_date,ticker,market_cap\n\
         1,2024-03-22,2024-05-23,LNZX,100\n"
    );
    // Typed: market_cap is an int column.
    assert_eq!(
        secmaster_in(
            dir,
            &[
                "resolve",
                "s",
                "--where",
                "market_cap=549000",
                "--on",
                "2024-05-24",
                "--columns",
                "ticker",
                "--format",
                "csv",
            ],
        )
        .ok(),
        "security_id,effective_start_date,effective_end_date,ticker\n\
         2,2024-05-23,2024-05-26,V\n"
    );

    // Who set each value: a row from each batch, and the whole of it.
    let history = secmaster_in(dir, &["history", "s", "--security", "1", "--format", "csv"]).ok();
    for row in [
        "2024-01-01,2024-03-01,name,Graphite bio,str,2024-01-01,1",
        "2024-03-01,2024-03-22,market_cap,100,int,2024-03-01,2",
        "2024-03-22,2024-05-23,ticker,LNZX,str,2024-03-22,3",
    ] {
        assert!(history.lines().any(|l| l == row), "{row} not in\n{history}");
    }
    assert_eq!(history, HISTORY_1);
    assert_eq!(
        secmaster_in(dir, &["history", "s", "--security", "3", "--format", "csv"]).ok(),
        "effective_start_date,effective_end_date,attribute,value,value_type,set_on,batch\n\
         2024-01-01,,ticker,ACME,str,2024-01-01,1\n\
         2024-01-01,,name,Acme Corp,str,2024-01-01,3\n"
    );
    let err = secmaster_in(dir, &["history", "s", "--security", "99"]).fails(1);
    assert_eq!(err, "error: store `s` has no facts about security 99");
    // As known after batch 1, every value was batch 1's; security 3's name came in batch 3.
    let history_at = |k: &str, id: &str| {
        secmaster_in(
            dir,
            &[
                "history",
                "s",
                "--security",
                id,
                "--as-known-at",
                k,
                "--format",
                "csv",
            ],
        )
    };
    let at_1 = history_at("1", "1").ok();
    assert!(at_1.lines().skip(1).all(|l| l.ends_with(",1")), "{at_1}");
    assert!(at_1.contains(",ticker,LENZ,str,2024-03-22,1"), "{at_1}");
    assert_eq!(history_at("3", "1").ok(), HISTORY_1);
    assert_eq!(
        history_at("2", "3").ok(),
        "effective_start_date,effective_end_date,attribute,value,value_type,set_on,batch\n\
         2024-01-01,,ticker,ACME,str,2024-01-01,1\n"
    );
    assert!(history_at("4", "1").fails(2).contains("no batch 4"));
}

// ---------------------------------------------------------------------------------------
// 4. Generated trails, batch by batch, with a compaction in the middle
// ---------------------------------------------------------------------------------------

fn generated_trail_batch_by_batch(seed: u64) {
    let dir = temp();
    let dir = dir.path();
    let parts = generated_parts(dir, "f", seed, 30, 3000, 4);
    assert_eq!(parts.len(), 4);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    init(dir, "s");
    let root = dir.join("s");
    for (i, part) in parts.iter().enumerate() {
        let report = ingest(dir, "s", &[part]);
        assert!(
            report.starts_with(&format!("batch {}: added ", i + 1)),
            "{report}"
        );
        assert_eq!(
            build(dir, &["s"]),
            build(dir, &parts[..=i]),
            "seed {seed}, batch {}",
            i + 1
        );
        if i == 1 {
            // A compaction changes files, never what they say.
            let log_before = log(dir, "s");
            let known: Vec<String> = (1..=2)
                .map(|k| known_at(dir, "s", &k.to_string()))
                .collect();
            let current = build(dir, &["s"]);
            assert_eq!(secmaster_in(dir, &["compact", "s"]).ok(), "compacted s\n");
            assert_eq!(data_files(&root), listed(&root));
            let count = |sub: &str| std::fs::read_dir(root.join(sub)).unwrap().count();
            assert_eq!((count("state"), count("table")), (2, 1)); // the state's blocks too
            assert_eq!(build(dir, &["s"]), current);
            for (k, table) in (1..).zip(&known) {
                assert_eq!(
                    &known_at(dir, "s", &k.to_string()),
                    table,
                    "as known at {k}"
                );
            }
            let log_after = log(dir, "s");
            assert_eq!(format!("{log_after:?}"), format!("{log_before:?}"));
            // Compacting a compacted store is a no-op.
            let before = snapshot(&root);
            secmaster_in(dir, &["compact", "s"]).ok();
            assert_eq!(snapshot(&root), before);
        }
    }
    let whole = build(dir, &["s"]);
    assert_eq!(whole, build(dir, &parts));
    assert!(whole.lines().count() > 1000, "{}", whole.lines().count());
    for k in 1..=parts.len() {
        assert_eq!(
            known_at(dir, "s", &k.to_string()),
            build(dir, &parts[..k]),
            "seed {seed}: as known at {k}"
        );
    }
    let log = log(dir, "s");
    assert_eq!(
        log.iter().map(|r| r.sources.as_str()).collect::<Vec<_>>(),
        parts
    );
    let facts: u64 = log.iter().map(|r| r.facts).sum();
    assert_eq!(facts, 3000);
    assert_eq!(data_files(&root), listed(&root));
}

#[test]
fn generated_trail_seed_3_batch_by_batch_equals_a_build() {
    generated_trail_batch_by_batch(3);
}

#[test]
fn generated_trail_seed_11_batch_by_batch_equals_a_build() {
    generated_trail_batch_by_batch(11);
}

// ---------------------------------------------------------------------------------------
// 5. Bad input and corrupt files
// ---------------------------------------------------------------------------------------

#[test]
fn a_refused_batch_changes_no_byte_of_the_store() {
    let dir = temp();
    let dir = dir.path();
    let root = one_batch(dir);
    let before = snapshot(&root);
    let table = build(dir, &["s"]);

    write(
        dir,
        "baddate.csv",
        "security_id,attribute,value,effective_date\n4,ticker,NEW,2024-02-02\n4,name,New,2024-13-45\n",
    );
    let err = secmaster_in(dir, &["ingest", "s", "baddate.csv"]).fails(1);
    // The file, the line, the column and the value (the hint between may vary).
    assert!(
        err.starts_with("error: `baddate.csv`, line 3: column `effective_date`: expected a date")
            && err.ends_with("found `2024-13-45`"),
        "{err}"
    );
    assert_eq!(snapshot(&root), before);

    // A batch of two files is refused whole when its second file is bad.
    write(
        dir,
        "good.csv",
        "security_id,attribute,value,effective_date\n5,ticker,FIVE,2024-02-02\n",
    );
    let err = secmaster_in(dir, &["ingest", "s", "good.csv", "baddate.csv"]).fails(1);
    assert!(err.contains("`baddate.csv`, line 3"), "{err}");
    assert_eq!(snapshot(&root), before);

    // market_cap holds ints in the store; a word is a type conflict (rule 8).
    write(
        dir,
        "conflict.csv",
        "security_id,attribute,value,effective_date\n4,ticker,NEW,2024-02-02\n1,market_cap,lots,2024-06-01\n",
    );
    let err = secmaster_in(dir, &["ingest", "s", "conflict.csv"]).fails(1);
    assert_eq!(
        err,
        "error: batch refused, store `s` unchanged: attribute `market_cap` holds int values but \
         fact (1, market_cap, lots, 2024-06-01) gives a str"
    );
    assert_eq!(snapshot(&root), before);
    let err = secmaster_in(dir, &["ingest", "s", "conflict.csv", "--dry-run"]).fails(1);
    assert!(err.contains("market_cap"), "{err}");
    assert_eq!(snapshot(&root), before);

    assert_eq!(build(dir, &["s"]), table);
    assert_eq!(sources(dir, "s"), ["trail.csv"]);
    // And the store takes the next good batch as batch 2.
    // One fact about one security: singular.
    assert_eq!(
        secmaster_in(dir, &["ingest", "s", "good.csv", "--dry-run"]).ok(),
        "batch 2: would add 1 fact about 1 security (1 new)\n\
         periods: 1 added, 0 split, 0 changed\n\
         dry run: nothing written\n"
    );
    assert_eq!(
        ingest(dir, "s", &["good.csv"]),
        "batch 2: added 1 fact about 1 security (1 new)\nperiods: 1 added, 0 split, 0 changed\n"
    );
    assert_eq!(build(dir, &["s"]), build(dir, &["trail.csv", "good.csv"]));
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

#[test]
fn a_corrupt_state_file_is_named_and_nothing_is_written() {
    let dir = temp();
    let dir = dir.path();
    two_batches(dir);
    let root = dir.join("s");
    flip(&root.join("state/000002.parquet"));
    let before = snapshot(&root);

    let err = secmaster_in(dir, &["build", "s", "--format", "csv"]).fails(1);
    assert!(
        err.starts_with("error: `s/state/000002.parquet` is corrupt: checksum "),
        "{err}"
    );
    let err = secmaster_in(dir, &["ingest", "s", "correction.csv", "--dry-run"]).fails(1);
    assert!(err.contains("`s/state/000002.parquet` is corrupt"), "{err}");
    let err = secmaster_in(dir, &["ingest", "s", "correction.csv"]).fails(1);
    assert!(err.contains("`s/state/000002.parquet` is corrupt"), "{err}");
    assert_eq!(snapshot(&root), before);
    // The log is intact, so the store as known after any batch still reads.
    assert_eq!(
        known_at(dir, "s", "2"),
        build(dir, &["trail.csv", "update.csv"])
    );
}

#[test]
fn a_corrupt_table_file_does_not_stop_a_dry_run() {
    let dir = temp();
    let dir = dir.path();
    two_batches(dir);
    let root = dir.join("s");
    flip(&root.join("table/000003.parquet"));
    let before = snapshot(&root);
    assert_eq!(
        secmaster_in(dir, &["ingest", "s", "correction.csv", "--dry-run"]).ok(),
        "batch 3: would add 2 facts about 2 securities (0 new)\n\
         periods: 0 added, 0 split, 4 changed\n\
         dry run: nothing written\n"
    );
    let json = secmaster_in(
        dir,
        &[
            "ingest",
            "s",
            "correction.csv",
            "--dry-run",
            "--report",
            "json",
        ],
    )
    .ok();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["batch"], 3);
    assert_eq!(report["facts"], 2);
    assert_eq!(snapshot(&root), before);
    // `verify` reads every file and names the corrupt one.
    let err = secmaster_in(dir, &["verify", "s"]).fails(1);
    assert!(err.contains("`s/table/000003.parquet` is corrupt"), "{err}");
    flip(&root.join("table/000003.parquet"));
    let ok = secmaster_in(dir, &["verify", "s"]).ok();
    assert!(ok.starts_with("ok: 6 files, "), "{ok}");
}

/// A batch large enough to compact (its 100,000 facts are the store's first) writes the
/// state file, unless `--no-compact` defers it to `secmaster compact`.
#[test]
fn no_compact_defers_compaction_to_compact() {
    let dir = temp();
    let dir = dir.path();
    let parts = generated_parts(dir, "g", 5, 2000, 100_000, 1);
    let count = |store: &str, sub: &str| {
        std::fs::read_dir(dir.join(store).join(sub))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "parquet")
            .count()
    };
    init(dir, "auto");
    ingest(dir, "auto", &[&parts[0]]);
    assert_eq!(count("auto", "state"), 1);
    init(dir, "deferred");
    secmaster_in(dir, &["ingest", "deferred", "--no-compact", &parts[0]]).ok();
    assert_eq!(count("deferred", "state"), 0);
    assert_eq!(build(dir, &["deferred"]), build(dir, &["auto"]));
    assert_eq!(
        secmaster_in(dir, &["compact", "deferred"]).ok(),
        "compacted deferred\n"
    );
    assert_eq!(count("deferred", "state"), 1);
    assert_eq!(build(dir, &["deferred"]), build(dir, &["auto"]));
}

// ---------------------------------------------------------------------------------------
// 6. Usage errors
// ---------------------------------------------------------------------------------------

#[test]
fn store_usage_errors() {
    let dir = temp();
    let dir = dir.path();
    prototype_files(dir);

    // --as-known-at reads a store; there is none among FACTS.
    let err = secmaster_in(dir, &["build", "trail.csv", "--as-known-at", "1"]).fails(2);
    assert_eq!(
        err,
        "error: --as-known-at reads a store; none of the FACTS is one"
    );
    let run = secmaster_in(dir, &["build", "trail.csv", "--as-known-at", "yesterday"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--as-known-at"), "{}", run.stderr);

    init(dir, "s");
    ingest(dir, "s", &["trail.csv"]);
    let err = secmaster_in(
        dir,
        &["resolve", "s", "--where", "noequals", "--on", "2024-04-01"],
    )
    .fails(2);
    assert_eq!(
        err,
        "error: --where `noequals` is not ATTRIBUTE=VALUE, e.g. --where ticker=LENZ"
    );
    let run = secmaster_in(
        dir,
        &["resolve", "s", "--where", "nope=1", "--on", "2024-04-01"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);

    // init into a directory that holds something: a usage error (the STORE argument names
    // the wrong directory, as for ingest into one that is no store), the directory as it was.
    std::fs::create_dir(dir.join("full")).unwrap();
    write(&dir.join("full"), "keep.txt", "mine");
    let err = secmaster_in(dir, &["init", "full"]).fails(2);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        snapshot(&dir.join("full")).into_keys().collect::<Vec<_>>(),
        ["keep.txt"]
    );
    let before = snapshot(&dir.join("s"));
    let err = secmaster_in(dir, &["init", "s"]).fails(2);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(snapshot(&dir.join("s")), before);
    // An empty directory will do.
    std::fs::create_dir(dir.join("empty")).unwrap();
    init(dir, "empty");

    // A batch the store does not have; a directory that is not a store.
    let err = secmaster_in(dir, &["build", "s", "--as-known-at", "5"]).fails(2);
    assert!(err.contains("no batch 5"), "{err}");
    let err = secmaster_in(dir, &["ingest", "full", "trail.csv"]).fails(2);
    assert!(err.contains("not a secmaster store"), "{err}");
    assert_eq!(
        snapshot(&dir.join("full")).into_keys().collect::<Vec<_>>(),
        ["keep.txt"]
    );
}

/// `--as-known-at` before the first batch says so, naming the first batch's commit time,
/// rather than failing on whatever the empty table lacks; past the last batch likewise.
/// Both are usage errors (exit 2), as a STORE that is no store is; bad data exits 1.
#[test]
fn as_known_at_outside_the_log_and_exit_codes() {
    let dir = temp();
    let dir = dir.path();
    one_batch(dir);
    let first = log(dir, "s")[0].committed_at.clone();
    let err = secmaster_in(
        dir,
        &[
            "build",
            "s",
            "--as-known-at",
            "2000-01-01T00:00:00Z",
            "--columns",
            "market_cap",
        ],
    )
    .fails(2);
    assert_eq!(
        err,
        format!(
            "error: store `s`: no batch was committed by 2000-01-01T00:00:00Z; the first, \
             batch 1, was committed at {first}"
        )
    );
    let err = secmaster_in(dir, &["build", "s", "--as-known-at", "2000-01-01"]).fails(2);
    assert_eq!(
        err,
        format!(
            "error: store `s`: no batch was committed by 2000-01-01T23:59:59.999999999Z; the \
             first, batch 1, was committed at {first}"
        )
    );
    let err = secmaster_in(dir, &["build", "s", "--as-known-at", "0"]).fails(2);
    assert_eq!(
        err,
        format!(
            "error: store `s`: --as-known-at 0 is before the first batch; the first, batch 1, \
             was committed at {first}"
        )
    );
    for args in [
        &["resolve", "s", "--where", "ticker=V", "--on", "2024-01-01"][..],
        &["history", "s", "--security", "1"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--as-known-at", "2000-01-01T00:00:00Z"]);
        let err = secmaster_in(dir, &args).fails(2);
        assert!(
            err.contains("no batch was committed by 2000-01-01T00:00:00Z"),
            "{err}"
        );
        args.truncate(args.len() - 1);
        args.push("5");
        let err = secmaster_in(dir, &args).fails(2);
        assert_eq!(
            err,
            "error: store `s`: no batch 5: the store's last batch is 1"
        );
    }
    let err = secmaster_in(dir, &["build", "s", "--as-known-at", "5"]).fails(2);
    assert_eq!(
        err,
        "error: store `s`: no batch 5: the store's last batch is 1"
    );

    init(dir, "empty");
    let err = secmaster_in(dir, &["build", "empty", "--as-known-at", "2999-01-01"]).fails(2);
    assert_eq!(
        err,
        "error: store `empty`: no batch was committed by 2999-01-01T23:59:59.999999999Z; it \
         has no batch yet"
    );

    // A STORE that is not one; a directory with files to make a store in.
    std::fs::create_dir(dir.join("x")).unwrap();
    let err = secmaster_in(dir, &["ingest", "x", "trail.csv"]).fails(2);
    assert_eq!(
        err,
        "error: store `x`: not a secmaster store (no manifest.json); create one with \
         `secmaster init`"
    );
    assert_eq!(secmaster_in(dir, &["log", "x"]).fails(2), err);
    let err = secmaster_in(dir, &["init", "s"]).fails(2);
    assert_eq!(
        err,
        "error: store `s`: exists and is not empty; a store is created in a new or empty \
         directory"
    );
    let err = secmaster_in(dir, &["generate", "--securities", "0", "--facts", "10"]).fails(2);
    assert_eq!(
        err,
        "error: cannot generate the trail: a generated trail needs at least one security"
    );
    // Bad data: exit 1.
    write(
        dir,
        "bad.csv",
        "security_id,attribute,value,effective_date\n1,market_cap,x,2024-01-01\n",
    );
    secmaster_in(dir, &["ingest", "s", "bad.csv"]).fails(1);
}
