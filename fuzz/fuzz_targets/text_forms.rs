//! libFuzzer on [`secmaster_fuzz::text_forms`]: see its docs for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| secmaster_fuzz::text_forms(data));
