//! The bare command: the prototype's demo on the bundled sample (or a small generated trail),
//! its flags stacking as they did in `python -m hedgineer`.

use std::io::Write;

use anyhow::{Context, Result};
use secmaster_core::{Join, Position, SecurityMaster, Table, sample};
use secmaster_generate::Config;

use crate::args::Dialect;
use crate::files;
use crate::plan::{Demo, Trail};
use crate::render::write_table;

/// The size of `-g`'s trail: small enough to read, large enough for renames and updates.
const GENERATED_SECURITIES: usize = 6;
const GENERATED_FACTS: u64 = 90;
const GENERATED_POSITIONS: usize = 8;

/// Prints each section the flags ask for.
pub(crate) fn run(plan: &Demo, out: &mut dyn Write) -> Result<()> {
    let (mut master, positions, origin) = match plan.trail {
        Trail::Sample => (
            SecurityMaster::build(sample::trail())?,
            sample::positions(),
            String::new(),
        ),
        Trail::Generated { seed } => {
            let config = Config::new(GENERATED_SECURITIES, GENERATED_FACTS).with_seed(seed);
            let trail =
                secmaster_generate::Trail::new(&config).context("cannot generate a trail")?;
            (
                SecurityMaster::build(trail)?,
                secmaster_generate::positions(&config, GENERATED_POSITIONS)?,
                format!(
                    " (generated: {GENERATED_SECURITIES} securities, {GENERATED_FACTS} facts, \
                     --seed {seed})"
                ),
            )
        }
    };
    let filter = match &plan.filter {
        None => String::new(),
        Some(class) => format!(" (asset_class: {})", class.as_deref().unwrap_or("none")),
    };
    section(
        out,
        &format!("Security Master{origin}{filter}"),
        &view(&master, plan),
        plan,
        true,
    )?;
    if plan.merge {
        master.merge(sample::update())?;
        section(
            out,
            &format!("Security Master after Merge{filter}"),
            &view(&master, plan),
            plan,
            false,
        )?;
    }
    if plan.positions {
        section(
            out,
            &format!("Consolidated Position Information{filter}"),
            &joined(&master, &positions, plan),
            plan,
            false,
        )?;
    }
    if plan.sql {
        sql(out, &view(&master, plan))?;
    }
    Ok(())
}

/// The master, or its asset-class view.
fn view(master: &SecurityMaster, plan: &Demo) -> Table {
    match &plan.filter {
        Some(class) => master.asset_class(class.as_deref()),
        None => master.table(),
    }
}

/// The positions joined on the current master, restricted to the class when filtering.
fn joined(master: &SecurityMaster, positions: &[Position], plan: &Demo) -> Table {
    let table = master.join_positions(positions, Join::Inner);
    match &plan.filter {
        Some(class) => table.where_asset_class(class.as_deref()),
        None => table,
    }
}

fn section(
    out: &mut dyn Write,
    title: &str,
    table: &Table,
    plan: &Demo,
    first: bool,
) -> Result<()> {
    if !first {
        writeln!(out)?;
    }
    writeln!(out, "{title}")?;
    write_table(out, table, &plan.display)?;
    Ok(())
}

/// The SQL that writes the table into SQLite, then the round trip's verdict.
fn sql(out: &mut dyn Write, table: &Table) -> Result<()> {
    const NAME: &str = "security_master";
    writeln!(out)?;
    writeln!(out, "SQL (SQLite)")?;
    let text = files::sql_statements(table, Dialect::Sqlite, NAME)?;
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    let back = files::sqlite_round_trip(&text, NAME)?;
    let equal = back == *table;
    writeln!(
        out,
        "Round trip through in-memory SQLite: {} ({} rows written, {} read back)",
        if equal { "equal" } else { "NOT EQUAL" },
        table.num_rows(),
        back.num_rows()
    )?;
    anyhow::ensure!(
        equal,
        "the table read back from SQLite differs from the one written"
    );
    Ok(())
}
