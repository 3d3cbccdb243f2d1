//! Bad input, corrupt files and usage errors: what is refused, with which message and
//! exit code, and that nothing of the store changes.

use super::*;

// Bad input and corrupt files

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

// Usage errors

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
