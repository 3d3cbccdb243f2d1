//! libFuzzer on [`secmaster_fuzz::table_parquet`]: see its docs for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(
    // secmaster-io contains the panics arrow-ipc and parquet raise on a damaged file and
    // reports an error; libfuzzer-sys's panic hook would abort on them first. With the
    // default hook back, a panic that escapes still fails the run (libfuzzer-sys aborts
    // after its own catch_unwind).
    init: drop(std::panic::take_hook()),
    |data: &[u8]| secmaster_fuzz::table_parquet(data)
);
