//! `secmaster sql`: the statements that create and fill a table with the master.

use std::io::Write;

use anyhow::Result;
use secmaster_core::{SecurityMaster, sample};

use super::load;
use crate::files;
use crate::plan::{Env, Sql};

/// Prints the statements for the plan's master (the bundled sample without files).
pub(crate) fn run(plan: &Sql, out: &mut dyn Write, env: &Env) -> Result<()> {
    let master = match &plan.source {
        Some(source) => load(source, env)?,
        None => SecurityMaster::build(sample::trail())?,
    };
    let text = files::sql_statements(&master.table(), plan.dialect, &plan.table)?;
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}
