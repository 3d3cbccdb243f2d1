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

#[test]
fn display_options_go_before_or_after_the_subcommand() {
    let trail = crate::data("prototype_trail.csv");
    let before = secmaster(&["--width", "60", "build", &trail, "--format", "table"]).ok();
    let after = secmaster(&["build", &trail, "--format", "table", "--width", "60"]).ok();
    assert_eq!(before, after);
    assert!(before.lines().all(|l| l.chars().count() <= 60), "{before}");
}

#[test]
fn demo_flags_do_not_mix_with_subcommands() {
    let err = secmaster(&["-m", "build", "x.csv"]).fails(2);
    assert_eq!(
        err,
        "error: the demo flags -m, -f, -p, -s, -g and --seed apply to the bare command only; \
         subcommands take --update, --asset-class and their own options"
    );
}
