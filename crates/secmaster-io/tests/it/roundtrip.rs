//! Rule 11: every format gives back an equal master, for random wide masters.

use proptest::prelude::*;
use secmaster_core::strategy::wide_master;
use secmaster_io::{csv, ipc, parquet};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rule11_arrow_round_trip(master in wide_master(40)) {
        let batch = secmaster_io::arrow::master_to_record_batch(&master);
        prop_assert_eq!(secmaster_io::arrow::master_from_record_batch(&batch).unwrap(), master.clone());
        let table = master.table();
        let back = secmaster_io::arrow::from_record_batch(&secmaster_io::arrow::to_record_batch(&table)).unwrap();
        prop_assert_eq!(back, table);
    }

    #[test]
    fn rule11_ipc_round_trip(master in wide_master(40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.arrow");
        ipc::write_master(&path, &master).unwrap();
        prop_assert_eq!(ipc::read_master(&path).unwrap(), master.clone());
        ipc::write(&path, &master.table()).unwrap();
        prop_assert_eq!(ipc::read(&path).unwrap(), master.table());
    }

    #[test]
    fn rule11_parquet_round_trip(master in wide_master(40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.parquet");
        parquet::write_master(&path, &master).unwrap();
        prop_assert_eq!(parquet::read_master(&path).unwrap(), master.clone());
        parquet::write(&path, &master.table()).unwrap();
        prop_assert_eq!(parquet::read(&path).unwrap(), master.table());
    }

    #[test]
    fn rule11_csv_round_trip(master in wide_master(40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        csv::write_master(&path, &master).unwrap();
        prop_assert_eq!(csv::read_master(&path).unwrap(), master.clone());
        csv::write(&path, &master.table()).unwrap();
        prop_assert_eq!(csv::read(&path).unwrap(), master.table());
        let mut streamed = Vec::new();
        csv::master_to_writer(&mut streamed, &master).unwrap();
        prop_assert_eq!(std::fs::read(&path).unwrap(), streamed);
    }
}
