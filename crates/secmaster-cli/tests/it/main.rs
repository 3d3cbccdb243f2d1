//! Integration tests of the `secmaster` binary: each spawns the real executable and checks
//! its stdout, stderr, exit code and files.

mod convert;
mod demo;
mod errors;
mod examples;
mod facts;
mod generate;
mod help;
mod readme;
mod store;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What a run printed and how it ended.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) code: i32,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub(crate) fn ok(self) -> String {
        assert_eq!(
            self.code, 0,
            "stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        self.stdout
    }

    /// Asserts exit code `code`, nothing on stdout, and one line on stderr; returns it.
    #[track_caller]
    pub(crate) fn fails(self, code: i32) -> String {
        assert_eq!(
            self.code, code,
            "stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one line expected: {}",
            self.stderr
        );
        self.stderr.trim_end().to_string()
    }
}

fn from(output: Output) -> Run {
    Run {
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        code: output.status.code().expect("exited"),
    }
}

/// Runs `secmaster` with `args` in `dir`.
pub(crate) fn secmaster_in(dir: &Path, args: &[&str]) -> Run {
    from(
        Command::new(env!("CARGO_BIN_EXE_secmaster"))
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("secmaster runs"),
    )
}

/// Runs `secmaster` with `args` in the test data directory.
pub(crate) fn secmaster(args: &[&str]) -> Run {
    secmaster_in(&data_dir(), args)
}

/// The directory of the test inputs.
pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// A test input's path, as a string for the command line.
pub(crate) fn data(name: &str) -> String {
    data_dir()
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_string()
}

/// A fresh temporary directory.
pub(crate) fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// A path in `dir`, as a string.
pub(crate) fn path(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path()
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_string()
}

/// The files in `dir`, by name, sorted.
pub(crate) fn files(dir: &tempfile::TempDir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The sample master as the table format prints it (README's first output).
pub(crate) const SAMPLE_MASTER: &str = "\
security_id  effective_start_date  effective_end_date  asset_class   ticker  name                    gics_industry  gics_sector  interest_rate  market_cap
1            2024-01-01            2024-03-22          equity        GRPH    Graphite bio            biotechnology  healthcare   null           null
1            2024-03-22            2024-05-23          equity        LENZ    Lenz Therapeutics, Inc  biotechnology  healthcare   null           null
1            2024-05-23            null                equity        LENZ    Lenz Therapeutics, Inc  biotechnology  healthcare   null           400
2            2023-01-01            2023-03-17          fixed_income  V       null                    null           technology   199            null
2            2023-03-17            2024-05-23          fixed_income  V       null                    null           financials   199            null
2            2024-05-23            null                fixed_income  V       null                    null           financials   199            549000
3            2024-01-01            null                null          ACME    null                    null           null         null           null
";

/// The sample master after merging the bundled update (DESIGN.md rule 6, not the
/// prototype's cascade).
pub(crate) const MERGED_MASTER: &str = "\
security_id  effective_start_date  effective_end_date  asset_class   ticker  name                    gics_industry    gics_sector  interest_rate  market_cap  new_key
1            2024-01-01            2024-03-01          equity        GRPH    Graphite bio            biotechnology    healthcare   null           null        null
1            2024-03-01            2024-03-22          equity        GRPH    Graphite bio            health sciences  healthcare   null           100         null
1            2024-03-22            2024-05-23          equity        LENZ    Lenz Therapeutics, Inc  health sciences  healthcare   null           100         null
1            2024-05-23            2024-05-26          equity        LENZ    Lenz Therapeutics, Inc  health sciences  healthcare   null           400         null
1            2024-05-26            null                equity        LENZ    Lenz Therapeutics, Inc  health sciences  healthcare   null           90000       123
2            2023-01-01            2023-03-17          fixed_income  V       null                    null             technology   199            null        null
2            2023-03-17            2024-05-23          fixed_income  V       null                    null             financials   199            null        456
2            2024-05-23            2024-05-26          fixed_income  V       null                    null             financials   199            549000      456
2            2024-05-26            null                fixed_income  V       null                    null             financials   199            548000      456
3            2024-01-01            null                null          ACME    null                    null             null         null           null        null
";
