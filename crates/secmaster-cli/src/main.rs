//! The `secmaster` command line: parse, resolve into a plan, run it, report.
//!
//! Three layers (STYLE.md): `args` holds the clap types, `plan` turns them into a checked
//! plan, `commands` runs one plan writing to an injected writer. Exit codes: 0 on success
//! (and when the reader of stdout goes away; a store's commit that stands, with warnings on
//! stderr about what failed after it), 1 on bad data, 2 on bad usage.

mod args;
mod commands;
mod error;
mod files;
mod output;
mod plan;
mod progress;
mod render;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::error::Outcome;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let env = plan::Env {
        stdout_is_terminal: std::io::stdout().is_terminal(),
        stderr_is_terminal: std::io::stderr().is_terminal(),
        terminal_width: terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = plan::resolve(cli, &env)
        .map_err(anyhow::Error::new)
        .and_then(|plan| commands::run(plan, &mut out, &env))
        .and_then(|warnings| Ok(out.flush().map(|()| warnings)?));
    let err = match result {
        Ok(warnings) => {
            #[allow(clippy::print_stderr)] // main reports
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            return ExitCode::SUCCESS;
        }
        Err(err) => err,
    };
    let outcome = error::outcome(&err);
    if outcome == Outcome::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    drop(out.into_parts());
    #[allow(clippy::print_stderr)] // main reports
    {
        eprintln!("error: {err:#}");
    }
    ExitCode::from(if outcome == Outcome::Usage { 2 } else { 1 })
}
