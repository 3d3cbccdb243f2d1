//! libFuzzer on [`secmaster_fuzz::table_ipc`]: see its docs for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(
    // secmaster-io catches the panics arrow-ipc raises on a damaged file and reports an
    // error; libfuzzer-sys's hook would abort on them first. With the default hook back, a
    // panic that escapes still fails the run (libfuzzer-sys aborts after its own catch).
    init: drop(std::panic::take_hook()),
    |data: &[u8]| secmaster_fuzz::table_ipc(data)
);
