//! [`SecurityMaster`]: the facts it was built from, and the SCD-2 table derived from them.
//!
//! The master keeps, per security, the facts that are in force: one per
//! `(effective_date, attribute)`, the one that arrived last (rule 5). The table is never
//! stored; it is derived on demand by one carry-forward pass per security (rules 2–4). So a
//! merge is an ordered insert of facts into the securities it touches, and
//! `merge(build(A), B) == build(A ++ B)` holds by construction (rule 6): both end with the
//! same facts in force and derive the same table from them.

use std::collections::{BTreeMap, HashMap, btree_map};
use std::sync::Arc;

use chrono::NaiveDate;

use crate::table::Column;
use crate::{Error, Fact, Position, Result, Table, Value, ValueType};

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

/// A hasher for security ids: one multiply, good enough for a `HashMap` keyed by `i64` and
/// several times faster than the default SipHash, whose DoS resistance ids do not need.
#[derive(Debug, Clone, Copy, Default)]
struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

#[derive(Debug, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_i64(n as i64);
    }
    fn write_i64(&mut self, id: i64) {
        // Fibonacci hashing: the high bits, which hashbrown uses, depend on every input bit.
        self.0 = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// An interned attribute: its index in [`Schema::names`].
type AttrId = u32;

/// The attribute columns: names, types and display order.
#[derive(Debug, Clone, Default)]
struct Schema {
    /// Attribute names in first-seen order; an [`AttrId`] indexes this.
    names: Vec<Arc<str>>,
    /// The type of each attribute; `None` while every value seen is null.
    types: Vec<Option<ValueType>>,
    index: HashMap<Arc<str>, AttrId>,
    /// Attribute ids in display order (rule 7).
    order: Vec<AttrId>,
}

impl Schema {
    fn sort(&mut self, options: &Options) {
        let rank = |name: &str| {
            options
                .priority
                .iter()
                .position(|p| &**p == name)
                .unwrap_or(usize::MAX)
        };
        let names = &self.names;
        self.order = (0..names.len() as AttrId).collect();
        self.order.sort_by(|&a, &b| {
            let (a, b) = (&names[a as usize], &names[b as usize]);
            (rank(a), a).cmp(&(rank(b), b))
        });
    }

    fn columns(&self) -> Vec<Column> {
        let keys = [
            Column::new(KEY_COLUMNS[0], Some(ValueType::Int)),
            Column::new(KEY_COLUMNS[1], Some(ValueType::Date)),
            Column::new(KEY_COLUMNS[2], Some(ValueType::Date)),
        ];
        keys.into_iter().chain(self.attribute_columns()).collect()
    }

    fn attribute_columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.order
            .iter()
            .map(|&a| Column::new(self.names[a as usize].clone(), self.types[a as usize]))
    }
}

/// One fact in force: `attr = value` from `date` on.
#[derive(Debug, Clone)]
struct Entry {
    date: NaiveDate,
    attr: AttrId,
    value: Value,
}

/// The facts in force for one security, sorted by `(date, attr)` with no repeated key.
#[derive(Debug, Clone, Default)]
struct History {
    entries: Vec<Entry>,
}

impl History {
    /// Inserts `batch` (sorted by `(date, attr)`, no repeated key), replacing facts with the
    /// same key: the batch arrived later (rule 5). Costs O(facts + batch), or O(batch) when
    /// the batch lies after everything already here.
    fn insert(&mut self, batch: impl ExactSizeIterator<Item = Entry>) {
        let key = |e: &Entry| (e.date, e.attr);
        let few = batch.len() <= 8;
        let mut batch = batch.peekable();
        match (self.entries.last(), batch.peek()) {
            (None, _) => {
                self.entries.extend(batch);
                return;
            }
            (Some(last), Some(first)) if key(last) < key(first) => {
                self.entries.extend(batch);
                return;
            }
            _ if few => {
                // A few late facts: insert each in place rather than rebuild the vector.
                for entry in batch {
                    match self.entries.binary_search_by_key(&key(&entry), key) {
                        Ok(i) => self.entries[i] = entry, // superseded by the later arrival
                        Err(i) => self.entries.insert(i, entry),
                    }
                }
                return;
            }
            _ => {}
        }
        let old = std::mem::take(&mut self.entries);
        let mut merged = Vec::with_capacity(old.len() + batch.len());
        let mut old = old.into_iter().peekable();
        loop {
            let order = match (old.peek(), batch.peek()) {
                (Some(o), Some(n)) => key(o).cmp(&key(n)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => break,
            };
            if order == std::cmp::Ordering::Equal {
                old.next(); // superseded by the later arrival
            }
            let take_new = order != std::cmp::Ordering::Less;
            merged.extend(if take_new { batch.next() } else { old.next() });
        }
        self.entries = merged;
    }

    /// The history of a security new to a master, from its first `len` facts (sorted, no
    /// repeated key), with room for a few late ones so they need no reallocation.
    fn created(len: usize, entries: impl Iterator<Item = Entry>) -> History {
        let mut history = History {
            entries: Vec::with_capacity(len + len / 16 + 1),
        };
        history.entries.extend(entries);
        history
    }

    fn num_rows(&self) -> usize {
        rows_of(&self.entries)
    }

    /// The number of rows that start before `date`.
    fn rows_before(&self, date: NaiveDate) -> usize {
        rows_of(&self.entries[..self.entries.partition_point(|e| e.date < date)])
    }
}

/// The number of rows facts sorted by date make: one per date.
fn rows_of(entries: &[Entry]) -> usize {
    entries
        .windows(2)
        .filter(|w| w[0].date != w[1].date)
        .count()
        + usize::from(!entries.is_empty())
}

/// One cell of a security's periods and the fact in force that set it: see
/// [`SecurityMaster::sources`].
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    start: NaiveDate,
    end: Option<NaiveDate>,
    attribute: Arc<str>,
    value: Value,
    set_on: NaiveDate,
}

impl Source {
    /// The period's start.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The period's end (exclusive), `None` for the open last period.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }

    /// The attribute.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }

    /// The cell's value (null for a retraction).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The effective date of the fact that set the value: the period's start, or earlier
    /// when the value was carried forward.
    pub fn set_on(&self) -> NaiveDate {
        self.set_on
    }
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
    securities: BTreeMap<i64, History>,
}

/// A fact validated and interned, waiting to be applied.
struct Staged {
    security: i64,
    entry: Entry,
}

/// Staged facts are spread over this many spools by security, so that moving them into
/// per-security batches touches one spool's few hundred securities at a time: a scatter over
/// all securities at once misses the cache and the TLB on nearly every fact.
const SPOOLS: usize = 256;
const _: () = assert!(SPOOLS.is_power_of_two());

/// Staged facts of some securities, in arrival order, in chunks that grow to a cap: memory
/// stays close to the facts held, and is freed chunk by chunk as they are applied.
#[derive(Default)]
struct Spool {
    chunks: Vec<Vec<Staged>>,
}

impl Spool {
    const MAX_CHUNK: usize = 4096;

    fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// The staged facts in arrival order, in one vector.
    fn into_vec(self) -> Vec<Staged> {
        let mut all = Vec::with_capacity(self.len());
        for chunk in self.chunks {
            all.extend(chunk);
        }
        all
    }

    fn push(&mut self, staged: Staged) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(staged),
            last => {
                let size = last.map_or(16, |c| (c.capacity() * 2).min(Spool::MAX_CHUNK));
                let mut chunk = Vec::with_capacity(size);
                chunk.push(staged);
                self.chunks.push(chunk);
            }
        }
    }
}

/// Widens a column's type `ty` to hold a value of type `found` (rule 8), or refuses `fact`,
/// the value that does not fit.
fn unify(ty: &mut Option<ValueType>, found: ValueType, fact: &Fact) -> Result<()> {
    *ty = match *ty {
        None => Some(found),
        Some(existing) => match existing.unify(found) {
            Some(unified) => Some(unified),
            None => {
                return Err(Error::TypeConflict {
                    attribute: fact.attribute().to_string(),
                    existing,
                    found,
                    fact: fact.clone(),
                });
            }
        },
    };
    Ok(())
}

/// A batch being taken in: every fact validated (rule 8) and interned, nothing applied yet,
/// so a refused batch leaves the master untouched.
struct Intake<'m> {
    schema: &'m Schema,
    /// The attribute types after the facts taken so far.
    types: Vec<Option<ValueType>>,
    new_names: Vec<Arc<str>>,
    new_index: HashMap<Arc<str>, AttrId>,
    /// Attribute ids by the address of the name's `Arc`: readers share one `Arc` per name,
    /// so most facts skip hashing their attribute's text. Holding the `Arc` keeps the
    /// address from being reused. Bounded, so unshared names cannot make it grow.
    by_address: HashMap<usize, (Arc<str>, AttrId), IdHash>,
    /// Spool `i` holds the securities that [`spool_of`] sends to `i`.
    spools: Vec<Spool>,
    /// When taking one part of a batch: the first fact of each type of each attribute, in
    /// arrival order, from which [`SecurityMaster::merge_parts`] finds the fact a
    /// whole-batch intake would refuse (see [`combine`]).
    firsts: Option<Vec<(AttrId, ValueType, Fact)>>,
    /// Per attribute, the types with a fact in `firsts`, as bits.
    seen: Vec<u8>,
}

impl<'m> Intake<'m> {
    fn new(schema: &'m Schema) -> Intake<'m> {
        Intake {
            schema,
            types: schema.types.clone(),
            new_names: Vec::new(),
            new_index: HashMap::new(),
            by_address: HashMap::default(),
            spools: (0..SPOOLS).map(|_| Spool::default()).collect(),
            firsts: None,
            seen: vec![0; schema.types.len()],
        }
    }

    fn attribute(&mut self, name: &Arc<str>) -> AttrId {
        let address = Arc::as_ptr(name).cast::<u8>() as usize;
        if let Some((_, a)) = self.by_address.get(&address) {
            return *a;
        }
        let attr = match self.schema.index.get(&**name) {
            Some(&a) => a,
            None => *self.new_index.entry(name.clone()).or_insert_with(|| {
                self.new_names.push(name.clone());
                self.types.push(None);
                self.seen.push(0);
                (self.types.len() - 1) as AttrId
            }),
        };
        if self.by_address.len() < 4096 {
            self.by_address.insert(address, (name.clone(), attr));
        }
        attr
    }

    fn take(&mut self, fact: Fact) -> Result<()> {
        if fact.attribute().is_empty() {
            return Err(Error::EmptyAttribute { fact });
        }
        let attr = self.attribute(fact.attribute_arc());
        if let Some(found) = fact.value().value_type() {
            if let Some(firsts) = &mut self.firsts {
                let bit = 1 << found as u8;
                let seen = &mut self.seen[attr as usize];
                if *seen & bit == 0 {
                    *seen |= bit;
                    firsts.push((attr, found, fact.clone()));
                }
            }
            unify(&mut self.types[attr as usize], found, &fact)?;
        }
        let (id, _, value, date) = fact.into_parts();
        self.spools[spool_of(id)].push(Staged {
            security: id,
            entry: Entry { date, attr, value },
        });
        Ok(())
    }
}

/// What an intake leaves to apply: the attribute types after the batch, the attributes it
/// adds, and its facts spooled by security.
struct Taken {
    types: Vec<Option<ValueType>>,
    new_names: Vec<Arc<str>>,
    new_index: HashMap<Arc<str>, AttrId>,
    spools: Vec<Spool>,
}

impl From<Intake<'_>> for Taken {
    fn from(intake: Intake<'_>) -> Taken {
        Taken {
            types: intake.types,
            new_names: intake.new_names,
            new_index: intake.new_index,
            spools: intake.spools,
        }
    }
}

/// Joins the intakes of consecutive parts of a batch, each stopped at its first error (with
/// the error), into what one intake of the whole batch gives: the same attribute ids
/// (numbered in order of first appearance), types and spools, or the same error.
///
/// Each part was typed from the master's types alone, so the types of earlier parts can
/// make a fact conflict that did not in its part. Types only widen, int to float, so a
/// fact can conflict only where its type first appears for its attribute in its part; the
/// parts' first facts of each type, replayed in batch order from the master's types, find
/// the first conflict exactly as the whole batch would, and which type it met.
fn combine(schema: &Schema, parts: Vec<(Intake<'_>, Option<Error>)>) -> Result<Taken> {
    let base = schema.names.len();
    let mut types = schema.types.clone();
    let mut new_names: Vec<Arc<str>> = Vec::new();
    let mut new_index: HashMap<Arc<str>, AttrId> = HashMap::new();
    let mut maps = Vec::with_capacity(parts.len());
    let mut spools = Vec::with_capacity(parts.len());
    for (part, error) in parts {
        let map: Vec<AttrId> = (0..part.types.len())
            .map(|a| {
                if a < base {
                    return a as AttrId;
                }
                let name = &part.new_names[a - base];
                *new_index.entry(name.clone()).or_insert_with(|| {
                    new_names.push(name.clone());
                    types.push(None);
                    (types.len() - 1) as AttrId
                })
            })
            .collect();
        for (a, found, fact) in part.firsts.into_iter().flatten() {
            unify(&mut types[map[a as usize] as usize], found, &fact)?;
        }
        // Replayed up to the part's own error: that is the batch's first.
        if let Some(error) = error {
            return Err(error);
        }
        let identity = map.iter().enumerate().all(|(i, &a)| i == a as usize);
        maps.push((!identity).then_some(map));
        spools.push(part.spools);
    }
    // Number attributes as the whole batch would, on every core: a part's ids are its own.
    std::thread::scope(|scope| {
        for (spools, map) in spools.iter_mut().zip(&maps) {
            if let Some(map) = map {
                scope.spawn(move || {
                    for chunk in spools.iter_mut().flat_map(|s| &mut s.chunks) {
                        for staged in chunk {
                            staged.entry.attr = map[staged.entry.attr as usize];
                        }
                    }
                });
            }
        }
    });
    let mut joined: Vec<Spool> = (0..SPOOLS).map(|_| Spool::default()).collect();
    for part in spools {
        for (into, spool) in joined.iter_mut().zip(part) {
            into.chunks.extend(spool.chunks);
        }
    }
    Ok(Taken {
        types,
        new_names,
        new_index,
        spools: joined,
    })
}

/// The spool of a security: the high bits of a Fibonacci hash, which spread any set of ids
/// evenly.
fn spool_of(id: i64) -> usize {
    const BITS: u32 = SPOOLS.trailing_zeros(); // SPOOLS is a power of two
    ((id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - BITS)) as usize
}

/// A spool made ready to apply: the histories of (some of) the securities new to the
/// master, and the facts of the others, sorted.
struct Prepared {
    created: Vec<(i64, History)>,
    /// The other facts: of known securities, or of all when the batch was small.
    existing: Vec<Staged>,
}

/// Readies each spool for applying: its facts widened to their column's type, sorted by
/// `(security, date, attribute)`, and of each key only the last to arrive (rule 5). Large
/// batches use every core, a share of the spools each, and make the histories of the
/// securities not in `securities` there too (a build's whole apply); a small batch leaves
/// that to the apply, which looks each security up once anyway.
fn prepare(
    spools: Vec<Spool>,
    types: &[Option<ValueType>],
    securities: &BTreeMap<i64, History>,
) -> Vec<Prepared> {
    let one = |spool: Spool, create: bool| {
        let mut staged = spool.into_vec();
        for s in &mut staged {
            s.entry.value.widen(types[s.entry.attr as usize]);
        }
        // A stable sort keeps arrival order among facts with the same key.
        staged.sort_by_key(|s| (s.security, s.entry.date, s.entry.attr));
        staged.dedup_by(|later, earlier| {
            let same = (later.security, later.entry.date, later.entry.attr)
                == (earlier.security, earlier.entry.date, earlier.entry.attr);
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        if !create {
            return Prepared {
                created: Vec::new(),
                existing: staged,
            };
        }
        let groups: Vec<(i64, usize)> = staged
            .chunk_by(|a, b| a.security == b.security)
            .map(|g| (g[0].security, g.len()))
            .collect();
        let new: Vec<bool> = groups
            .iter()
            .map(|(id, _)| !securities.contains_key(id))
            .collect();
        if !new.contains(&true) {
            // Only known securities: nothing to move.
            return Prepared {
                created: Vec::new(),
                existing: staged,
            };
        }
        let mut prepared = Prepared {
            created: Vec::new(),
            existing: Vec::new(),
        };
        let mut staged = staged.into_iter();
        for ((id, len), new) in groups.into_iter().zip(new) {
            let group = staged.by_ref().take(len);
            if !new {
                prepared.existing.extend(group);
            } else {
                let history = History::created(len, group.map(|s| s.entry));
                prepared.created.push((id, history));
            }
        }
        prepared
    };
    let facts: usize = spools.iter().map(Spool::len).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || facts < 1 << 16 {
        return spools.into_iter().map(|s| one(s, false)).collect();
    }
    let per_thread = spools.len().div_ceil(threads);
    let mut shares: Vec<Vec<Spool>> = Vec::new();
    let mut spools = spools.into_iter().peekable();
    while spools.peek().is_some() {
        shares.push(spools.by_ref().take(per_thread).collect());
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || share.into_iter().map(|s| one(s, true)).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("preparing a spool does not panic"))
            .collect()
    })
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
    /// parts one after the other, in order. Each part is validated and staged on a thread
    /// of its own, so a large batch split into as many parts as there are cores is taken
    /// in that much faster. The master, or the error and the fact it names, are exactly
    /// those of merging the whole batch at once.
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
        let taken = std::thread::scope(|scope| {
            let workers: Vec<_> = parts
                .into_iter()
                .map(|part| {
                    scope.spawn(move || {
                        let mut intake = Intake::new(schema);
                        intake.firsts = Some(Vec::new());
                        for fact in part {
                            if let Err(e) = intake.take(fact) {
                                return (intake, Some(e));
                            }
                        }
                        (intake, None)
                    })
                })
                .collect();
            let parts = workers
                .into_iter()
                .map(|w| w.join().expect("taking facts in does not panic"))
                .collect();
            combine(schema, parts)
        })?;
        self.apply(taken);
        Ok(())
    }

    /// Applies a validated batch: from here on nothing fails.
    fn apply(&mut self, taken: Taken) {
        let Taken {
            types,
            new_names,
            new_index,
            spools,
        } = taken;
        if !new_names.is_empty() {
            self.schema.names.extend(new_names);
            self.schema.index.extend(new_index);
            self.schema.sort(&self.options);
        }
        // Values are stored at their column's type (rule 8), so reading never converts. A
        // column that this batch widens from int to float converts its stored facts: once in
        // the column's life, since a type never widens twice.
        let widened: Vec<bool> = (0..types.len())
            .map(|a| {
                self.schema.types.get(a) == Some(&Some(ValueType::Int))
                    && types[a] == Some(ValueType::Float)
            })
            .collect();
        if widened.contains(&true) {
            for history in self.securities.values_mut() {
                for e in &mut history.entries {
                    if widened[e.attr as usize] {
                        e.value.widen(Some(ValueType::Float));
                    }
                }
            }
        }
        self.schema.types = types;

        // A spool at a time: its facts are a few hundred securities' worth, so sorting them
        // and walking those histories stays in cache. A large batch's new securities have
        // their histories made beside the sorting, on every core. The staging is freed as
        // we go.
        let mut created: Vec<(i64, History)> = Vec::new();
        for prepared in prepare(spools, &self.schema.types, &self.securities) {
            created.extend(prepared.created);
            let staged = prepared.existing;
            let groups: Vec<(i64, usize)> = staged
                .chunk_by(|a, b| a.security == b.security)
                .map(|g| (g[0].security, g.len()))
                .collect();
            let mut staged = staged.into_iter();
            for (id, len) in groups {
                let batch = staged.by_ref().take(len).map(|s| s.entry);
                match self.securities.get_mut(&id) {
                    Some(history) => history.insert(batch),
                    None => created.push((id, History::created(len, batch))),
                }
            }
        }
        created.sort_unstable_by_key(|&(id, _)| id);
        if self.securities.is_empty() {
            self.securities = created.into_iter().collect(); // a bulk build from sorted keys
        } else {
            self.securities.extend(created);
        }
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
        self.securities.values().map(History::num_rows).sum()
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

    /// A cursor over every row of the table, in order, without copying it.
    ///
    /// ```
    /// # let master = secmaster_core::SecurityMaster::build(secmaster_core::sample::trail())?;
    /// let mut cursor = master.cursor();
    /// let mut rows = 0;
    /// while let Some(row) = cursor.next_row() {
    ///     assert!(row.end().is_none_or(|end| row.start() < end));
    ///     rows += 1;
    /// }
    /// assert_eq!(rows, master.num_rows());
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn cursor(&self) -> RowCursor<'_> {
        RowCursor::new(self, self.securities.range(..))
    }

    /// The table in chunks of `rows` rows (the last may have fewer), for reading it column
    /// by column; see [`Chunk::column_runs`]. Chunks come in table order and can be read on
    /// separate threads.
    ///
    /// ```
    /// # let master = secmaster_core::SecurityMaster::build(secmaster_core::sample::trail())?;
    /// let chunks: Vec<_> = master.chunks(2).collect();
    /// assert_eq!(chunks.iter().map(|c| c.num_rows()).sum::<usize>(), master.num_rows());
    /// let runs = chunks[0].column_runs();
    /// assert_eq!(runs.len(), master.columns().len() - 3);
    /// assert!(runs.iter().all(|r| r.iter().map(|&(n, _)| n).sum::<usize>() == 2));
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn chunks(&self, rows: usize) -> Chunks<'_> {
        Chunks {
            schema: &self.schema,
            securities: self.securities.iter(),
            pending: None,
            rows: rows.max(1),
            since: &[],
        }
    }

    /// A cursor over the rows of one security (none if it is unknown).
    pub fn security_cursor(&self, security_id: i64) -> RowCursor<'_> {
        RowCursor::new(self, self.securities.range(security_id..=security_id))
    }

    /// The whole table, copied out.
    pub fn table(&self) -> Table {
        self.collect(self.cursor())
    }

    /// The periods of one security (an empty table if it is unknown).
    pub fn history(&self, security_id: i64) -> Table {
        self.collect(self.security_cursor(security_id))
    }

    /// Where each non-null cell of one security's periods came from: per period (in order)
    /// and attribute (in column order), the fact in force that set it, which is the
    /// attribute's fact with the latest date on or before the period's start. Cells that no
    /// fact has set yet are left out; a retraction appears with a null value.
    ///
    /// ```
    /// use secmaster_core::{Fact, SecurityMaster};
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let master = SecurityMaster::build([
    ///     Fact::new(1, "ticker", "GRPH", d("2024-01-01")),
    ///     Fact::new(1, "name", "Lenz", d("2024-03-22")),
    /// ])?;
    /// let sources = master.sources(1);
    /// assert_eq!(sources.len(), 3); // ticker; then ticker (carried) and name
    /// assert_eq!((sources[1].attribute(), sources[1].set_on()), ("ticker", d("2024-01-01")));
    /// assert_eq!(sources[1].start(), d("2024-03-22"));
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn sources(&self, security_id: i64) -> Vec<Source> {
        let Some(history) = self.securities.get(&security_id) else {
            return Vec::new();
        };
        let entries = &history.entries;
        let mut last: Vec<Option<&Entry>> = vec![None; self.schema.names.len()];
        let mut out = Vec::new();
        let mut i = 0;
        while i < entries.len() {
            let start = entries[i].date;
            while i < entries.len() && entries[i].date == start {
                last[entries[i].attr as usize] = Some(&entries[i]);
                i += 1;
            }
            let end = entries.get(i).map(|e| e.date);
            for &a in &self.schema.order {
                if let Some(e) = last[a as usize] {
                    out.push(Source {
                        start,
                        end,
                        attribute: self.schema.names[a as usize].clone(),
                        value: e.value.clone(),
                        set_on: e.date,
                    });
                }
            }
        }
        out
    }

    /// The asset-class view (DESIGN.md rule 9): rows whose `asset_class` is `class`
    /// (`None`: uncategorized, i.e. null), without the attribute columns that are null in all
    /// of them.
    ///
    /// ```
    /// use secmaster_core::{sample, SecurityMaster};
    /// let master = SecurityMaster::build(sample::trail())?;
    /// let bonds = master.asset_class(Some("fixed_income"));
    /// assert_eq!(bonds.num_rows(), 3);
    /// assert!(bonds.column_index("name").is_none()); // null for every bond row
    /// let uncategorized = master.asset_class(None);
    /// assert_eq!(uncategorized.row(0)[0], 3.into());
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn asset_class(&self, class: Option<&str>) -> Table {
        let at = self.schema.index.get("asset_class").copied();
        let wanted = class.map_or(Value::Null, Value::from);
        let mut rows = Vec::new();
        let mut cursor = self.cursor();
        while let Some(row) = cursor.next_row() {
            let here = at.map_or(&NULL, |a| row.state[a as usize]);
            if *here == wanted {
                rows.push(row.to_vec());
            }
        }
        Table::from_parts(self.columns(), KEY_COLUMNS.len(), rows).without_empty_attributes()
    }

    /// The snapshot on `date`: for each security with a row valid that day
    /// (`start <= date < end`), that row.
    ///
    /// ```
    /// use secmaster_core::{sample, SecurityMaster, Value};
    /// let master = SecurityMaster::build(sample::trail())?;
    /// let day = "2024-04-01".parse().unwrap();
    /// let snapshot = master.as_of(day).select(&["ticker"])?;
    /// let tickers: Vec<&Value> = snapshot.column_values(3).collect();
    /// assert_eq!(tickers, [&Value::from("LENZ"), &Value::from("V"), &Value::from("ACME")]);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn as_of(&self, date: NaiveDate) -> Table {
        let mut rows = Vec::new();
        let mut state = Vec::new();
        for (&id, history) in &self.securities {
            let mut walk = Walk::new(id, history, &self.schema, std::mem::take(&mut state));
            if let Some(row) = walk.advance_to(date) {
                rows.push(row.to_vec());
            }
            state = walk.state;
        }
        Table::from_parts(self.columns(), KEY_COLUMNS.len(), rows)
    }

    /// Joins positions onto the master as of their dates (DESIGN.md rule 10): each position
    /// takes the attributes of its security's row with `start <= date < end`. Columns:
    /// `security_id, quantity, date`, then the attributes. Rows keep the positions' order;
    /// with [`Join::Inner`] a position without such a row is dropped, with [`Join::Left`] it
    /// is kept with null attributes.
    ///
    /// Costs O(p log p) to sort the positions plus one pass over the facts of the securities
    /// they hold.
    ///
    /// ```
    /// use secmaster_core::{sample, Join, Position, SecurityMaster, Value};
    /// let master = SecurityMaster::build(sample::trail())?;
    /// let d = |s: &str| s.parse().unwrap();
    /// let positions = [Position::new(1, 100.0, d("2024-04-01")), Position::new(9, 5.0, d("2024-04-01"))];
    /// let inner = master.join_positions(&positions, Join::Inner);
    /// assert_eq!(inner.num_rows(), 1); // security 9 is unknown
    /// let ticker = inner.column_index("ticker").unwrap();
    /// assert_eq!(inner.row(0)[ticker], Value::from("LENZ"));
    /// assert_eq!(master.join_positions(&positions, Join::Left).num_rows(), 2);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn join_positions(&self, positions: &[Position], join: Join) -> Table {
        let columns = [
            Column::new("security_id", Some(ValueType::Int)),
            Column::new("quantity", Some(ValueType::Float)),
            Column::new("date", Some(ValueType::Date)),
        ]
        .into_iter()
        .chain(self.schema.attribute_columns())
        .collect();
        let lead = |p: &Position| {
            [
                Value::Int(p.security_id()),
                Value::Float(p.quantity()),
                Value::Date(p.date()),
            ]
        };
        let width = self.schema.names.len();
        // Sorting the keys themselves, not indices into the positions, keeps the sort in
        // cache; the index makes the unstable sort deterministic.
        let mut order: Vec<(i64, NaiveDate, usize)> = positions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.security_id(), p.date(), i))
            .collect();
        order.sort_unstable();
        let mut out: Vec<Option<Vec<Value>>> = vec![None; positions.len()];
        let mut state = Vec::new();
        for group in order.chunk_by(|a, b| a.0 == b.0) {
            let id = group[0].0;
            let mut walk = self
                .securities
                .get(&id)
                .map(|h| Walk::new(id, h, &self.schema, std::mem::take(&mut state)));
            for &(_, _, i) in group {
                let p = &positions[i];
                let row = walk.as_mut().and_then(|w| w.advance_to(p.date()));
                out[i] = match (row, join) {
                    (Some(row), _) => Some(
                        lead(p)
                            .into_iter()
                            .chain(row.attributes().cloned())
                            .collect(),
                    ),
                    (None, Join::Left) => Some(
                        lead(p)
                            .into_iter()
                            .chain(std::iter::repeat_n(Value::Null, width))
                            .collect(),
                    ),
                    (None, Join::Inner) => None,
                };
            }
            if let Some(w) = walk {
                state = w.state;
            }
        }
        Table::from_parts(columns, 3, out.into_iter().flatten().collect())
    }

    /// Reads a master back from its table, as written by [`SecurityMaster::table`] (or read
    /// from a file): the inverse of `table()` for every table a master can produce.
    ///
    /// The table must start with the three key columns, list its attributes in the order
    /// `options` gives (rule 7), have its rows sorted by `(security_id, start)` with each
    /// `end` equal to the next start of the same security (null for the last). Column types
    /// are taken as given, so a column whose every value is null keeps its type.
    ///
    /// A table does not record which facts made it, only what changed: the rebuilt master
    /// holds one fact per changed cell, and for a row where nothing changed (a re-assertion)
    /// one fact re-asserting its first attribute. Its table equals the input; merges into it
    /// can differ from merges into the original master where that re-assertion matters.
    pub fn from_table(table: &Table, options: Options) -> Result<SecurityMaster> {
        let mut rows = FromRows::new(table.columns(), options)?;
        for row in table.rows() {
            rows.push(row)?;
        }
        rows.finish()
    }

    fn collect(&self, mut cursor: RowCursor<'_>) -> Table {
        let mut rows = Vec::new();
        while let Some(row) = cursor.next_row() {
            rows.push(row.to_vec());
        }
        Table::from_parts(self.columns(), KEY_COLUMNS.len(), rows)
    }
}

/// A master read back from its table's rows, given one at a time in table order: what
/// [`SecurityMaster::from_table`] does (same checks, same errors), without the whole table
/// in memory. A reader of a large table file pushes each row as it decodes it.
///
/// ```
/// use secmaster_core::{FromRows, SecurityMaster};
/// let master = SecurityMaster::build(secmaster_core::sample::trail())?;
/// let table = master.table();
/// let mut rows = FromRows::new(table.columns(), master.options().clone())?;
/// for row in table.rows() {
///     rows.push(row)?;
/// }
/// assert_eq!(rows.finish()?, master);
/// # Ok::<(), secmaster_core::Error>(())
/// ```
#[derive(Debug)]
pub struct FromRows {
    master: SecurityMaster,
    /// The number of the next row, from 1.
    line: usize,
    /// The last row's keys.
    previous: Option<(i64, NaiveDate, Option<NaiveDate>)>,
    /// The current security's attribute values as of the last row.
    state: Vec<Value>,
}

impl FromRows {
    /// Starts a master of a table with `columns`: the three key columns, then the
    /// attributes in the order `options` gives them (rule 7).
    pub fn new(columns: &[Column], options: Options) -> Result<FromRows> {
        let invalid = |reason: String| Err(Error::InvalidTable { reason });
        let key_types = [ValueType::Int, ValueType::Date, ValueType::Date];
        for (i, (name, ty)) in KEY_COLUMNS.iter().zip(key_types).enumerate() {
            match columns.get(i) {
                Some(c)
                    if c.name() == *name
                        && (c.value_type() == Some(ty) || (i == 2 && c.value_type().is_none())) => {
                }
                Some(c) => {
                    return invalid(format!(
                        "column {} is `{}` of type {}, expected `{name}` of type {ty}",
                        i + 1,
                        c.name(),
                        c.value_type().map_or("null", ValueType::name),
                    ));
                }
                None => return invalid(format!("missing key column `{name}`")),
            }
        }
        let attributes = &columns[KEY_COLUMNS.len()..];
        let master = SecurityMaster::with_columns(options, attributes.iter().cloned())?;
        if master
            .schema
            .order
            .iter()
            .enumerate()
            .any(|(i, &a)| i != a as usize)
        {
            let expected: Vec<String> = master
                .schema
                .attribute_columns()
                .map(|c| c.name().to_string())
                .collect();
            let found: Vec<&str> = attributes.iter().map(Column::name).collect();
            return invalid(format!(
                "attribute columns are not in priority order: expected {}, found {}",
                expected.join(", "),
                found.join(", ")
            ));
        }
        Ok(FromRows {
            master,
            line: 1,
            previous: None,
            state: vec![Value::Null; attributes.len()],
        })
    }

    /// Takes the next row: its cells in column order, each null or of its column's type.
    pub fn push(&mut self, row: &[Value]) -> Result<()> {
        let invalid = |reason: String| Err(Error::InvalidTable { reason });
        let line = self.line;
        self.line += 1;
        if row.len() != KEY_COLUMNS.len() + self.state.len() {
            return invalid(format!(
                "row {line} has {} cells, expected {}",
                row.len(),
                KEY_COLUMNS.len() + self.state.len()
            ));
        }
        let (Value::Int(id), Value::Date(start)) = (&row[0], &row[1]) else {
            return invalid(format!(
                "row {line} has a null security_id or effective_start_date"
            ));
        };
        let (id, start) = (*id, *start);
        let end = match &row[2] {
            Value::Date(d) => Some(*d),
            _ => None,
        };
        if end.is_some_and(|end| end <= start) {
            return invalid(format!("row {line} ends on or before it starts"));
        }
        match self.previous {
            Some((pid, pstart, pend)) if pid == id => {
                if start <= pstart {
                    return invalid(format!(
                        "row {line} is not sorted by (security_id, effective_start_date)"
                    ));
                }
                if pend != Some(start) {
                    return invalid(format!(
                        "row {} of security {id} should end where row {line} starts",
                        line - 1
                    ));
                }
            }
            Some((pid, _, pend)) => {
                if id < pid {
                    return invalid(format!(
                        "row {line} is not sorted by (security_id, effective_start_date)"
                    ));
                }
                if pend.is_some() {
                    return invalid(format!(
                        "row {} is the last of security {pid} but has an end date",
                        line - 1
                    ));
                }
                self.state.fill(Value::Null);
            }
            None => {}
        }
        self.previous = Some((id, start, end));
        if self.state.is_empty() {
            return invalid(format!(
                "row {line}: a master row needs at least one attribute column"
            ));
        }
        let history = self.master.securities.entry(id).or_default();
        let before = history.entries.len();
        for (a, value) in row[KEY_COLUMNS.len()..].iter().enumerate() {
            if self.state[a] != *value {
                self.state[a] = value.clone();
                history.entries.push(Entry {
                    date: start,
                    attr: a as AttrId,
                    value: value.clone(),
                });
            }
        }
        if history.entries.len() == before {
            history.entries.push(Entry {
                date: start,
                attr: 0,
                value: self.state[0].clone(),
            });
        }
        Ok(())
    }

    /// The master of the rows pushed.
    pub fn finish(self) -> Result<SecurityMaster> {
        if let Some((pid, _, Some(_))) = self.previous {
            return Err(Error::InvalidTable {
                reason: format!(
                    "row {} is the last of security {pid} but has an end date",
                    self.line - 1
                ),
            });
        }
        Ok(self.master)
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

/// The carry-forward pass over one security's facts (rules 3 and 4).
struct Walk<'a> {
    security_id: i64,
    entries: &'a [Entry],
    schema: &'a Schema,
    /// The next entry to apply.
    next: usize,
    /// The current row's start, once a fact has been applied.
    start: Option<NaiveDate>,
    /// The current value of each attribute, by [`AttrId`]: borrowed from the entries, so
    /// carrying a value forward copies a pointer, not the value.
    state: Vec<&'a Value>,
}

/// What an attribute holds before its first fact.
static NULL: Value = Value::Null;

impl<'a> Walk<'a> {
    fn new(
        security_id: i64,
        history: &'a History,
        schema: &'a Schema,
        mut state: Vec<&'a Value>,
    ) -> Walk<'a> {
        state.clear();
        state.resize(schema.names.len(), &NULL);
        Walk {
            security_id,
            entries: &history.entries,
            schema,
            next: 0,
            start: None,
            state,
        }
    }

    /// Applies every fact dated `date`, which must be the next date.
    fn apply_date(&mut self, date: NaiveDate) {
        while let Some(e) = self.entries.get(self.next).filter(|e| e.date == date) {
            self.state[e.attr as usize] = &e.value;
            self.next += 1;
        }
        self.start = Some(date);
    }

    fn row(&self) -> Option<RowRef<'_>> {
        Some(RowRef {
            security_id: self.security_id,
            start: self.start?,
            end: self.entries.get(self.next).map(|e| e.date),
            state: &self.state,
            order: &self.schema.order,
        })
    }

    /// Moves to the next row.
    fn step(&mut self) -> Option<RowRef<'_>> {
        let date = self.entries.get(self.next)?.date;
        self.apply_date(date);
        self.row()
    }

    /// Moves to the row valid on `date` (the last one starting on or before it), if any.
    /// Dates passed must not decrease.
    fn advance_to(&mut self, date: NaiveDate) -> Option<RowRef<'_>> {
        while let Some(d) = self
            .entries
            .get(self.next)
            .map(|e| e.date)
            .filter(|&d| d <= date)
        {
            self.apply_date(d);
        }
        self.row()
    }
}

/// A cursor over table rows, from [`SecurityMaster::cursor`]. Each row borrows the cursor,
/// so nothing is copied; call [`RowRef::to_vec`] to keep one.
pub struct RowCursor<'a> {
    master: &'a SecurityMaster,
    securities: btree_map::Range<'a, i64, History>,
    walk: Option<Walk<'a>>,
}

impl std::fmt::Debug for RowCursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowCursor").finish_non_exhaustive()
    }
}

impl<'a> RowCursor<'a> {
    fn new(
        master: &'a SecurityMaster,
        securities: btree_map::Range<'a, i64, History>,
    ) -> RowCursor<'a> {
        RowCursor {
            master,
            securities,
            walk: None,
        }
    }

    /// The next row, or `None` after the last.
    #[allow(clippy::should_implement_trait)] // a lending cursor cannot be an `Iterator`
    pub fn next_row(&mut self) -> Option<RowRef<'_>> {
        loop {
            let more = self.walk.as_ref().is_some_and(|w| w.next < w.entries.len());
            if more {
                return self.walk.as_mut()?.step();
            }
            let (&id, history) = self.securities.next()?;
            let state = self.walk.take().map(|w| w.state).unwrap_or_default();
            self.walk = Some(Walk::new(id, history, &self.master.schema, state));
        }
    }
}

/// One row of a master's table, borrowed from a [`RowCursor`].
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    security_id: i64,
    start: NaiveDate,
    end: Option<NaiveDate>,
    state: &'a [&'a Value],
    order: &'a [AttrId],
}

impl<'a> RowRef<'a> {
    /// The security.
    pub fn security_id(&self) -> i64 {
        self.security_id
    }

    /// The first day of the period.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The day after the last day of the period; `None` for the open last row.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }

    /// The number of attribute cells.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the row has no attribute cells.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Attribute cell `i`, in the order of [`SecurityMaster::columns`] minus the key columns.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn attribute(&self, i: usize) -> &'a Value {
        self.state[self.order[i] as usize]
    }

    /// The attribute cells in column order.
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = &'a Value> + 'a {
        let state = self.state;
        self.order.iter().map(move |&a| state[a as usize])
    }

    /// The whole row, key cells first, copied out.
    pub fn to_vec(&self) -> Vec<Value> {
        [
            Value::Int(self.security_id),
            Value::Date(self.start),
            self.end.map_or(Value::Null, Value::Date),
        ]
        .into_iter()
        .chain(self.attributes().cloned())
        .collect()
    }
}

/// Consecutive rows of a master's table, for reading it column by column: from
/// [`SecurityMaster::chunks`]. A chunk borrows the master and can be read on any thread,
/// so the chunks of a table can be turned into columns in parallel.
#[derive(Debug, Clone)]
pub struct Chunk<'a> {
    schema: &'a Schema,
    /// Each security with rows here, and which of its rows: `from..to`, counted from its
    /// first row.
    parts: Vec<ChunkPart<'a>>,
    rows: usize,
}

#[derive(Debug, Clone, Copy)]
struct ChunkPart<'a> {
    id: i64,
    entries: &'a [Entry],
    from: usize,
    to: usize,
}

impl<'a> Chunk<'a> {
    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.rows
    }

    /// The key cells of each row, in order: security, start, end (`None`: the open last row).
    pub fn keys(&self) -> impl Iterator<Item = (i64, NaiveDate, Option<NaiveDate>)> + '_ {
        self.parts.iter().flat_map(|p| {
            let mut dates = p.entries.iter().map(|e| e.date).peekable();
            let mut starts = std::iter::from_fn(move || {
                let date = dates.next()?;
                while dates.next_if_eq(&date).is_some() {}
                Some((date, dates.peek().copied()))
            });
            let first = starts.by_ref().nth(p.from);
            first
                .into_iter()
                .chain(starts)
                .take(p.to - p.from)
                .map(move |(start, end)| (p.id, start, end))
        })
    }

    /// Each attribute column's cells (in the order of [`SecurityMaster::columns`] minus the
    /// key columns) as runs down the chunk's rows: `(n, value)` is `value` in the next `n`
    /// rows. A column's runs cover every row of the chunk, in order; neighbouring runs may
    /// hold equal values. This is the table's natural form, since a value is carried
    /// forward until the next fact of its attribute: about one run per fact in force.
    pub fn column_runs(&self) -> Vec<Vec<(usize, &'a Value)>> {
        let width = self.schema.order.len();
        // The column of each attribute id.
        let mut column = vec![0; width];
        for (c, &a) in self.schema.order.iter().enumerate() {
            column[a as usize] = c;
        }
        let mut runs: Vec<Vec<(usize, &'a Value)>> = vec![Vec::new(); width];
        // Per column: the current value and the row (within the chunk) its run started on.
        let mut current: Vec<&'a Value> = vec![&NULL; width];
        let mut started = vec![0usize; width];
        let mut base = 0; // the chunk row of the part's row `from`
        for p in &self.parts {
            current.fill(&NULL);
            started.fill(base);
            let mut row = 0; // the part's row of the entry, counted from the security's first
            let mut previous = None;
            for e in p.entries {
                if previous.is_some_and(|d| d != e.date) {
                    row += 1;
                }
                previous = Some(e.date);
                if row >= p.to {
                    break;
                }
                let c = column[e.attr as usize];
                if row > p.from {
                    let at = base + row - p.from;
                    if at > started[c] {
                        runs[c].push((at - started[c], current[c]));
                        started[c] = at;
                    }
                }
                current[c] = &e.value;
            }
            let end = base + p.to - p.from;
            for c in 0..width {
                if end > started[c] {
                    runs[c].push((end - started[c], current[c]));
                }
            }
            base = end;
        }
        runs
    }
}

/// The chunks of a master's table, from [`SecurityMaster::chunks`].
#[derive(Debug)]
pub struct Chunks<'a> {
    schema: &'a Schema,
    securities: btree_map::Iter<'a, i64, History>,
    /// A security whose rows did not all fit the last chunk: it, its rows, and the first
    /// row not yet given.
    pending: Option<(i64, &'a [Entry], usize, usize)>,
    rows: usize,
    /// Securities (sorted) whose rows before a date are left out.
    since: &'a [(i64, NaiveDate)],
}

impl<'a> Chunks<'a> {
    /// These chunks, but of each security `since` names (sorted by id, each once) only the
    /// rows that start on or after its date. The rows keep their values and ends: a value
    /// carried forward from a left-out row is still there.
    ///
    /// ```
    /// use secmaster_core::{Fact, SecurityMaster};
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let master = SecurityMaster::build([
    ///     Fact::new(1, "ticker", "GRPH", d("2024-01-01")),
    ///     Fact::new(1, "name", "Lenz", d("2024-03-22")),
    ///     Fact::new(2, "ticker", "ACME", d("2024-01-01")),
    /// ])?;
    /// let since = [(1, d("2024-02-01"))];
    /// let keys: Vec<_> = master.chunks(10).since(&since).flat_map(|c| c.keys().collect::<Vec<_>>()).collect();
    /// assert_eq!(keys, [(1, d("2024-03-22"), None), (2, d("2024-01-01"), None)]);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn since(mut self, since: &'a [(i64, NaiveDate)]) -> Chunks<'a> {
        self.since = since;
        self
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Chunk<'a>;

    fn next(&mut self) -> Option<Chunk<'a>> {
        let mut chunk = Chunk {
            schema: self.schema,
            parts: Vec::new(),
            rows: 0,
        };
        while chunk.rows < self.rows {
            let (id, entries, total, from) = match self.pending.take() {
                Some(p) => p,
                None => match self.securities.next() {
                    Some((&id, h)) => {
                        let from = match self.since.binary_search_by_key(&id, |&(i, _)| i) {
                            Ok(k) => h.rows_before(self.since[k].1),
                            Err(_) => 0,
                        };
                        (id, &h.entries[..], h.num_rows(), from)
                    }
                    None => break,
                },
            };
            let to = total.min(from.saturating_add(self.rows - chunk.rows));
            if to < total {
                self.pending = Some((id, entries, total, to));
            }
            if to > from {
                chunk.parts.push(ChunkPart {
                    id,
                    entries,
                    from,
                    to,
                });
                chunk.rows += to - from;
            }
        }
        (chunk.rows > 0).then_some(chunk)
    }
}
