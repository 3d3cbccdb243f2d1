//! Writers: two at once, the lock, a lock file removed under a writer, failures after the
//! commit, the wait for another writer, and what other tools are given to read.

use super::*;

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
        stderr.starts_with("warning: compaction committed, but `s/table/000001.parquet`, no longer needed, could not be removed (injected failure at `remove`); the next writer removes it\n"),
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
