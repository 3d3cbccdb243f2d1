//! The fuzz targets' inputs as regression tests: every seed (`fuzz/seeds/`), corpus entry
//! (`fuzz/corpus/`) and fixed finding (`fuzz/regressions/`) of each target, run through the
//! target's body (`fuzz/src/lib.rs`, included here) as libFuzzer runs it, without libFuzzer.
//! A panic names the input.

use std::path::Path;

#[allow(unreachable_pub, dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod fuzz;

/// Runs every input of `target` through its body; fails naming each input that panics.
fn replay(target: &str) {
    let (_, body) = fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a target");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut inputs = Vec::new();
    for folder in ["seeds", "corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder).join(target)) else {
            continue;
        };
        inputs.extend(entries.map(|e| e.expect("a folder entry").path()));
    }
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "{target} has no seeds: run fuzz/seeds.sh"
    );
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("an input");
            std::panic::catch_unwind(|| body(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} fails on {failed:#?}");
}

macro_rules! replays {
    ($($target:ident),* $(,)?) => {$(
        #[test]
        fn $target() {
            replay(stringify!($target));
        }
    )*};
}

replays!(
    fact_csv,
    fact_json_lines,
    table_parquet,
    table_ipc,
    table_csv,
    table_sqlite,
    store_open,
    text_forms,
);

/// The list above is every target's.
#[test]
fn every_target_is_replayed() {
    let listed = include_str!("fuzz_corpus.rs");
    for (name, _) in fuzz::TARGETS {
        assert!(
            listed.contains(&format!("    {name},\n")),
            "{name} is not replayed"
        );
    }
}

/// The committed seed manifest (its times and sources aside) names the files the store the target builds holds, so the
/// fuzzer starts from a store that opens and verifies; a changed writer fails this until
/// `fuzz/seeds.sh` is run again.
#[test]
fn the_store_seed_is_the_sample_stores_manifest() {
    let without_times = |bytes: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("a manifest");
        for batch in v["batches"].as_array_mut().expect("batches") {
            batch["committed_at"] = serde_json::Value::Null;
            batch["sources"] = serde_json::Value::Null;
        }
        v
    };
    let seed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/store_open/manifest.json");
    assert_eq!(
        without_times(&std::fs::read(seed).expect("the seed")),
        without_times(&fuzz::sample_manifest()),
        "run fuzz/seeds.sh"
    );
}
