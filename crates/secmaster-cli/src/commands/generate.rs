//! `secmaster generate`: a realistic trail written as CSV while it is generated, so any
//! number of facts takes the same memory.

use std::io::Write;

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use secmaster_core::{Fact, Value};
use secmaster_generate::Trail;

use crate::error::Usage;
use crate::output::atomic;
use crate::plan::{Env, Generate};
use crate::progress::Progress;

/// The header of a fact CSV, as the fact readers and the peers expect it.
const HEADER: &str = "security_id,attribute,value,effective_date\n";

/// How many facts are formatted before the buffer goes to the writer.
const CHUNK: usize = 1 << 14;

/// Writes the trail to the plan's file (atomically) or to `out`.
pub(crate) fn run(plan: &Generate, out: &mut dyn Write, env: &Env) -> Result<()> {
    // The generator refuses only its configuration: the arguments.
    let trail = Trail::new(&plan.config)
        .map_err(|e| Usage::new(format!("cannot generate the trail: {e}")))?;
    let progress = Progress::counter(env, plan.config.facts(), "generating".to_string());
    match &plan.path {
        Some(path) => atomic(path, |w| write_csv(w, trail, &progress)),
        None => write_csv(out, trail, &progress),
    }
}

fn write_csv(w: &mut dyn Write, trail: Trail, progress: &Progress) -> Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 64);
    buf.extend_from_slice(HEADER.as_bytes());
    let mut n = 0;
    for fact in trail {
        write_fact(&mut buf, &fact);
        n += 1;
        if n == CHUNK {
            w.write_all(&buf)?;
            buf.clear();
            progress.inc(n as u64);
            n = 0;
        }
    }
    w.write_all(&buf)?;
    progress.inc(n as u64);
    Ok(())
}

/// One CSV record: ISO dates, floats always with a decimal point (so a reader types them as
/// floats), text quoted only when it must be, null as an empty field.
fn write_fact(buf: &mut Vec<u8>, fact: &Fact) {
    // Writing to a Vec cannot fail.
    let _ = write!(buf, "{},", fact.security_id());
    field(buf, fact.attribute());
    buf.push(b',');
    match fact.value() {
        Value::Null => {}
        Value::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => {
            let _ = write!(buf, "{i}");
        }
        Value::Float(x) => {
            let start = buf.len();
            let _ = write!(buf, "{x}");
            let text = &buf[start..];
            if x.is_finite() && !text.iter().any(|&c| c == b'.' || c == b'e') {
                buf.extend_from_slice(b".0");
            }
        }
        Value::Str(s) => {
            if s.is_empty() {
                buf.extend_from_slice(b"\"\"");
            } else {
                field(buf, s);
            }
        }
        Value::Date(d) => date(buf, *d),
    }
    buf.push(b',');
    date(buf, fact.effective_date());
    buf.push(b'\n');
}

fn field(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for c in s.bytes() {
            if c == b'"' {
                buf.push(b'"');
            }
            buf.push(c);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

fn date(buf: &mut Vec<u8>, d: NaiveDate) {
    let (y, m, day) = (d.year(), d.month(), d.day());
    if (0..=9999).contains(&y) {
        let y = y as u32;
        buf.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (day / 10) as u8,
            b'0' + (day % 10) as u8,
        ]);
    } else {
        let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_minimal_csv() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 2).unwrap();
        let mut buf = Vec::new();
        for fact in [
            Fact::new(1, "name", "Blue Energy, Inc.", d),
            Fact::new(2, "benchmark", "S&P 500 \"Equal Weight\"", d),
            Fact::new(3, "coupon", 5.0, d),
            Fact::new(4, "tick_size", 0.0001, d),
            Fact::new(5, "market_cap", 400, d),
            Fact::new(
                6,
                "maturity_date",
                NaiveDate::from_ymd_opt(2054, 12, 31).unwrap(),
                d,
            ),
            Fact::new(7, "x", Value::Null, d),
        ] {
            write_fact(&mut buf, &fact);
        }
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "1,name,\"Blue Energy, Inc.\",2024-03-02\n\
             2,benchmark,\"S&P 500 \"\"Equal Weight\"\"\",2024-03-02\n\
             3,coupon,5.0,2024-03-02\n\
             4,tick_size,0.0001,2024-03-02\n\
             5,market_cap,400,2024-03-02\n\
             6,maturity_date,2054-12-31,2024-03-02\n\
             7,x,,2024-03-02\n"
        );
    }
}
