//! libFuzzer on [`secmaster_fuzz::store_open`]: see its docs for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| secmaster_fuzz::store_open(data));
