//! README's command-line tour runs as written: every `$ secmaster …` line of its console
//! blocks is run, in order, from a scratch copy of the project root's `samples/`, through a
//! terminal (`script`, so tables print as on a screen), and must print what README shows.
//!
//! A command's shown output is the lines after it up to the next `$` line or the block's
//! end; stdout and stderr are compared together, as a terminal shows them. Commit times
//! (`2026-11-27T10:25:27.017Z`) are masked on both sides. A command whose output starts with
//! `error:` must fail; every other command must succeed.

use std::path::Path;
use std::process::{Command, Stdio};

/// One `$ …` line of README and what it shows.
#[derive(Debug)]
struct Step {
    line: usize,
    command: String,
    shown: String,
}

/// The `$` commands of README's fenced blocks, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut fenced = false;
    let mut current: Option<Step> = None;
    for (i, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
            steps.extend(current.take());
            continue;
        }
        if !fenced {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            steps.extend(current.take());
            current = Some(Step {
                line: i + 1,
                command: command.to_string(),
                shown: String::new(),
            });
        } else if let Some(step) = &mut current {
            step.shown.push_str(line);
            step.shown.push('\n');
        }
    }
    steps
}

/// Text as compared: no carriage returns, trailing blanks or blank last lines (README
/// separates commands with them), commit times masked.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for line in text.replace('\r', "").lines() {
        out.push_str(&mask_times(line.trim_end()));
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

/// Replaces each RFC 3339 time of the form `2026-11-27T10:25:27.017Z` with `<time>`.
fn mask_times(line: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd.dddZ";
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= SHAPE.len()
            && SHAPE.iter().zip(&bytes[i..]).all(|(&s, &b)| match s {
                b'd' => b.is_ascii_digit(),
                _ => s == b,
            });
        if fits {
            out.push_str("<time>");
            i += SHAPE.len();
        } else {
            let c = line[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Copies the files of `from` into `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn readme_tour_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let steps = steps(&readme);
    assert!(
        steps.len() >= 20,
        "README's tour has {} commands; the parser lost them",
        steps.len()
    );
    let dir = crate::temp();
    copy_dir(&root.join("samples"), &dir.path().join("samples"));
    let bin = Path::new(env!("CARGO_BIN_EXE_secmaster")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for step in &steps {
        assert!(
            step.command.starts_with("secmaster"),
            "README line {}: the tour runs secmaster, not `{}`",
            step.line,
            step.command
        );
        // `script` gives the command a terminal of its own, as a reader's shell would.
        let output = Command::new("script")
            .args(["-qec", &step.command, "/dev/null"])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("SHELL", "/bin/sh")
            .stdin(Stdio::null())
            .output()
            .expect("script (util-linux) runs");
        let printed = normalize(&String::from_utf8_lossy(&output.stdout));
        let shown = normalize(&step.shown);
        assert_eq!(
            printed, shown,
            "README line {}: `$ {}` printed (left) something else than README shows (right)",
            step.line, step.command
        );
        let should_fail = shown.starts_with("error:");
        assert_eq!(
            !output.status.success(),
            should_fail,
            "README line {}: `$ {}` exited with {}",
            step.line,
            step.command,
            output.status
        );
    }
}

#[test]
fn times_are_masked_and_steps_split_at_dollars() {
    assert_eq!(
        mask_times("1      2026-11-27T10:25:27.017Z  15"),
        "1      <time>  15"
    );
    let steps = steps("text\n```\n$ secmaster a\nout 1\nout 2\n$ secmaster b\n```\n$ not\n");
    assert_eq!(steps.len(), 2);
    assert_eq!((steps[0].line, &*steps[0].shown), (3, "out 1\nout 2\n"));
    assert_eq!((&*steps[1].command, &*steps[1].shown), ("secmaster b", ""));
}
