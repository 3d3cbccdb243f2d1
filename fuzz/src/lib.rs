//! The fuzz targets' bodies, one function per target, and the checks they make on whatever
//! a reader accepted. A reader may refuse any input with an error; it may not panic, and
//! what it accepts must behave: a table written back in every format reads back equal
//! (DESIGN.md rule 11), facts build to the master a merge in two batches gives (rule 6), and
//! the fact CSV block reader reads exactly what the record reader reads.
//!
//! `fuzz_targets/*.rs` call these under libFuzzer (`fuzz/run.sh`); the store crate's test
//! `fuzz_corpus` includes this file and replays `fuzz/corpus/` and `fuzz/regressions/`
//! through the same functions in the normal test suite.

use std::path::{Path, PathBuf};

use secmaster_core::{Fact, Options, SecurityMaster, Table};
use secmaster_io::{Format, ReadOptions, csv, facts, file, fuzzing};
use secmaster_store::{Compaction, IngestOptions, Store};

thread_local! {
    /// A folder per thread for the files a target reads and writes, in memory where the
    /// machine has `/dev/shm` (the writers sync every file).
    static SCRATCH: tempfile::TempDir = {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
        dir.expect("a scratch folder")
    };
    /// A store made from `samples/`, once per thread: see [`store_open`].
    static STORE: PathBuf = sample_store();
}

/// This thread's scratch folder.
fn scratch() -> PathBuf {
    SCRATCH.with(|dir| dir.path().to_path_buf())
}

/// Writes `bytes` to the scratch file `name` and returns its path.
fn file_with(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("a scratch file");
    path
}

/// The formats a table is written to and read back from.
const ROUND_TRIP: [Format; 4] = [Format::Parquet, Format::Ipc, Format::Csv, Format::Sqlite];

/// Whether a write failed as documented: the format cannot hold a cell or a name (a SQL
/// name with a NUL character). Any other failure to write what was read is a defect.
fn refused(format: Format, result: secmaster_io::Result<()>) -> bool {
    match result {
        Ok(()) => false,
        Err(
            secmaster_io::Error::Unrepresentable { .. }
            | secmaster_io::Error::UnrepresentableName { .. },
        ) => true,
        Err(e) => panic!("what was read could not be written as {format:?}: {e}"),
    }
}

/// A table a reader accepted is written in every format that can hold it and reads back
/// equal.
fn check_table(table: &Table) {
    for format in ROUND_TRIP {
        let path = scratch().join(format!("back.{}", format.extensions()[0]));
        if !refused(format, file::write_table_as(&path, table, format)) {
            let back = file::read_table(&path)
                .unwrap_or_else(|e| panic!("a table written as {format:?} is unreadable: {e}"));
            assert_eq!(
                &back, table,
                "a table changed on its way through {format:?}"
            );
        }
    }
}

/// A master a reader accepted is written in every format that can hold it and reads back
/// equal.
fn check_master(master: &SecurityMaster) {
    for format in ROUND_TRIP {
        let path = scratch().join(format!("master.{}", format.extensions()[0]));
        if refused(format, file::write_master_as(&path, master, format)) {
            continue;
        }
        let back = file::read_master(&path)
            .unwrap_or_else(|e| panic!("a master written as {format:?} is unreadable: {e}"));
        assert_eq!(
            &back, master,
            "a master changed on its way through {format:?}"
        );
    }
}

/// Facts a reader accepted: built at once, or as two batches merged one after the other,
/// they give the same master or both a refusal (rule 6); a refused merge changes nothing.
fn check_facts(facts: &[Fact]) {
    let whole = SecurityMaster::build(facts.iter().cloned());
    let half = facts.len() / 2;
    let mut merged = SecurityMaster::build(facts[..half].iter().cloned());
    if let Ok(master) = &mut merged {
        let before = master.clone();
        let result = master.merge(facts[half..].iter().cloned());
        if result.is_err() {
            assert_eq!(master, &before, "a refused merge changed the master");
        }
    }
    match (&whole, &merged) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "merge != rebuild"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("a build and a merge disagree: {a:?} vs {b:?}"),
    }
}

/// Reads a table file of any bytes as a table and as a master; checks what reads.
fn table_file(name: &str, data: &[u8]) -> PathBuf {
    let path = file_with(name, data);
    if let Ok(table) = file::read_table(&path) {
        check_table(&table);
    }
    if let Ok(master) = file::read_master(&path) {
        check_master(&master);
    }
    path
}

/// The date layouts [`fact_csv`] picks from.
const LAYOUTS: [Option<&str>; 4] = [None, Some("%Y-%m-%d"), Some("%m/%d/%y"), Some("%d.%m.%Y")];

/// The fact CSV block reader against the record-at-a-time reader it replaced: for any
/// input, block size (the first byte) and depth and date layout (the second), the same
/// facts or the same error.
pub fn fact_csv(data: &[u8]) {
    let [a, b, input @ ..] = data else { return };
    let block = 1 + usize::from(a & 63);
    let depth = 1 + usize::from(b & 3);
    let mut options = ReadOptions::default();
    if let Some(layout) = LAYOUTS[usize::from(b >> 2) % LAYOUTS.len()] {
        options = options.with_date_format(layout);
    }
    let blocks = fuzzing::csv_facts_in_blocks(input, &options, block, depth);
    let records = fuzzing::csv_facts_by_records(input, &options);
    match (&blocks, &records) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "the readers read different facts"),
        (Err(x), Err(y)) => assert_eq!(x.to_string(), y.to_string(), "different errors"),
        _ => panic!("the readers disagree: {blocks:?} vs {records:?}"),
    }
    if let Ok(facts) = blocks {
        check_facts(&facts);
    }
}

/// The JSON Lines fact reader on any input.
pub fn fact_json_lines(data: &[u8]) {
    let options = ReadOptions::default();
    if let Ok(facts) = facts::read_json_lines(data, Path::new("fuzz.jsonl"), &options) {
        check_facts(&facts);
    }
}

/// A Parquet file of any bytes, read as a table, a master and facts.
pub fn table_parquet(data: &[u8]) {
    let path = table_file("input.parquet", data);
    if let Ok(facts) = facts::read(&path, &ReadOptions::default()) {
        check_facts(&facts);
    }
}

/// An Arrow IPC file of any bytes, read as a table and a master.
pub fn table_ipc(data: &[u8]) {
    table_file("input.arrow", data);
}

/// A SQLite file of any bytes, read as a table and a master.
pub fn table_sqlite(data: &[u8]) {
    table_file("input.db", data);
}

/// A CSV table and its schema sidecar of any bytes: the input is the sidecar's length as
/// two little-endian bytes (0xffff: no sidecar), the sidecar, then the CSV.
pub fn table_csv(data: &[u8]) {
    let [lo, hi, rest @ ..] = data else { return };
    let n = usize::from(u16::from_le_bytes([*lo, *hi]));
    let path = scratch().join("input.csv");
    let sidecar = csv::schema_path(&path);
    let table = if n == 0xffff {
        let _ = std::fs::remove_file(&sidecar);
        rest
    } else {
        let (schema, table) = rest.split_at(n.min(rest.len()));
        std::fs::write(&sidecar, schema).expect("a scratch file");
        table
    };
    table_file("input.csv", table);
}

/// A store made from `samples/`: a compacted first batch and an update in the log, so its
/// manifest names state, log and table files.
fn sample_store() -> PathBuf {
    // The fuzz crate is `fuzz/`; the store's test that includes this file is two deeper.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let samples = [here.join("../samples"), here.join("../../samples")]
        .into_iter()
        .find(|dir| dir.join("audit_trail.csv").is_file())
        .expect("the repository's samples/");
    let root = scratch().join("store");
    Store::init(&root, &Options::default()).expect("a store");
    let quick = IngestOptions::default().with_compaction(Compaction::Never);
    let mut writer = Store::lock(&root).expect("the lock");
    writer
        .ingest(&[samples.join("audit_trail.csv")], &quick)
        .expect("the trail");
    writer.compact().expect("a compaction");
    writer
        .ingest(&[samples.join("audit_trail_update.csv")], &quick)
        .expect("the update");
    root
}

/// The manifest of the store [`store_open`] reads, as it was written: the seed to mutate.
pub fn sample_manifest() -> Vec<u8> {
    STORE.with(|root| std::fs::read(root.join("manifest.json")).expect("the manifest"))
}

/// A store whose manifest is any bytes: opening and reading it (master, table, history,
/// verify, a past batch) gives an error or a table; a store that verifies reads its table
/// as its master's.
pub fn store_open(data: &[u8]) {
    let root = STORE.with(Clone::clone);
    std::fs::write(root.join("manifest.json"), data).expect("the manifest");
    let Ok(store) = Store::open(&root) else {
        return;
    };
    let verified = store.verify().is_ok();
    let master = store.master();
    let _ = store.lineage(1);
    let _ = store.master_after(1);
    let _ = store.duckdb_views("security_master");
    if let (true, Ok(master), Ok(table)) = (verified, &master, store.table()) {
        assert_eq!(
            table,
            master.table(),
            "the store's table is not its master's"
        );
    }
}

/// The text forms of values: what reads as a date, an int, a float or a bool gives its
/// value back through the writer's form; a float's form reads back bit for bit (the first
/// 8 bytes as a float); fact dates in any layout (`LAYOUT\nFIRST\nDATE`) parse or not.
pub fn text_forms(data: &[u8]) {
    if let Some(bits) = data.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        let x = f64::from_bits(u64::from_le_bytes(bits));
        let back = fuzzing::parse_float(&fuzzing::format_float(x)).expect("a float's form reads");
        assert_eq!(back.to_bits(), x.to_bits());
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(d) = fuzzing::parse_date(s) {
        assert_eq!(fuzzing::parse_date(&fuzzing::format_date(d)), Some(d));
    }
    if let Some(i) = fuzzing::parse_int(s) {
        // An int is read only from the one text it writes as: typing loses no text.
        assert_eq!(i.to_string(), s);
        assert_eq!(fuzzing::parse_decimal(s), Some(i as f64));
    }
    if let Some(x) = fuzzing::parse_decimal(s) {
        assert!(x.is_finite());
        assert_eq!(fuzzing::parse_float(s).map(f64::to_bits), Some(x.to_bits()));
    }
    if let Some(x) = fuzzing::parse_float(s) {
        let back = fuzzing::parse_float(&fuzzing::format_float(x)).expect("a float's form reads");
        assert_eq!(back.to_bits(), x.to_bits());
    }
    if let Some(b) = fuzzing::parse_bool(s) {
        assert!(s.eq_ignore_ascii_case(&b.to_string()));
    }
    let mut parts = s.splitn(3, '\n');
    if let (Some(layout), Some(first), Some(date)) = (parts.next(), parts.next(), parts.next()) {
        let options = ReadOptions::default().with_date_format(layout);
        let _ = fuzzing::parse_fact_date(&options, first, date);
        let _ = fuzzing::parse_fact_date(&ReadOptions::default(), first, date);
    }
}

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target by name, for the replay of the corpus.
pub const TARGETS: [(&str, Target); 8] = [
    ("fact_csv", fact_csv),
    ("fact_json_lines", fact_json_lines),
    ("table_parquet", table_parquet),
    ("table_ipc", table_ipc),
    ("table_csv", table_csv),
    ("table_sqlite", table_sqlite),
    ("store_open", store_open),
    ("text_forms", text_forms),
];
