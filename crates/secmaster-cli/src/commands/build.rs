//! `secmaster build` and `secmaster positions`: files in, a master or joined positions out.

use std::io::Write;

use anyhow::Result;
use secmaster_core::{Error as CoreError, Join, SecurityMaster};
use secmaster_io::query::{Query, Selected};

use super::{load, narrow, view_master};
use crate::error::Usage;
use crate::files;
use crate::output::{emit, emit_joined, emit_master, emit_selected};
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

/// Builds the master while the positions are read, joins them as of their dates, takes the
/// view, writes it. The join is columnar (`secmaster_io::joined`): `--security` and
/// `--as-of` select positions before it, and the output is gathered a batch at a time
/// straight into the file; only `--asset-class` and `--columns`, which look at the whole
/// output, and the text table copy it into a `Table` first.
pub(crate) fn run_positions(plan: &Positions, out: &mut dyn Write, env: &Env) -> Result<()> {
    // io's errors name the file and line already.
    let (positions, master) = rayon::join(
        || files::read_positions(&plan.positions),
        || load(&plan.source, env),
    );
    let (mut positions, master) = (positions?, master?);
    let view = &plan.view;
    if view.security.is_some() || view.as_of.is_some() {
        positions = positions.filter(|id, date| {
            view.security.is_none_or(|s| s == id) && view.as_of.is_none_or(|d| d == date)
        });
    }
    let join = if plan.left { Join::Left } else { Join::Inner };
    let joined = secmaster_io::joined::join(&master, &positions, join);
    let result = if view.asset_class.is_none() && view.columns.is_empty() {
        let _progress = Progress::spinner(env, "writing".to_string());
        emit_joined(&joined, &plan.output, out)
    } else {
        narrow(joined.to_table(), view, true).and_then(|table| {
            let _progress = Progress::spinner(env, "writing".to_string());
            emit(&table, &plan.output, out)
        })
    };
    drop(joined);
    // As in `run`: the process ends next, so the master is not freed fact by fact.
    std::mem::forget(master);
    result
}
