//! `secmaster convert`: a table file in one format to another, losslessly (DESIGN.md rule 11).

use std::io::Write;

use anyhow::Result;

use crate::files;
use crate::output::emit;
use crate::plan::Convert;

/// Reads the input table and writes it in the output's format.
pub(crate) fn run(plan: &Convert, out: &mut dyn Write) -> Result<()> {
    // io's errors name the file already.
    let table = files::read_table(&plan.input)?;
    emit(&table, &plan.output, out)
}
