//! `secmaster sql`: the statements that create and fill a table with the master, or, for
//! DuckDB, the views over a store's committed files.

use std::io::Write;

use anyhow::Result;
use secmaster_core::{SecurityMaster, sample};
use secmaster_store::Store;

use super::load;
use crate::args::Dialect;
use crate::error::Usage;
use crate::files;
use crate::plan::{Env, Sql};

/// Prints the statements for the plan's master (the bundled sample without files).
pub(crate) fn run(plan: &Sql, out: &mut dyn Write, env: &Env) -> Result<()> {
    if plan.dialect == Dialect::Duckdb {
        return duckdb(plan, out);
    }
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

/// Prints DuckDB views over the committed files of the plan's one store.
fn duckdb(plan: &Sql, out: &mut dyn Write) -> Result<()> {
    let store = match &plan.source {
        Some(s) if s.facts.len() == 1 && s.updates.is_empty() && s.known_at.is_none() => {
            &s.facts[0]
        }
        _ => {
            return Err(Usage::new(
                "--dialect duckdb prints views over the committed files of one STORE; give one \
                 STORE, without --update or --as-known-at",
            )
            .into());
        }
    };
    if !Store::is_store(store) {
        return Err(Usage::new(format!(
            "--dialect duckdb reads a STORE; `{}` is not one",
            store.display()
        ))
        .into());
    }
    out.write_all(Store::open(store)?.duckdb_views(&plan.table).as_bytes())?;
    Ok(())
}
