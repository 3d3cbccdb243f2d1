//! Crash safety: an ingest aborted after each step leaves the store as before it, or
//! with the batch committed, never a mix; the next writer clears the debris.

use super::*;

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
