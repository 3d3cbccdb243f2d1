//! Inputs shared by the io benches: a generated master and its trail as a fact CSV.

// Each bench includes this module and uses only some of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use secmaster_core::{Fact, SecurityMaster, Value};
use secmaster_generate::{Config, Trail};

/// `n`, or a hundredth of it when the benches are smoke-run (`cargo test --benches`, or
/// `cargo bench -- --test`), so that the smoke run stays quick.
pub(crate) fn size(n: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test") {
        n
    } else {
        (n / 100).max(1)
    }
}

/// A bench id for `n` facts: `1m`, `10k`…
pub(crate) fn label(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// The seeded trail of `facts` facts over `facts / 100` securities, as `vs_peers.sh` sizes it.
pub(crate) fn trail(facts: u64) -> Vec<Fact> {
    Trail::new(&Config::new((facts / 100).max(1) as usize, facts).with_seed(42))
        .expect("a valid config")
        .collect()
}

/// The master of [`trail`].
pub(crate) fn master(facts: u64) -> SecurityMaster {
    SecurityMaster::build(trail(facts)).expect("generated trails are well typed")
}

/// Writes `facts` as a fact CSV with a header, the layout `gen_facts.py` writes.
pub(crate) fn write_csv(path: &Path, facts: &[Fact]) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("temp file"));
    writeln!(out, "security_id,attribute,value,effective_date").expect("write");
    for f in facts {
        write!(out, "{},{},", f.security_id(), f.attribute()).expect("write");
        match f.value() {
            Value::Null => {}
            Value::Bool(b) => write!(out, "{b}").expect("write"),
            Value::Int(i) => write!(out, "{i}").expect("write"),
            Value::Float(x) => write!(out, "{x:?}").expect("write"),
            Value::Date(d) => write!(out, "{d}").expect("write"),
            Value::Str(s) if s.contains([',', '"', '\n', '\r']) => {
                write!(out, "\"{}\"", s.replace('"', "\"\"")).expect("write")
            }
            Value::Str(s) => write!(out, "{s}").expect("write"),
        }
        writeln!(out, ",{}", f.effective_date()).expect("write");
    }
    out.flush().expect("flush");
}
