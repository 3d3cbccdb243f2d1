//! Generated trails, batch by batch, with a compaction in the middle: always a build.

use super::*;

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
    point_lookups_read_what_the_whole_store_says(dir, &whole, &parts.len().to_string());
}

/// A point lookup and a resolve of the current store read a few pages (the facts of the
/// securities they name, or that the table files say may match); as known at the last
/// batch, they read the whole log. Both must say the same.
fn point_lookups_read_what_the_whole_store_says(dir: &Path, whole: &str, last: &str) {
    let header: Vec<&str> = whole.lines().next().unwrap().split(',').collect();
    let ticker = header.iter().position(|&c| c == "ticker").unwrap();
    let rows: Vec<Vec<&str>> = whole
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let same = |args: &[&str]| {
        let now = secmaster_in(dir, args);
        let known = secmaster_in(dir, &[args, &["--as-known-at", last]].concat());
        assert_eq!(
            (now.code, &now.stdout, &now.stderr),
            (known.code, &known.stdout, &known.stderr),
            "{args:?}"
        );
        now.code
    };
    for row in rows.iter().step_by(97) {
        same(&["build", "s", "--security", row[0], "--format", "csv"]);
        same(&["history", "s", "--security", row[0]]);
        let on = row[1];
        if !row[ticker].is_empty() {
            let found = &format!("ticker={}", row[ticker]);
            assert_eq!(
                same(&[
                    "resolve", "s", "--where", found, "--on", on, "--format", "csv"
                ]),
                0
            );
        }
    }
    same(&["build", "s", "--security", "-1", "--format", "csv"]);
    same(&[
        "resolve",
        "s",
        "--where",
        "ticker=NOPE",
        "--on",
        "2024-01-01",
    ]);
    same(&["resolve", "s", "--where", "nope=1", "--on", "2024-01-01"]);
}

#[test]
fn generated_trail_seed_3_batch_by_batch_equals_a_build() {
    generated_trail_batch_by_batch(3);
}

#[test]
fn generated_trail_seed_11_batch_by_batch_equals_a_build() {
    generated_trail_batch_by_batch(11);
}
