//! `secmaster build` and `secmaster positions`: files in, a master or joined positions out.

use std::io::Write;

use anyhow::Result;
use secmaster_core::{Join, Value};

use super::{load, narrow, view_master};
use crate::files;
use crate::output::{emit, emit_master};
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
