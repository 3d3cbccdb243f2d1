//! `secmaster build` and `secmaster positions`: files in, a master or joined positions out.

use std::io::Write;

use anyhow::Result;
use secmaster_core::Join;

use super::{load, narrow, view_master};
use crate::files;
use crate::output::{emit, emit_joined, emit_master};
use crate::plan::{Build, Env, Positions};
use crate::progress::Progress;

/// Builds the master, takes the view, writes it.
pub(crate) fn run(plan: &Build, out: &mut dyn Write, env: &Env) -> Result<()> {
    let master = load(&plan.source, env)?;
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
