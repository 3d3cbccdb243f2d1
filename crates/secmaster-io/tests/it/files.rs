//! The file module: formats by extension, content detection, and every table format.

use secmaster_core::{Join, SecurityMaster, sample};
use secmaster_io::file::{self, Content};
use secmaster_io::{ReadOptions, facts};

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, StringArray};

use crate::{batch, data, write_parquet};

fn sample_master() -> SecurityMaster {
    let mut master = SecurityMaster::build(sample::trail()).unwrap();
    master.merge(sample::update()).unwrap();
    master
}

#[test]
fn every_table_format_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let master = sample_master();
    let joined = master.join_positions(&sample::positions(), Join::Left);
    for ext in ["parquet", "arrow", "csv", "db"] {
        let path = dir.path().join(format!("m.{ext}"));
        file::write_master(&path, &master).unwrap();
        assert_eq!(file::read_master(&path).unwrap(), master, "{ext}");
        assert_eq!(file::detect(&path).unwrap(), Content::Table, "{ext}");
        let path = dir.path().join(format!("joined.{ext}"));
        file::write_table(&path, &joined).unwrap();
        assert_eq!(file::read_table(&path).unwrap(), joined, "{ext}");
    }
    // JSON Lines is output only.
    let path = dir.path().join("m.jsonl");
    file::write_master(&path, &master).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count(),
        master.num_rows()
    );
    assert!(file::read_master(&path).is_err());
}

#[test]
fn detect_tells_facts_positions_and_tables_apart() {
    assert_eq!(
        file::detect(data("audit_trail.csv")).unwrap(),
        Content::Facts
    );
    assert_eq!(
        file::detect(data("audit_trail_iso.csv")).unwrap(),
        Content::Facts
    );
    assert_eq!(
        file::detect(data("audit_trail.jsonl")).unwrap(),
        Content::Facts
    );
    assert_eq!(
        file::detect(data("positions.csv")).unwrap(),
        Content::Positions
    );

    // In Parquet, a master's table and a fact file are told apart by their columns.
    let dir = tempfile::tempdir().unwrap();
    let facts = facts::read(data("audit_trail.csv"), &ReadOptions::default()).unwrap();
    let master = SecurityMaster::build(facts.clone()).unwrap();
    let path = dir.path().join("master.parquet");
    file::write_master(&path, &master).unwrap();
    assert_eq!(file::detect(&path).unwrap(), Content::Table);
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(
        facts.iter().map(|f| f.security_id()),
    ));
    let attrs: ArrayRef = Arc::new(StringArray::from_iter_values(
        facts.iter().map(|f| f.attribute()),
    ));
    let values: ArrayRef = Arc::new(StringArray::from_iter_values(
        facts.iter().map(|f| f.value().to_string()),
    ));
    let dates: ArrayRef = Arc::new(StringArray::from_iter_values(
        facts.iter().map(|f| f.effective_date().to_string()),
    ));
    let path = dir.path().join("facts.parquet");
    write_parquet(
        &path,
        &batch(vec![
            ("security_id", ids),
            ("attribute", attrs),
            ("value", values),
            ("effective_date", dates),
        ]),
    );
    assert_eq!(file::detect(&path).unwrap(), Content::Facts);
    // A table without secmaster metadata, keys first, is still a table.
    let plain = dir.path().join("plain.parquet");
    let b = secmaster_io::arrow::to_record_batch(&master.table());
    let bare = b
        .schema()
        .as_ref()
        .clone()
        .with_metadata(std::collections::HashMap::<String, String>::new());
    let stripped = arrow_array::RecordBatch::try_new(Arc::new(bare), b.columns().to_vec()).unwrap();
    write_parquet(&plain, &stripped);
    assert_eq!(file::detect(&plain).unwrap(), Content::Table);
    assert_eq!(file::read_master(&plain).unwrap(), master);
}

#[test]
fn the_master_csv_is_readable_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    file::write_master(&path, &SecurityMaster::build(sample::trail()).unwrap()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().take(3).collect();
    assert_eq!(
        lines,
        [
            "security_id,effective_start_date,effective_end_date,asset_class,ticker,name,gics_industry,gics_sector,interest_rate,market_cap",
            "1,2024-01-01,2024-03-22,equity,GRPH,Graphite bio,biotechnology,healthcare,,",
            "1,2024-03-22,2024-05-23,equity,LENZ,\"Lenz Therapeutics, Inc\",biotechnology,healthcare,,",
        ]
    );
    let sidecar = std::fs::read_to_string(secmaster_io::csv::schema_path(&path)).unwrap();
    assert!(sidecar.starts_with(r#"{"format":"secmaster-table","version":1,"key_columns":3,"priority":["asset_class","ticker","name"],"columns":[{"name":"security_id","type":"int"}"#));
}

#[test]
fn a_custom_priority_survives_every_format() {
    use secmaster_core::Options;
    let options = Options::default().with_priority(["name", "market_cap"]);
    let mut master = SecurityMaster::build_with(options.clone(), sample::trail()).unwrap();
    master.merge(sample::update()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for ext in ["parquet", "arrow", "csv", "db"] {
        let path = dir.path().join(format!("m.{ext}"));
        file::write_master(&path, &master).unwrap();
        let mut back = file::read_master(&path).unwrap();
        assert_eq!(back.options(), &options, "{ext}");
        assert_eq!(back, master, "{ext}");
        // A later merge places a new attribute by the same priority.
        let d = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        let later = [secmaster_core::Fact::new(3, "aaa", 1, d)];
        back.merge(later.clone()).unwrap();
        let mut expected = master.clone();
        expected.merge(later).unwrap();
        assert_eq!(back, expected, "{ext}");
    }
}

#[test]
fn a_csv_and_a_sidecar_written_apart_are_refused_not_misread() {
    use secmaster_io::csv;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    let sidecar = csv::schema_path(&path);
    let old = SecurityMaster::build(sample::trail()).unwrap();
    let new = sample_master(); // one more column, new_key
    csv::write_master(&path, &old).unwrap();
    let (old_csv, old_schema) = (
        std::fs::read(&path).unwrap(),
        std::fs::read(&sidecar).unwrap(),
    );
    csv::write_master(&path, &new).unwrap();
    let (new_csv, new_schema) = (
        std::fs::read(&path).unwrap(),
        std::fs::read(&sidecar).unwrap(),
    );
    assert_eq!(csv::read_master(&path).unwrap(), new);

    // A crash between the two renames: each half of the pair from another write.
    let expected = format!(
        "`{}`: invalid schema: it describes another version of `{}` (the length or XXH3 \
         differs): the two were not written together; write them again, or remove the \
         sidecar to read the CSV typed by its values",
        sidecar.display(),
        path.display()
    );
    for (csv_bytes, schema_bytes) in [(&old_csv, &new_schema), (&new_csv, &old_schema)] {
        std::fs::write(&path, csv_bytes).unwrap();
        std::fs::write(&sidecar, schema_bytes).unwrap();
        assert_eq!(csv::read_master(&path).unwrap_err().to_string(), expected);
        assert_eq!(csv::read(&path).unwrap_err().to_string(), expected);
    }
    // The same length, other bytes: found by the digest.
    std::fs::write(&sidecar, &new_schema).unwrap();
    let mut edited = new_csv.clone();
    let at = edited.iter().rposition(|&b| b == b'4').unwrap();
    edited[at] = b'5';
    std::fs::write(&path, &edited).unwrap();
    assert_eq!(csv::read(&path).unwrap_err().to_string(), expected);

    // A sidecar from before digests still reads its CSV.
    std::fs::write(&path, &new_csv).unwrap();
    let text = String::from_utf8(new_schema.clone()).unwrap();
    let start = text.find(",\"data\":").expect("the sidecar names its CSV");
    let end = start + text[start..].find('}').unwrap() + 1;
    std::fs::write(&sidecar, format!("{}{}", &text[..start], &text[end..])).unwrap();
    assert_eq!(csv::read_master(&path).unwrap(), new);
}
