//! Applying a validated batch: its spools sorted, deduplicated by key (rule 5) and inserted
//! into the securities they touch.

use std::sync::Arc;

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::SecurityMaster;
use super::history::History;
use super::intake::{Spool, Staged, Taken};
use crate::ValueType;

/// A spool made ready to apply: the histories of (some of) the securities new to the
/// master, and the facts of the others, sorted.
struct Prepared {
    created: Vec<(i64, History)>,
    /// The other facts: of known securities, or of all when the batch was small.
    existing: Vec<Staged>,
}

/// Readies each spool for applying: its facts widened to their column's type, sorted by
/// `(security, date, attribute)`, and of each key only the last to arrive (rule 5). Large
/// batches use the current rayon pool, a spool per task, and make the histories of the
/// securities not in `securities` there too (a build's whole apply); a small batch leaves
/// that to the apply, which looks each security up once anyway.
fn prepare(
    spools: Vec<Spool>,
    types: &[Option<ValueType>],
    securities: &BTreeMap<i64, Arc<History>>,
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
    if rayon::current_num_threads() < 2 || facts < 1 << 16 {
        return spools.into_iter().map(|s| one(s, false)).collect();
    }
    // A spool per task; `collect` keeps the spools' order, so the result does not depend
    // on how the pool schedules them.
    spools.into_par_iter().map(|s| one(s, true)).collect()
}

impl SecurityMaster {
    /// Applies a validated batch: from here on nothing fails.
    pub(super) fn apply(&mut self, taken: Taken) {
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
                for e in &mut Arc::make_mut(history).entries {
                    if widened[e.attr as usize] {
                        e.value.widen(Some(ValueType::Float));
                    }
                }
            }
        }
        self.schema.types = types;

        // A spool at a time: its facts are a few hundred securities' worth, so sorting them
        // and walking those histories stays in cache. A large batch's new securities have
        // their histories made beside the sorting, on the current rayon pool. The staging is freed as
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
                    Some(history) => Arc::make_mut(history).insert(batch),
                    None => created.push((id, History::created(len, batch))),
                }
            }
        }
        created.sort_unstable_by_key(|&(id, _)| id);
        if self.securities.is_empty() {
            // A bulk build from sorted keys.
            self.securities = created
                .into_iter()
                .map(|(id, h)| (id, Arc::new(h)))
                .collect();
        } else {
            self.securities
                .extend(created.into_iter().map(|(id, h)| (id, Arc::new(h))));
        }
    }
}
