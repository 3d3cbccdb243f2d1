//! The store commands: `init`, `ingest`, `log`, `resolve`, `history`, `compact`, and
//! reading a store where FACTS are expected.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use secmaster_core::{Column, Options, SecurityMaster, Table, Value, ValueType};
use secmaster_store::{Compaction, IngestOptions, IngestReport, Store, Writer};

use crate::args::{KnownAt, ReportFormat};
use crate::error::Usage;
use crate::output::emit;
use crate::plan::{Env, History, Ingest, Init, Resolve, StoreOutput, Wait};
use crate::progress::Progress;

/// The master of the store at `path`: current, or as known at a batch or time.
pub(crate) fn master(path: &Path, known_at: Option<KnownAt>) -> Result<SecurityMaster> {
    let batch = known_at
        .map(|at| batch_at(&Store::open(path)?, at))
        .transpose()?;
    Ok(Store::read(path, |store| match batch {
        None => store.master(),
        Some(batch) => store.master_after(batch),
    })?)
}

/// The batch `at` names in `store`; one it names none of is a usage error.
fn batch_at(store: &Store, at: KnownAt) -> Result<u64> {
    Ok(store
        .batch_known_at(at)
        .map_err(|e| Usage::new(e.to_string()))?)
}

/// A commit time as `log` prints it.
fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The writer of the store at `path`: now, or once another writer is done (`--wait`,
/// `--wait-timeout`).
fn lock(path: &Path, wait: Wait) -> secmaster_store::Result<Writer> {
    match wait {
        Wait::No => Store::lock(path),
        Wait::Forever => Store::lock_waiting(path),
        Wait::For(timeout) => Store::lock_timeout(path, timeout),
    }
}

pub(crate) fn init(plan: &Init, out: &mut dyn Write) -> Result<()> {
    let options = match &plan.priority {
        Some(p) => Options::default().with_priority(p.iter().map(String::as_str)),
        None => Options::default(),
    };
    Store::init(&plan.store, &options)?;
    writeln!(out, "created store {}", plan.store.display())?;
    Ok(())
}

pub(crate) fn ingest(plan: &Ingest, out: &mut dyn Write, env: &Env) -> Result<Vec<String>> {
    let progress = Progress::spinner(env, format!("ingesting into {}", plan.store.display()));
    let options = IngestOptions::default()
        .with_dry_run(plan.dry_run)
        // Otherwise the store decides by the size of its deltas.
        .with_compaction(if plan.no_compact {
            Compaction::Never
        } else {
            Compaction::Auto
        })
        .with_allow_duplicate(plan.allow_duplicate);
    let report = lock(&plan.store, plan.wait)?.ingest(&plan.facts, &options)?;
    drop(progress);
    match plan.report {
        ReportFormat::Json => writeln!(out, "{}", serde_json::to_string(&report)?)?,
        ReportFormat::Text => write_report(out, &report)?,
    }
    let batch = report.batch;
    Ok(report
        .warnings
        .iter()
        .map(|w| format!("batch {batch} {w}"))
        .collect())
}

fn write_report(out: &mut dyn Write, r: &IngestReport) -> Result<()> {
    let verb = if r.dry_run { "would add" } else { "added" };
    writeln!(
        out,
        "batch {}: {verb} {} about {} ({} new)",
        r.batch,
        count(r.facts, "fact", "facts"),
        count(r.securities, "security", "securities"),
        r.new_securities
    )?;
    writeln!(
        out,
        "periods: {} added, {} split, {} changed",
        r.periods_added, r.periods_split, r.periods_changed
    )?;
    if !r.new_columns.is_empty() {
        writeln!(out, "new columns: {}", r.new_columns.join(", "))?;
    }
    if !r.widened_columns.is_empty() {
        writeln!(
            out,
            "columns widened to float: {}",
            r.widened_columns.join(", ")
        )?;
    }
    if r.dry_run {
        writeln!(out, "dry run: nothing written")?;
    } else if r.compacted {
        writeln!(out, "state and table compacted")?;
    }
    Ok(())
}

pub(crate) fn log(plan: &StoreOutput, out: &mut dyn Write) -> Result<()> {
    let store = Store::open(&plan.store)?;
    let text = Some(ValueType::Str);
    let columns = vec![
        Column::new("batch", Some(ValueType::Int)),
        Column::new("committed_at", text),
        Column::new("facts", Some(ValueType::Int)),
        Column::new("sources", text),
        Column::new("log", text),
        Column::new("xxh3", text),
    ];
    let rows = store
        .batches()
        .iter()
        .map(|b| {
            vec![
                Value::Int(b.number() as i64),
                Value::from(time(b.committed_at())),
                Value::Int(b.facts() as i64),
                Value::from(b.sources().join(" ")),
                Value::from(b.path()),
                Value::from(b.checksum().xxh3()),
            ]
        })
        .collect();
    emit(&Table::new(columns, 1, rows)?, &plan.output, out)
}

pub(crate) fn resolve(plan: &Resolve, out: &mut dyn Write, env: &Env) -> Result<()> {
    let progress = Progress::spinner(env, format!("reading {}", plan.store.display()));
    let master = match plan.known_at {
        // Now: the facts of the securities the table files say may match, not all.
        None => Store::read(&plan.store, |store| {
            let column = store.columns().iter().find(|c| c.name() == plan.attribute);
            match column
                .and_then(|c| c.value_type())
                .and_then(|ty| Value::parse_as(&plan.value, ty))
            {
                Some(value) => store.master_of(&store.candidates(&plan.attribute, &value)?),
                // An unknown attribute or a value not of its type: said below.
                None => store.master_of(&[]),
            }
        })?,
        Some(_) => master(&plan.store, plan.known_at)?,
    };
    drop(progress);
    let table = master.as_of(plan.on);
    let column = table.column_index(&plan.attribute).ok_or_else(|| {
        let names: Vec<&str> = table.attributes().iter().map(Column::name).collect();
        Usage::new(format!(
            "--where: the store has no attribute `{}`; it has: {}",
            plan.attribute,
            names.join(", ")
        ))
    })?;
    let ty = table.columns()[column].value_type();
    let wanted = ty
        .and_then(|ty| Value::parse_as(&plan.value, ty))
        .ok_or_else(|| {
            Usage::new(format!(
                "--where: `{}` is not a value of `{}`, a {} column",
                plan.value,
                plan.attribute,
                ty.map_or("null", ValueType::name)
            ))
        })?;
    let found = table.filter(|row| row[column] == wanted);
    if found.is_empty() {
        anyhow::bail!(
            "no security carried {}={} on {}",
            plan.attribute,
            plan.value,
            plan.on
        );
    }
    emit(&super::narrow(found, &plan.view, false)?, &plan.output, out)
}

pub(crate) fn history(plan: &History, out: &mut dyn Write) -> Result<()> {
    let batch = plan
        .known_at
        .map(|at| batch_at(&Store::open(&plan.store)?, at))
        .transpose()?;
    let lineage = Store::read(&plan.store, |s| {
        s.lineage_after(plan.security, batch.unwrap_or(s.last_batch()))
    })?;
    if lineage.is_empty() {
        anyhow::bail!(
            "store `{}` has no facts about security {}",
            plan.store.display(),
            plan.security
        );
    }
    emit(&lineage, &plan.output, out)
}

pub(crate) fn compact(store: &Path, wait: Wait, out: &mut dyn Write) -> Result<Vec<String>> {
    let warnings = lock(store, wait)
        .and_then(|mut writer| writer.compact())
        .with_context(|| format!("cannot compact `{}`", store.display()))?;
    writeln!(out, "compacted {}", store.display())?;
    Ok(warnings.iter().map(|w| format!("compaction {w}")).collect())
}

pub(crate) fn verify(store: &Path, out: &mut dyn Write) -> Result<()> {
    let verified = Store::read(store, Store::verify)?;
    writeln!(
        out,
        "ok: {}, {} match the manifest",
        count(verified.files() as u64, "file", "files"),
        count(verified.bytes(), "byte", "bytes")
    )?;
    Ok(())
}

/// `n` and the noun it counts, singular for one.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
