//! [`SecurityMaster`]: the facts it was built from, and the SCD-2 table derived from them.
//!
//! The master keeps, per security, the facts that are in force: one per
//! `(effective_date, attribute)`, the one that arrived last (rule 5). The table is never
//! stored; it is derived on demand by one carry-forward pass per security (rules 2–4). So a
//! merge is an ordered insert of facts into the securities it touches, and
//! `merge(build(A), B) == build(A ++ B)` holds by construction (rule 6): both end with the
//! same facts in force and derive the same table from them.
//!
//! The code is split by what it does to the facts in force:
//! - `schema.rs`: the attribute columns (names, types, display order);
//! - `history.rs`: one security's facts in force and the ordered insert into them;
//! - `intake.rs`: a batch validated and spooled by security before anything changes, and
//!   the parts of one batch joined (`merge_parts`);
//! - `apply.rs`: a validated batch sorted and inserted into the securities it touches;
//! - `walk.rs`: the carry-forward pass and the row cursor;
//! - `chunks.rs`: the table column by column;
//! - `views.rs`, `join.rs`: the views and the positions join;
//! - `from_rows.rs`: a master read back from its table.

mod apply;
mod chunks;
mod from_rows;
mod history;
mod intake;
mod join;
mod schema;
mod views;
mod walk;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use self::history::{Entry, History};
use self::intake::{Intake, combine};
use self::schema::{AttrId, Schema};
use crate::table::Column;
use crate::{Error, Fact, Result};

pub use self::chunks::{Chunk, Chunks};
pub use self::from_rows::FromRows;
pub use self::join::Matches;
pub use self::views::Source;
pub use self::walk::{RowCursor, RowRef};

/// Names of the three key columns of a security master table.
pub const KEY_COLUMNS: [&str; 3] = ["security_id", "effective_start_date", "effective_end_date"];

/// The attribute priority of DESIGN.md rule 7 when none is configured.
pub const DEFAULT_PRIORITY: [&str; 3] = ["asset_class", "ticker", "name"];

/// How a master orders its attribute columns (DESIGN.md rule 7).
///
/// ```
/// use secmaster_core::Options;
/// let options = Options::default().with_priority(["ticker", "asset_class"]);
/// assert_eq!(options.priority().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Options {
    priority: Vec<Arc<str>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            priority: DEFAULT_PRIORITY.iter().map(|&s| Arc::from(s)).collect(),
        }
    }
}

impl Options {
    /// Attributes listed here come first, in this order; the rest follow alphabetically.
    pub fn with_priority<I, S>(mut self, attributes: I) -> Options
    where
        I: IntoIterator<Item = S>,
        S: Into<Arc<str>>,
    {
        self.priority = attributes.into_iter().map(Into::into).collect();
        self
    }

    /// The configured priority, highest first.
    pub fn priority(&self) -> &[Arc<str>] {
        &self.priority
    }
}

/// How [`SecurityMaster::join_positions`] treats a position that no row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Join {
    /// Drop it (the prototype's behaviour).
    #[default]
    Inner,
    /// Keep it, with null attributes.
    Left,
}

/// A point-in-time security master: the facts in force, and the SCD-2 table they make.
///
/// Build one with [`SecurityMaster::build`], add later batches with
/// [`SecurityMaster::merge`], read the table with [`SecurityMaster::table`] or, without a
/// copy, with [`SecurityMaster::cursor`].
///
/// Two masters are equal when they hold the same table: the same columns (names, types and
/// order) and the same rows. The facts behind the table are not compared; see
/// [`SecurityMaster::facts`].
///
/// ```
/// use secmaster_core::{Fact, SecurityMaster};
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let mut master = SecurityMaster::build([
///     Fact::new(1, "ticker", "GRPH", d("2024-01-01")),
///     Fact::new(1, "ticker", "LENZ", d("2024-03-22")),
/// ])?;
/// master.merge([Fact::new(1, "name", "Graphite bio", d("2024-01-01"))])?;
/// assert_eq!(
///     master.table().to_string(),
///     "\
/// security_id  effective_start_date  effective_end_date  ticker  name
/// 1            2024-01-01            2024-03-22          GRPH    Graphite bio
/// 1            2024-03-22            null                LENZ    Graphite bio
/// "
/// );
/// # Ok::<(), secmaster_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SecurityMaster {
    options: Options,
    schema: Schema,
    /// Each security's facts in force, shared between clones of the master until one of
    /// them changes it (a merge copies only the histories it touches): a clone costs a
    /// reference count per security, not a copy of every fact.
    securities: BTreeMap<i64, Arc<History>>,
}

impl SecurityMaster {
    /// An empty master that orders its columns by `options`.
    pub fn new(options: Options) -> SecurityMaster {
        SecurityMaster {
            options,
            ..SecurityMaster::default()
        }
    }

    /// An empty master that already has these attribute columns, at these types: what a
    /// store declares before merging a part of its facts, so that the part's columns and
    /// types are the whole's (rule 8 types a column by every fact ever seen). Columns are
    /// shown in `options`' order (rule 7) whatever order they are given in.
    ///
    /// Refuses an empty or repeated name, or a key column's name.
    ///
    /// ```
    /// use secmaster_core::{Column, Fact, Options, SecurityMaster, ValueType};
    /// let declared = [Column::new("price", Some(ValueType::Float))];
    /// let mut master = SecurityMaster::with_columns(Options::default(), declared)?;
    /// let d = "2024-01-02".parse().unwrap();
    /// master.merge([Fact::new(1, "price", 10, d)])?; // an int joins a float column
    /// assert_eq!(master.columns()[3], Column::new("price", Some(ValueType::Float)));
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn with_columns(
        options: Options,
        attributes: impl IntoIterator<Item = Column>,
    ) -> Result<SecurityMaster> {
        let mut master = SecurityMaster::new(options);
        for c in attributes {
            let name: Arc<str> = Arc::from(c.name());
            let reason = if name.is_empty() {
                Some("an attribute column has an empty name".to_string())
            } else if KEY_COLUMNS.contains(&&*name) || master.schema.index.contains_key(&name) {
                Some(format!("column `{name}` appears twice"))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::InvalidTable { reason });
            }
            let id = master.schema.names.len() as AttrId;
            master.schema.names.push(name.clone());
            master.schema.types.push(c.value_type());
            master.schema.index.insert(name, id);
        }
        master.schema.sort(&master.options);
        Ok(master)
    }

    /// Builds a master from facts in arrival order, with the default [`Options`].
    pub fn build(facts: impl IntoIterator<Item = Fact>) -> Result<SecurityMaster> {
        SecurityMaster::build_with(Options::default(), facts)
    }

    /// Builds a master from facts in arrival order.
    pub fn build_with(
        options: Options,
        facts: impl IntoIterator<Item = Fact>,
    ) -> Result<SecurityMaster> {
        let mut master = SecurityMaster::new(options);
        master.merge(facts)?;
        Ok(master)
    }

    /// Merges a batch of facts, in arrival order, that arrived after everything already in
    /// the master. Afterwards the master equals a build of all its facts followed by this
    /// batch (rule 6). Costs O(b log b) for a batch of b facts plus, per security it
    /// touches, that security's facts; other securities are not visited.
    ///
    /// On error (an empty attribute name, or a type conflict per rule 8) the master is
    /// unchanged.
    ///
    /// ```
    /// use secmaster_core::{Fact, SecurityMaster};
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let base = [
    ///     Fact::new(1, "market_cap", 400, d("2024-01-01")),
    ///     Fact::new(1, "market_cap", 400, d("2024-05-01")), // a re-assertion
    /// ];
    /// let mut master = SecurityMaster::build(base.clone())?;
    /// let late = Fact::new(1, "market_cap", 100, d("2024-03-01"));
    /// master.merge([late.clone()])?;
    /// // 100 holds until the re-assertion of 2024-05-01, exactly as in a full rebuild.
    /// let caps: Vec<String> = master.table().column_values(3).map(|v| v.to_string()).collect();
    /// assert_eq!(caps, ["400", "100", "400"]);
    /// assert_eq!(master, SecurityMaster::build(base.into_iter().chain([late]))?);
    ///
    /// // A value of the wrong type is refused and changes nothing.
    /// let before = master.clone();
    /// assert!(master.merge([Fact::new(1, "market_cap", "big", d("2024-06-01"))]).is_err());
    /// assert_eq!(master, before);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn merge(&mut self, facts: impl IntoIterator<Item = Fact>) -> Result<()> {
        let mut intake = Intake::new(&self.schema);
        for fact in facts {
            intake.take(fact)?;
        }
        self.apply(intake.into());
        Ok(())
    }

    /// [`SecurityMaster::merge`] of a batch given in consecutive parts: the batch is the
    /// parts one after the other, in order. Each part is validated and staged as a task of
    /// its own, so a large batch split into as many parts as there are threads is taken in
    /// that much faster. The master, or the error and the fact it names, are exactly those
    /// of merging the whole batch at once, however many threads there are.
    ///
    /// The tasks run on rayon's current pool: the global one (a thread per core, or
    /// `RAYON_NUM_THREADS`), or the pool the caller runs this in, so a caller caps the
    /// threads with `rayon::ThreadPoolBuilder::new().num_threads(n).build()?.install(..)`.
    ///
    /// ```
    /// use secmaster_core::{Fact, SecurityMaster};
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let facts = vec![
    ///     Fact::new(1, "ticker", "GRPH", d("2024-01-01")),
    ///     Fact::new(1, "ticker", "LENZ", d("2024-03-22")),
    ///     Fact::new(2, "ticker", "ACME", d("2024-01-01")),
    /// ];
    /// let mut master = SecurityMaster::default();
    /// master.merge_parts(vec![facts[..1].to_vec(), facts[1..].to_vec()])?;
    /// assert_eq!(master, SecurityMaster::build(facts)?);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn merge_parts<P>(&mut self, parts: Vec<P>) -> Result<()>
    where
        P: IntoIterator<Item = Fact> + Send,
    {
        if parts.len() < 2 {
            return self.merge(parts.into_iter().flatten());
        }
        let schema = &self.schema;
        // `collect` keeps the parts' order whatever order the tasks finish in; each stops
        // at its own first error, and `combine` finds the one a whole-batch intake meets.
        let parts = parts
            .into_par_iter()
            .map(|part| {
                let mut intake = Intake::new(schema);
                intake.firsts = Some(Vec::new());
                for fact in part {
                    if let Err(e) = intake.take(fact) {
                        return (intake, Some(e));
                    }
                }
                (intake, None)
            })
            .collect();
        let taken = combine(schema, parts)?;
        self.apply(taken);
        Ok(())
    }

    /// The options the master orders its columns by.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The table's columns: the three key columns, then the attributes in display order.
    pub fn columns(&self) -> Vec<Column> {
        self.schema.columns()
    }

    /// The number of securities.
    pub fn num_securities(&self) -> usize {
        self.securities.len()
    }

    /// The number of table rows. Costs a pass over the facts.
    pub fn num_rows(&self) -> usize {
        self.securities.values().map(|h| h.num_rows()).sum()
    }

    /// The number of facts in force (one per `(security, attribute, date)`).
    pub fn num_facts(&self) -> usize {
        self.securities.values().map(|h| h.entries.len()).sum()
    }

    /// The securities, in ascending order.
    pub fn security_ids(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        self.securities.keys().copied()
    }

    /// The facts in force, by security, date and column order: for each key, the one that
    /// arrived last, its value widened to its column's type. A build from them derives the same periods; a column's type can differ,
    /// since rule 8 types a column by every fact seen, superseded ones included.
    pub fn facts(&self) -> impl Iterator<Item = Fact> + '_ {
        // Within a date, list facts in column order, which unlike attribute ids does not
        // depend on arrival order.
        let mut rank = vec![0; self.schema.order.len()];
        for (i, &a) in self.schema.order.iter().enumerate() {
            rank[a as usize] = i;
        }
        self.securities.iter().flat_map(move |(&id, h)| {
            let mut entries: Vec<&Entry> = h.entries.iter().collect();
            entries.sort_by_key(|e| (e.date, rank[e.attr as usize]));
            let names = &self.schema.names;
            entries.into_iter().map(move |e| {
                Fact::new(id, names[e.attr as usize].clone(), e.value.clone(), e.date)
            })
        })
    }
}

impl PartialEq for SecurityMaster {
    fn eq(&self, other: &SecurityMaster) -> bool {
        if self.columns() != other.columns() {
            return false;
        }
        let (mut a, mut b) = (self.cursor(), other.cursor());
        loop {
            match (a.next_row(), b.next_row()) {
                (None, None) => return true,
                (Some(x), Some(y)) => {
                    if x.security_id != y.security_id
                        || x.start != y.start
                        || x.end != y.end
                        || x.attributes().ne(y.attributes())
                    {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }
}
