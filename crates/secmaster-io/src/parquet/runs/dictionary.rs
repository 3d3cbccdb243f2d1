//! A column's distinct values in a row group, and their PLAIN bytes.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::fx::FxBuild;

/// The distinct values of a column in a row group, in order of first appearance: a value's
/// index is its place here. Once their PLAIN bytes pass the limit, the column will be
/// written PLAIN: from then on every new run gets an index of its own, unhashed.
pub(super) struct Dictionary<K> {
    index: HashMap<K, u32, FxBuild>,
    pub(super) values: Vec<K>,
    /// The PLAIN bytes of `values`, and the most a dictionary page may hold.
    bytes: usize,
    limit: usize,
    /// The last value looked up and its index: neighbouring runs often hold one value.
    last: Option<(K, u32)>,
}

/// A dictionary's key.
pub(super) trait Key: Copy + Eq + Hash {
    /// Its size in a PLAIN page.
    fn plain_bytes(&self) -> usize;

    /// Whether it is surely `other`, cheaply: a `false` only costs a hash lookup.
    fn same(&self, other: &Self) -> bool {
        self == other
    }
}

impl Key for i64 {
    fn plain_bytes(&self) -> usize {
        8
    }
}

impl Key for i32 {
    fn plain_bytes(&self) -> usize {
        4
    }
}

impl Key for u64 {
    fn plain_bytes(&self) -> usize {
        8
    }
}

/// Text and its hash, computed once: growing the table rehashes from the hash, without
/// reading the text again (scattered over the heap, a cache miss each).
#[derive(Clone, Copy)]
pub(super) struct Text<'a> {
    text: &'a str,
    hash: u64,
}

impl<'a> Text<'a> {
    // #[inline] here and below: called per value or run from column.rs, which the
    // compiler may put in another codegen unit, where it would not inline them.
    #[inline]
    pub(super) fn new(text: &'a str) -> Text<'a> {
        let mut hasher = crate::fx::Fx::default();
        hasher.write(text.as_bytes());
        Text {
            text,
            hash: hasher.finish(),
        }
    }
}

impl<'a> Text<'a> {
    pub(super) fn as_str(&self) -> &'a str {
        self.text
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Text<'_> {}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl Key for Text<'_> {
    fn plain_bytes(&self) -> usize {
        4 + self.text.len()
    }

    /// The same text in memory: a master shares one string among equal values, mostly.
    fn same(&self, other: &Self) -> bool {
        std::ptr::eq(self.text, other.text)
    }
}

impl<K: Key> Dictionary<K> {
    pub(super) fn new(limit: usize) -> Dictionary<K> {
        Dictionary {
            index: HashMap::default(),
            values: Vec::new(),
            bytes: 0,
            limit,
            last: None,
        }
    }

    /// Whether the values are past the limit: the column is written PLAIN.
    pub(super) fn full(&self) -> bool {
        self.bytes > self.limit
    }

    #[inline]
    pub(super) fn index(&mut self, key: K) -> u32 {
        if let Some((last, i)) = self.last
            && last.same(&key)
        {
            return i;
        }
        let next = u32::try_from(self.values.len()).expect("a row group's runs fit a u32");
        let i = if self.full() {
            next
        } else {
            *self.index.entry(key).or_insert(next)
        };
        if i == next {
            self.values.push(key);
            self.bytes += key.plain_bytes();
            if self.full() {
                self.index = HashMap::default();
            }
        }
        self.last = Some((key, i));
        i
    }
}

/// The values of a column as its pages hold them.
pub(super) enum Values<'a> {
    Int(Dictionary<i64>),
    Date(Dictionary<i32>),
    /// By their bits, so that every float (-0.0, NaNs) keeps its exact value.
    Float(Dictionary<u64>),
    Text(Dictionary<Text<'a>>),
    /// PLAIN bits; a run's "index" is its value, 0 or 1.
    Bool,
    /// A column of no type: no fact has a value.
    Null,
}

impl Values<'_> {
    /// Value `i` of the dictionary, PLAIN, `n` times.
    pub(super) fn put_plain(&self, out: &mut Vec<u8>, i: u32, n: u32) {
        let i = i as usize;
        let mut put = |bytes: &[u8]| {
            for _ in 0..n {
                out.extend_from_slice(bytes);
            }
        };
        match self {
            Values::Int(d) => put(&d.values[i].to_le_bytes()),
            Values::Date(d) => put(&d.values[i].to_le_bytes()),
            Values::Float(d) => put(&d.values[i].to_le_bytes()),
            Values::Text(d) => {
                let text = d.values[i].text;
                let len = u32::try_from(text.len()).expect("a text value under 4 GiB");
                for _ in 0..n {
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(text.as_bytes());
                }
            }
            Values::Bool | Values::Null => unreachable!("no dictionary"),
        }
    }
}
