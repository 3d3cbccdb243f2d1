//! The store's example under `examples/` is checked documentation: it is run and its
//! output compared with what its `//!` comment promises (the CLI's tests do the others).

use std::path::PathBuf;
use std::process::Command;

/// Runs an example that `cargo test` built (it builds the crate's examples so that they
/// compile).
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
fn store_as_known_at() {
    let out = run_example("store_as_known_at");
    assert!(
        out.starts_with(
            "batch 1: 15 facts, 3 securities, 0 periods changed\n\
             batch 2: 6 facts, 2 securities, 4 periods changed\n\
             batch 3: 1 fact, 1 security, 2 periods changed\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("\n1            2024-03-01            2024-03-22          110\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "as known after batch 2:\n\
             security_id  effective_start_date  effective_end_date  market_cap\n\
             1            2024-01-01            2024-03-01          null\n\
             1            2024-03-01            2024-03-22          100\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("\n2024-03-01            2024-03-22          110    2024-03-01  3\n"),
        "{out}"
    );
    assert!(
        out.ends_with("as known after each batch equals a build of its prefix: yes\n"),
        "{out}"
    );
}
