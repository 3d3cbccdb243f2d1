//! The file module: formats by extension, content detection, and every table format.

use secmaster_core::{Join, SecurityMaster, sample};
use secmaster_io::file::{self, Content};
use secmaster_io::{ReadOptions, facts};

use crate::data;

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

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facts.parquet");
    let facts = facts::read(data("audit_trail.csv"), &ReadOptions::default()).unwrap();
    let master = SecurityMaster::build(facts).unwrap();
    file::write_master(&path, &master).unwrap();
    assert_eq!(file::detect(&path).unwrap(), Content::Table);
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
