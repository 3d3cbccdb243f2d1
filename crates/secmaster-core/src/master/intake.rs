//! [`Intake`]: a batch taken in before anything is applied: every fact validated (rule 8),
//! interned and spooled by security; and [`combine`], which joins the intakes of the parts
//! of one batch into what a single intake of the whole would give.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::history::Entry;
use super::schema::{AttrId, Schema};
use crate::{Error, Fact, KEY_COLUMNS, Result, ValueType};

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

/// A fact validated and interned, waiting to be applied.
pub(super) struct Staged {
    pub(super) security: i64,
    pub(super) entry: Entry,
}

/// Staged facts are spread over this many spools by security, so that moving them into
/// per-security batches touches one spool's few hundred securities at a time: a scatter over
/// all securities at once misses the cache and the TLB on nearly every fact.
const SPOOLS: usize = 256;
const _: () = assert!(SPOOLS.is_power_of_two());

/// Staged facts of some securities, in arrival order, in chunks that grow to a cap: memory
/// stays close to the facts held, and is freed chunk by chunk as they are applied.
#[derive(Default)]
pub(super) struct Spool {
    chunks: Vec<Vec<Staged>>,
}

impl Spool {
    const MAX_CHUNK: usize = 4096;

    pub(super) fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// The staged facts in arrival order, in one vector.
    pub(super) fn into_vec(self) -> Vec<Staged> {
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
pub(super) struct Intake<'m> {
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
    /// arrival order, from which [`super::SecurityMaster::merge_parts`] finds the fact a
    /// whole-batch intake would refuse (see [`combine`]).
    pub(super) firsts: Option<Vec<(AttrId, ValueType, Fact)>>,
    /// Per attribute, the types with a fact in `firsts`, as bits.
    seen: Vec<u8>,
}

impl<'m> Intake<'m> {
    pub(super) fn new(schema: &'m Schema) -> Intake<'m> {
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

    /// The id of `name`, or `None` when no attribute may have it (rule 1): it is empty or
    /// a key column's. Only a name new to the master is checked, since the schema holds
    /// valid names alone.
    fn attribute(&mut self, name: &Arc<str>) -> Option<AttrId> {
        let address = Arc::as_ptr(name).cast::<u8>() as usize;
        if let Some((_, a)) = self.by_address.get(&address) {
            return Some(*a);
        }
        let attr = match self.schema.index.get(&**name) {
            Some(&a) => a,
            None if name.is_empty() || KEY_COLUMNS.contains(&&**name) => return None,
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
        Some(attr)
    }

    pub(super) fn take(&mut self, fact: Fact) -> Result<()> {
        let Some(attr) = self.attribute(fact.attribute_arc()) else {
            return Err(if fact.attribute().is_empty() {
                Error::EmptyAttribute { fact }
            } else {
                Error::KeyAttribute { fact }
            });
        };
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
pub(super) struct Taken {
    pub(super) types: Vec<Option<ValueType>>,
    pub(super) new_names: Vec<Arc<str>>,
    pub(super) new_index: HashMap<Arc<str>, AttrId>,
    pub(super) spools: Vec<Spool>,
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
pub(super) fn combine(schema: &Schema, parts: Vec<(Intake<'_>, Option<Error>)>) -> Result<Taken> {
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
    // Number attributes as the whole batch would, a part per task on the current rayon
    // pool: a part's ids are its own.
    spools.par_iter_mut().zip(&maps).for_each(|(spools, map)| {
        if let Some(map) = map {
            for chunk in spools.iter_mut().flat_map(|s| &mut s.chunks) {
                for staged in chunk {
                    staged.entry.attr = map[staged.entry.attr as usize];
                }
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
