//! The blocks of a fact CSV typed together: the facts in file order, each typed per
//! attribute over the whole file as it is taken.

use std::collections::HashMap;
use std::sync::Arc;

use secmaster_core::{Fact, ValueType};

use super::parse::{Block, Compact};
use crate::Result;
use crate::infer::Fits;

/// Types every attribute over all blocks, keeping the facts in their compact form; or
/// the earliest block's error.
pub(super) fn finish(blocks: Vec<Block>, known: &HashMap<&str, ValueType>) -> Result<TypedFacts> {
    struct Attribute {
        name: Arc<str>,
        fits: Fits,
        known: Option<(ValueType, bool)>,
    }
    if blocks.iter().any(|b| b.error.is_some()) {
        let first = blocks.into_iter().find_map(|b| b.error);
        return Err(first.expect("one block failed"));
    }
    let mut attributes: Vec<Attribute> = Vec::new();
    let mut index: HashMap<Box<str>, usize> = HashMap::new();
    let mut typed = Vec::with_capacity(blocks.len());
    let mut total = 0;
    for block in blocks {
        total += block.facts.len();
        let map = block
            .attributes
            .into_iter()
            .map(|b| {
                let a = *index.entry(b.name.clone()).or_insert_with(|| {
                    attributes.push(Attribute {
                        name: Arc::from(&*b.name),
                        fits: Fits::default(),
                        known: known.get(&*b.name).map(|&t| (t, true)),
                    });
                    attributes.len() - 1
                });
                let attr = &mut attributes[a];
                attr.fits.merge(&b.fits);
                if let (Some((_, all)), Some((_, fits))) = (&mut attr.known, &b.known) {
                    *all = *all && *fits;
                }
                a
            })
            .collect();
        typed.push((block.facts, map));
    }
    let types = attributes
        .iter()
        .map(|a| match a.known {
            Some((ty, true)) => ty,
            _ => a.fits.narrowest().unwrap_or(ValueType::Str),
        })
        .collect();
    Ok(TypedFacts {
        names: attributes.into_iter().map(|a| a.name).collect(),
        types,
        blocks: typed.into_iter(),
        current: Vec::new().into_iter(),
        map: Vec::new(),
        remaining: total,
    })
}

/// The facts of a CSV input in file order, each typed as it is taken from its compact
/// form; a block's memory goes as its last fact is taken.
pub(crate) struct TypedFacts {
    /// One shared name per attribute (the core finds an attribute by its name's address).
    names: Vec<Arc<str>>,
    types: Vec<ValueType>,
    blocks: std::vec::IntoIter<(Vec<Compact>, Vec<usize>)>,
    current: std::vec::IntoIter<Compact>,
    /// The current block's attributes in `names`.
    map: Vec<usize>,
    remaining: usize,
}

impl TypedFacts {
    /// At most `n` parts of consecutive blocks with about as many facts each, in order,
    /// each with names of its own.
    pub(crate) fn into_parts(self, n: usize) -> Vec<TypedFacts> {
        let mut parts = Vec::with_capacity(n);
        let size = self.remaining.div_ceil(n.max(1)).max(1);
        let names = self.names;
        let part = |current: std::vec::IntoIter<Compact>,
                    map: Vec<usize>,
                    blocks: Vec<(Vec<Compact>, Vec<usize>)>| {
            let remaining = current.len() + blocks.iter().map(|b| b.0.len()).sum::<usize>();
            TypedFacts {
                names: names.iter().map(|n| Arc::from(&**n)).collect(),
                types: self.types.clone(),
                blocks: blocks.into_iter(),
                current,
                map,
                remaining,
            }
        };
        // The first part starts with what is left of the current block.
        let (mut current, mut map) = (self.current, self.map);
        let mut count = current.len();
        let mut blocks = Vec::new();
        for block in self.blocks {
            if count >= size && parts.len() + 1 < n {
                parts.push(part(current, map, std::mem::take(&mut blocks)));
                (current, map, count) = (Vec::new().into_iter(), Vec::new(), 0);
            }
            count += block.0.len();
            blocks.push(block);
        }
        parts.push(part(current, map, blocks));
        parts
    }
}

impl Iterator for TypedFacts {
    type Item = Fact;

    fn next(&mut self) -> Option<Fact> {
        loop {
            if let Some(c) = self.current.next() {
                self.remaining -= 1;
                let a = self.map[c.attribute as usize];
                let value = c.cell.into_value(self.types[a]);
                return Some(Fact::new(c.id, self.names[a].clone(), value, c.date));
            }
            let (facts, map) = self.blocks.next()?;
            self.current = facts.into_iter();
            self.map = map;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for TypedFacts {}
