//! `secmaster convert`: a table file in one format to another, losslessly (DESIGN.md rule 11).

use std::io::Write;

use anyhow::{Context, Result};

use crate::files;
use crate::output::emit;
use crate::plan::Convert;

/// Reads the input table and writes it in the output's format.
pub(crate) fn run(plan: &Convert, out: &mut dyn Write) -> Result<()> {
    let table = files::read_table(&plan.input, plan.input_format)
        .with_context(|| format!("cannot read {}", plan.input.display()))?;
    emit(&table, &plan.output, out)
}
