//! One block of a fact CSV parsed into compact facts, with what it saw of each attribute.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use secmaster_core::ValueType;

use super::cell::{Cell, cell};
use super::slice::{SliceRecords, Span};
use crate::csv::record_error;
use crate::facts::{DateFormat, ReadOptions};
use crate::fx::FxBuild;
use crate::infer::Fits;
use crate::{Error, Location, Result};

/// One fact of a block, its attribute an index into the block's attributes.
pub(super) struct Compact {
    pub(super) id: i64,
    pub(super) date: NaiveDate,
    pub(super) attribute: u32,
    pub(super) cell: Cell,
}

/// An attribute as seen in one block.
pub(super) struct BlockAttribute {
    pub(super) name: Box<str>,
    pub(super) fits: Fits,
    /// The type of the master's column, and whether every text seen fits it.
    pub(super) known: Option<(ValueType, bool)>,
    pub(super) strings: HashSet<Arc<str>, FxBuild>,
}

/// What parsing a block gave: its facts up to the first error, and that error.
#[derive(Default)]
pub(super) struct Block {
    pub(super) facts: Vec<Compact>,
    pub(super) attributes: Vec<BlockAttribute>,
    pub(super) error: Option<Error>,
}

/// What every block is parsed with.
pub(super) struct Context<'a> {
    pub(super) name: &'a Path,
    pub(super) options: &'a ReadOptions,
    pub(super) known: HashMap<&'a str, ValueType>,
    /// The positions of the four fact columns in a record, and the record width.
    pub(super) indices: Vec<usize>,
    pub(super) width: usize,
}

impl Context<'_> {
    fn invalid(&self, line: u64, column: &str, expected: String, found: &str) -> Error {
        Error::invalid_value(self.name, Location::Line(line), column, expected, found)
    }

    /// Parses the records of a block from `records`' position on.
    pub(super) fn parse(
        &self,
        mut records: SliceRecords<'_>,
        dates: &mut Option<DateFormat>,
    ) -> Block {
        let mut block = Block {
            facts: Vec::with_capacity(records.data.len() / 40),
            ..Block::default()
        };
        let mut index: HashMap<Box<str>, u32, FxBuild> = HashMap::default();
        let mut scratch = Vec::new();
        let mut fields = Vec::new();
        let mut float_text = String::new();
        let err = record_error(self.name);
        loop {
            let (line, source) = match records.next_record(&mut scratch, &mut fields) {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(e) => {
                    block.error = Some(err(e));
                    break;
                }
            };
            match self.fact(line, records.text(&scratch, source), &fields, dates) {
                Ok((id, attribute, value, date)) => {
                    let a = match index.get(attribute) {
                        Some(&a) => a,
                        None => {
                            let a = block.attributes.len() as u32;
                            block.attributes.push(BlockAttribute {
                                name: attribute.into(),
                                fits: Fits::default(),
                                known: self.known.get(attribute).map(|&t| (t, true)),
                                strings: HashSet::default(),
                            });
                            index.insert(attribute.into(), a);
                            a
                        }
                    };
                    let attr = &mut block.attributes[a as usize];
                    let cell = match value {
                        None => Cell::Null,
                        Some(t) => cell(t, attr, &mut float_text),
                    };
                    block.facts.push(Compact {
                        id,
                        date,
                        attribute: a,
                        cell,
                    });
                }
                Err(e) => {
                    block.error = Some(e);
                    break;
                }
            }
        }
        block
    }

    /// The checked parts of one record: id, attribute, value text (`None`: empty, a
    /// retraction) and date.
    fn fact<'s>(
        &self,
        line: u64,
        record: &'s str,
        fields: &[Span],
        dates: &mut Option<DateFormat>,
    ) -> Result<(i64, &'s str, Option<&'s str>, NaiveDate)> {
        if fields.len() != self.width {
            return Err(Error::RaggedRow {
                path: self.name.to_path_buf(),
                location: Location::Line(line),
                expected: self.width,
                found: fields.len(),
            });
        }
        let f = |k: usize| {
            let span = fields[self.indices[k]];
            &record[span.start..span.end]
        };
        let id = f(0).parse::<i64>().map_err(|_| {
            self.invalid(
                line,
                "security_id",
                "an integer security id".to_string(),
                f(0),
            )
        })?;
        let attribute = f(1);
        if let Some(expected) = crate::facts::not_an_attribute(attribute) {
            return Err(self.invalid(line, "attribute", expected.to_string(), attribute));
        }
        let date_text = f(3);
        if dates.is_none() {
            *dates = DateFormat::pick(self.options, date_text);
        }
        let date = dates
            .as_ref()
            .and_then(|d| d.parse(date_text))
            .ok_or_else(|| {
                self.invalid(
                    line,
                    "effective_date",
                    DateFormat::expected(dates.as_ref()),
                    date_text,
                )
            })?;
        let value = f(2);
        Ok((id, attribute, (!value.is_empty()).then_some(value), date))
    }
}
