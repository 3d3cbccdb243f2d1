//! `secmaster build` and `secmaster positions`: files in, a master or joined positions out.

use std::io::Write;

use anyhow::Result;
use secmaster_core::{Error as CoreError, Join, SecurityMaster, Value};
use secmaster_io::query::{Query, Selected};

use super::{load, narrow, view_master};
use crate::error::Usage;
use crate::files;
use crate::output::{emit, emit_master, emit_selected};
use crate::plan::{Build, Env, Positions};
use crate::progress::Progress;

/// Builds the master, takes the view, writes it; or, for a view of one master's Parquet
/// file, reads just the view (io's `query`).
pub(crate) fn run(plan: &Build, out: &mut dyn Write, env: &Env) -> Result<()> {
    if let Some(selected) = query(plan)? {
        let _progress = Progress::spinner(env, "writing".to_string());
        return emit_selected(&selected, &plan.output, out);
    }
    let master = match store_lookup(plan)? {
        Some(master) => master,
        None => load(&plan.source, env)?,
    };
    let _progress = Progress::spinner(env, "writing".to_string());
    let result = if plan.view.is_whole() {
        emit_master(&master, &plan.output, out)
    } else {
        view_master(&master, &plan.view).and_then(|table| emit(&table, &plan.output, out))
    };
    // The process ends after this command: freeing a large master fact by fact (millions
    // of histories and strings) would only delay the exit, by about 0.3 s at 10M facts.
    std::mem::forget(master);
    result
}

/// The view of `plan`, read straight from its one file when that is a master's Parquet
/// file and nothing is merged into it; `None` to build the master instead.
fn query(plan: &Build) -> Result<Option<Selected>> {
    let (view, source) = (&plan.view, &plan.source);
    let [path] = &source.facts[..] else {
        return Ok(None);
    };
    let parquet = secmaster_io::Format::from_path(path).ok() == Some(secmaster_io::Format::Parquet);
    if view.is_whole() || !source.updates.is_empty() || source.known_at.is_some() || !parquet {
        return Ok(None);
    }
    let query = Query {
        security: view.security,
        as_of: view.as_of,
        asset_class: view.asset_class.as_ref().map(Option::as_deref),
        columns: &view.columns,
    };
    match secmaster_io::query::parquet(path, &query) {
        Err(secmaster_io::Error::Table {
            source: e @ CoreError::UnknownColumn { .. },
            ..
        }) => Err(Usage::new(format!("--columns: {e}")).into()),
        // Not a master's file (facts, say): the general path reads it, or says why not.
        Err(_) => Ok(None),
        Ok(selected) => Ok(selected),
    }
}

/// For one security of one store as it is now, the master of that security alone, read
/// from the pages that hold its facts; `None` to read the whole store.
fn store_lookup(plan: &Build) -> Result<Option<SecurityMaster>> {
    let (view, source) = (&plan.view, &plan.source);
    match (&source.facts[..], view.security) {
        ([path], Some(id))
            if source.updates.is_empty()
                && source.known_at.is_none()
                && secmaster_store::Store::is_store(path) =>
        {
            Ok(Some(secmaster_store::Store::read(path, |s| {
                s.master_of(&[id])
            })?))
        }
        _ => Ok(None),
    }
}

/// Builds the master, joins the positions as of their dates, takes the view, writes it.
pub(crate) fn run_positions(plan: &Positions, out: &mut dyn Write, env: &Env) -> Result<()> {
    // io's errors name the file and line already.
    let positions = files::read_positions(&plan.positions)?;
    let master = load(&plan.source, env)?;
    let join = if plan.left { Join::Left } else { Join::Inner };
    let mut joined = master.join_positions(&positions, join);
    if let Some(id) = plan.view.security {
        joined = joined.where_security(id);
    }
    if let Some(day) = plan.view.as_of {
        let date = Value::Date(day);
        joined = joined.filter(|row| row[2] == date);
    }
    let table = narrow(joined, &plan.view, true)?;
    let _progress = Progress::spinner(env, "writing".to_string());
    emit(&table, &plan.output, out)
}
