//! `--help`, `--version` and completions.

use crate::secmaster;

#[test]
fn every_subcommand_has_help_with_an_example() {
    for sub in [
        "build",
        "positions",
        "generate",
        "convert",
        "sql",
        "completions",
    ] {
        let out = secmaster(&[sub, "--help"]).ok();
        assert!(out.contains("Examples:\n  secmaster "), "{sub}: {out}");
    }
    let out = secmaster(&["--help"]).ok();
    assert!(out.contains("Examples:\n  secmaster "), "{out}");
    for flag in [
        "--merge",
        "--filter",
        "--positions",
        "--sql",
        "--generate",
        "--seed",
    ] {
        assert!(out.contains(flag), "{flag}");
    }
}

#[test]
fn version_and_completions() {
    assert!(secmaster(&["--version"]).ok().starts_with("secmaster "));
    let bash = secmaster(&["completions", "bash"]).ok();
    assert!(bash.contains("_secmaster()"), "{bash}");
    assert!(
        secmaster(&["completions", "zsh"])
            .ok()
            .contains("#compdef secmaster")
    );
}

#[test]
fn unknown_arguments_are_usage_errors() {
    for args in [
        &["--nope"][..],
        &["build"],
        &["frobnicate"],
        &["-f"],
        &["-m", "build", "x.csv"],
    ] {
        let run = secmaster(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}
