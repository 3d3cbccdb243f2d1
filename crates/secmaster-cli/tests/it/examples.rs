//! The examples under `examples/` are checked documentation: each is run and its output
//! compared with what its `//!` comment promises.

use std::path::PathBuf;
use std::process::Command;

/// Runs an example that `cargo test` built (it builds every example so that they compile).
fn run_example(name: &str) -> String {
    let deps = std::env::current_exe().unwrap();
    let dir: PathBuf = deps.parent().unwrap().parent().unwrap().join("examples");
    let exe = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.exists(),
        "{} is not built; run `cargo test`",
        exe.display()
    );
    let out = Command::new(&exe).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn build_and_merge() {
    let out = run_example("build_and_merge");
    assert!(out.starts_with("built: 3 securities, 7 rows\n"), "{out}");
    assert!(out.contains("\nmerged: 3 securities, 10 rows\n"), "{out}");
    assert!(out.contains(&crate::MERGED_MASTER.to_string()), "{out}");
    assert!(out.ends_with("merge equals rebuild: yes\n"), "{out}");
}

#[test]
fn positions_as_of() {
    let out = run_example("positions_as_of");
    assert!(out.starts_with("inner join: 6 of 7 positions\n"), "{out}");
    assert!(out.contains("\nleft join: 7 of 7 positions\n"), "{out}");
    assert!(
        out.contains("\n1            50        2023-12-29  null\n"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "\
as of 2024-04-01: 3 securities
security_id  effective_start_date  effective_end_date  ticker  market_cap
1            2024-03-22            2024-05-23          LENZ    null
2            2023-03-17            2024-05-23          V       null
3            2024-01-01            null                ACME    null
"
        ),
        "{out}"
    );
}

#[test]
fn parquet_round_trip() {
    let out = run_example("parquet_round_trip");
    assert!(
        out.starts_with("built: 200 securities, 5000 facts in force, "),
        "{out}"
    );
    assert!(out.contains("\n  coupon                 float\n"), "{out}");
    assert!(out.contains("\n  maturity_date          date\n"), "{out}");
    assert!(out.ends_with("read back equals written: yes\n"), "{out}");
}
