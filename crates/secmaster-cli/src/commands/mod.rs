//! One `run` per command; each writes its result to the injected writer (or the file its plan
//! names) and returns errors with the context a user needs.

mod build;
mod convert;
mod demo;
mod generate;
mod serve;
mod sql;
mod store;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use secmaster_core::{Error as CoreError, SecurityMaster, Table};

use crate::error::Usage;
use crate::files::{self, Input};
use crate::plan::{Env, Plan, Source, View};
use crate::progress::Progress;

/// Runs a plan, writing to `out`; returns the warnings to print on stderr (what went wrong
/// after a store's commit, which stands).
pub(crate) fn run(plan: Plan, out: &mut dyn Write, env: &Env) -> Result<Vec<String>> {
    let done = match plan {
        Plan::Demo(p) => demo::run(&p, out),
        Plan::Build(p) => build::run(&p, out, env),
        Plan::Positions(p) => build::run_positions(&p, out, env),
        Plan::Generate(p) => generate::run(&p, out, env),
        Plan::Convert(p) => convert::run(&p, out),
        Plan::Sql(p) => sql::run(&p, out, env),
        Plan::Init(p) => store::init(&p, out),
        Plan::Ingest(p) => return store::ingest(&p, out, env),
        Plan::Log(p) => store::log(&p, out),
        Plan::Resolve(p) => store::resolve(&p, out, env),
        Plan::History(p) => store::history(&p, out),
        Plan::Compact { store, wait } => return store::compact(&store, wait, out),
        Plan::Verify(store) => store::verify(&store, out),
        Plan::Serve(p) => serve::run(&p, out),
        Plan::Completions(shell) => {
            let mut command = <crate::args::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "secmaster", out);
            Ok(())
        }
    };
    done.map(|()| Vec::new())
}

/// Builds the master of `source`: its files as one trail, in order, then each update merged.
///
/// Each file after the first is read knowing the columns so far, so a value is typed the way
/// its attribute already is; by rule 6, merging the files one by one is building from all.
pub(crate) fn load(source: &Source, env: &Env) -> Result<SecurityMaster> {
    let progress = Progress::spinner(env, String::new());
    let mut master: Option<SecurityMaster> = None;
    let mut stores = 0;
    for path in &source.facts {
        progress.set_message(format!("reading {}", path.display()));
        if secmaster_store::Store::is_store(path) {
            stores += 1;
            let known = store::master(path, source.known_at)?;
            master = Some(match master {
                None => known,
                Some(mut m) => {
                    let context = || format!("cannot merge store `{}`", path.display());
                    m.merge(known.facts().collect::<Vec<_>>())
                        .with_context(context)?;
                    m
                }
            });
            continue;
        }
        master = Some(add(master, path, "cannot build the master from")?);
    }
    if stores == 0 && source.known_at.is_some() {
        return Err(Usage::new("--as-known-at reads a store; none of the FACTS is one").into());
    }
    let mut master = master.unwrap_or_default();
    for path in &source.updates {
        progress.set_message(format!("merging {}", path.display()));
        master = add(Some(master), path, "cannot merge")?;
    }
    Ok(master)
}

fn add(master: Option<SecurityMaster>, path: &Path, what: &str) -> Result<SecurityMaster> {
    let context = || format!("{what} `{}`", path.display());
    let input = files::read_input(path, master.as_ref())?;
    // Facts are taken in a consecutive part of the file per thread of rayon's pool (which
    // RAYON_NUM_THREADS caps).
    let cores = rayon::current_num_threads();
    Ok(match (master, input) {
        (master, Input::Facts(facts)) => {
            let mut m = master.unwrap_or_default();
            m.merge_parts(facts.into_parts(cores))
                .with_context(context)?;
            m
        }
        (None, Input::Master(m)) => m,
        (Some(mut m), Input::Master(other)) => {
            m.merge(other.facts().collect::<Vec<_>>())
                .with_context(context)?;
            m
        }
    })
}

/// The master's table as `view` selects it: one security, one day, one asset class, some
/// columns.
pub(crate) fn view_master(master: &SecurityMaster, view: &View) -> Result<Table> {
    let table = match (view.security, view.as_of) {
        (Some(id), None) => master.history(id),
        (None, Some(day)) => master.as_of(day),
        (Some(id), Some(day)) => master.as_of(day).where_security(id),
        (None, None) if view.asset_class.is_some() => {
            master.asset_class(view.asset_class.as_ref().and_then(|c| c.as_deref()))
        }
        (None, None) => master.table(),
    };
    narrow(table, view, view.security.is_some() || view.as_of.is_some())
}

/// Applies the asset-class view (when not done yet) and the column selection.
pub(crate) fn narrow(mut table: Table, view: &View, class_pending: bool) -> Result<Table> {
    if let (Some(class), true) = (&view.asset_class, class_pending) {
        table = table.where_asset_class(class.as_deref());
    }
    if view.columns.is_empty() {
        return Ok(table);
    }
    table.select(&view.columns).map_err(|e| match e {
        CoreError::UnknownColumn { .. } => {
            anyhow::Error::new(Usage::new(format!("--columns: {e}")))
        }
        e => e.into(),
    })
}
