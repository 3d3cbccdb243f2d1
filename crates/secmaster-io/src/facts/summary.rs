//! [`TypeSummary`]: what the facts of one part of an input say about each attribute's
//! type, mergeable over parts, so that rule 8 and the typing of text are decided once for
//! an input read in many parts (by Spark's executors), exactly as for the whole at once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use chrono::NaiveDate;
use secmaster_core::{Column, Fact, Options, SecurityMaster, Value, ValueType};
use serde::{Deserialize, Serialize};

use super::{FACT_COLUMNS, ReadOptions};
use crate::infer::{Fits, parse_as};
use crate::text::{format_date, format_float};
use crate::{Error, Result};

/// What the facts of a part of an input say about each attribute's type: which types all
/// its text values fit (what a read of the whole types them by), and the types of
/// its typed values, each with its first fact. Made from a part's Arrow batches
/// ([`TypeSummary::of_arrow`]), combined over the parts in any order
/// ([`TypeSummary::merge`]), then decided into the columns a build of the whole input
/// would have ([`TypeSummary::columns`]): the same types, in rule 7's order.
///
/// Reading each part with those columns declared (`ReadOptions::with_columns`, into a
/// master made by `SecurityMaster::with_columns`) then types every part as a read of the
/// whole input does, since every text value fits its attribute's decided type.
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use arrow_array::{Date32Array, Int64Array, RecordBatch, RecordBatchIterator, StringArray};
/// use secmaster_core::{Column, Options, ValueType};
/// use secmaster_io::ReadOptions;
/// use secmaster_io::facts::TypeSummary;
///
/// let part = |values: Vec<&str>| {
///     let n = values.len();
///     let batch = RecordBatch::try_from_iter([
///         ("security_id", Arc::new(Int64Array::from(vec![1; n])) as _),
///         ("attribute", Arc::new(StringArray::from(vec!["price"; n])) as _),
///         ("value", Arc::new(StringArray::from(values)) as _),
///         ("effective_date", Arc::new(Date32Array::from(vec![19_000; n])) as _),
///     ])
///     .unwrap();
///     let reader = RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
///     TypeSummary::of_arrow(reader, Path::new("part"), &ReadOptions::default())
/// };
/// let mut summary = part(vec!["10", "11"])?;
/// summary.merge(&part(vec!["10.5"])?);
/// let columns = summary.columns(&Options::default())?;
/// assert_eq!(columns, [Column::new("price", Some(ValueType::Float))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeSummary {
    /// Attributes in order of first appearance.
    attributes: Vec<Attribute>,
}

/// One attribute's part of a [`TypeSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Attribute {
    name: String,
    /// What every text value fits.
    text: Fits,
    /// Each type of typed value seen, by name, with the first fact of that type.
    typed: Vec<(String, Example)>,
}

/// A fact, kept to name it in a rule 8 error: security, date, value as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Example(i64, NaiveDate, String);

impl TypeSummary {
    /// The summary of a part of an input given as Arrow batches in a layout
    /// [`read_arrow`](super::read_arrow) reads: text values by what they fit (the same
    /// parse as a read), typed values by their types. Fails on the first bad row, as a
    /// read would.
    pub fn of_arrow(
        batches: impl RecordBatchReader,
        name: &Path,
        options: &ReadOptions,
    ) -> Result<TypeSummary> {
        let schema = batches.schema();
        let batches: Vec<RecordBatch> = batches
            .collect::<std::result::Result<_, _>>()
            .map_err(crate::error::arrow_error(name))?;
        let mut summary = TypeSummary::default();
        if let Some(fits) = crate::csv::facts::arrow::summarize(&schema, &batches, name, options)? {
            summary.attributes = fits
                .into_iter()
                .map(|(name, text)| Attribute {
                    name: name.into(),
                    text,
                    typed: Vec::new(),
                })
                .collect();
            return Ok(summary);
        }
        // A text `value` column the reader above does not take would be typed per part by
        // the general reader, not over the whole input: refuse it rather than differ.
        let value = schema.fields().iter().find(|f| f.name() == FACT_COLUMNS[2]);
        if let Some(field) = value
            && matches!(
                field.data_type(),
                arrow_schema::DataType::Utf8
                    | arrow_schema::DataType::LargeUtf8
                    | arrow_schema::DataType::Utf8View
            )
        {
            return Err(Error::InvalidSchema {
                path: name.to_path_buf(),
                reason: "facts with text values in parts need an integer security_id and \
                         an effective_date of dates or text"
                    .to_string(),
            });
        }
        let reader = arrow_array::RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
        let mut index: HashMap<Arc<str>, usize> = HashMap::new();
        for fact in super::read_arrow(reader, name, options)? {
            let a = *index
                .entry(fact.attribute_arc().clone())
                .or_insert_with(|| {
                    summary.attributes.push(Attribute {
                        name: fact.attribute().to_string(),
                        text: Fits::default(),
                        typed: Vec::new(),
                    });
                    summary.attributes.len() - 1
                });
            let Some(ty) = fact.value().value_type() else {
                continue;
            };
            let typed = &mut summary.attributes[a].typed;
            if !typed.iter().any(|(t, _)| t == ty.name()) {
                let example = Example(
                    fact.security_id(),
                    fact.effective_date(),
                    text(fact.value()),
                );
                typed.push((ty.name().to_string(), example));
            }
        }
        Ok(summary)
    }

    /// Adds what `other` saw, as if its part had been read after this one's.
    pub fn merge(&mut self, other: &TypeSummary) {
        let mut index: HashMap<String, usize> = self
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.clone(), i))
            .collect();
        for theirs in &other.attributes {
            let a = *index.entry(theirs.name.clone()).or_insert_with(|| {
                self.attributes.push(Attribute {
                    name: theirs.name.clone(),
                    text: Fits::default(),
                    typed: Vec::new(),
                });
                self.attributes.len() - 1
            });
            let ours = &mut self.attributes[a];
            ours.text.merge(&theirs.text);
            for (ty, example) in &theirs.typed {
                if !ours.typed.iter().any(|(t, _)| t == ty) {
                    ours.typed.push((ty.clone(), example.clone()));
                }
            }
        }
    }

    /// The attribute columns a build of every part read as one input has, in the order
    /// `options` shows them (rule 7), each at its type: text values typed by the narrowest
    /// type all of them fit, typed values unified by rule 8 (an attribute with only null
    /// values has none). Refuses types that do not mix, naming a fact, as a build would.
    pub fn columns(&self, options: &Options) -> secmaster_core::Result<Vec<Column>> {
        let mut columns = Vec::with_capacity(self.attributes.len());
        for a in &self.attributes {
            let mut ty = a.text.narrowest();
            for (name, Example(id, date, value)) in &a.typed {
                let found = ValueType::from_name(name).expect("a type's own name");
                ty = match ty {
                    None => Some(found),
                    Some(existing) => match existing.unify(found) {
                        Some(t) => Some(t),
                        None => {
                            let value = parse_as(value, found)
                                .unwrap_or_else(|| Value::from(value.as_str()));
                            return Err(secmaster_core::Error::TypeConflict {
                                attribute: a.name.clone(),
                                existing,
                                found,
                                fact: Fact::new(*id, &*a.name, value, *date),
                            });
                        }
                    },
                };
            }
            columns.push(Column::new(&*a.name, ty));
        }
        let master = SecurityMaster::with_columns(options.clone(), columns)?;
        // The key columns first, then the attributes in display order.
        Ok(master.columns().split_off(3))
    }

    /// The summary as JSON text, to send between processes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a summary serializes")
    }

    /// A summary [`to_json`](TypeSummary::to_json) wrote; `None` if `text` is not one.
    pub fn from_json(text: &str) -> Option<TypeSummary> {
        serde_json::from_str(text).ok()
    }
}

/// A value as text that [`parse_as`] reads back.
fn text(value: &Value) -> String {
    match value {
        Value::Float(x) => format_float(*x),
        Value::Date(d) => format_date(*d),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{
        ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatchIterator,
        StringArray,
    };

    use super::*;
    use crate::facts::read_arrow;

    fn summary(batch: &RecordBatch) -> Result<TypeSummary> {
        let reader = RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
        TypeSummary::of_arrow(reader, Path::new("part"), &ReadOptions::default())
    }

    /// The columns of a master built from `batch`, read as one input.
    fn built(batch: &RecordBatch) -> Vec<Column> {
        let reader = RecordBatchIterator::new([Ok(batch.clone())], batch.schema());
        let facts = read_arrow(reader, Path::new("whole"), &ReadOptions::default()).unwrap();
        SecurityMaster::build(facts).unwrap().columns().split_off(3)
    }

    /// Text facts `(id, attribute, value)` on one date.
    fn text(rows: &[(i64, &str, &str)]) -> RecordBatch {
        let ids = Int64Array::from_iter_values(rows.iter().map(|r| r.0));
        let attributes = StringArray::from_iter_values(rows.iter().map(|r| r.1));
        let values = StringArray::from_iter_values(rows.iter().map(|r| r.2));
        let dates = Date32Array::from_iter_values(rows.iter().map(|_| 19_000));
        RecordBatch::try_from_iter([
            ("security_id", Arc::new(ids) as ArrayRef),
            ("attribute", Arc::new(attributes) as _),
            ("value", Arc::new(values) as _),
            ("effective_date", Arc::new(dates) as _),
        ])
        .unwrap()
    }

    #[test]
    fn parts_decide_the_types_a_read_of_the_whole_gives() {
        let rows = [
            (1, "x", "1"),
            (2, "x", "2.5"),
            (3, "y", "2024-01-02"),
            (4, "y", "2024-01-03"),
            (5, "z", "1"),
            (6, "z", "007"),
            (7, "asset_class", "equity"),
            (8, "gone", ""),
            (9, "flag", "true"),
        ];
        let whole = text(&rows);
        let mut parts = TypeSummary::default();
        for chunk in rows.chunks(2).rev() {
            let part = summary(&text(chunk)).unwrap();
            // Through JSON, as between Spark's processes.
            parts.merge(&TypeSummary::from_json(&part.to_json()).unwrap());
        }
        let columns = parts.columns(&Options::default()).unwrap();
        assert_eq!(columns, built(&whole));
        let names: Vec<&str> = columns.iter().map(Column::name).collect();
        assert_eq!(names, ["asset_class", "flag", "gone", "x", "y", "z"]);
        assert_eq!(columns[2].value_type(), None);
        assert_eq!(columns[5].value_type(), Some(ValueType::Str));
    }

    /// A typed fact: `(id, attribute, bool, int, float, str)`.
    type Row<'a> = (
        i64,
        &'a str,
        Option<bool>,
        Option<i64>,
        Option<f64>,
        Option<&'a str>,
    );

    /// Typed facts in a store log's layout.
    fn split(rows: &[Row<'_>]) -> RecordBatch {
        let n = rows.len();
        RecordBatch::try_from_iter([
            (
                "security_id",
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
            ),
            (
                "attribute",
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))) as _,
            ),
            (
                "value_bool",
                Arc::new(BooleanArray::from_iter(rows.iter().map(|r| r.2))) as _,
            ),
            (
                "value_int",
                Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.3))) as _,
            ),
            (
                "value_float",
                Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.4))) as _,
            ),
            (
                "value_str",
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.5))) as _,
            ),
            (
                "value_date",
                Arc::new(Date32Array::from(vec![None; n])) as _,
            ),
            (
                "effective_date",
                Arc::new(Date32Array::from(vec![19_000; n])) as _,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn typed_values_unify_by_rule_8_over_parts() {
        let rows = [
            (1, "cap", None, Some(10), None, None),
            (1, "note", None, None, None, Some("")),
            (2, "cap", None, None, Some(2.5), None),
            (2, "note", None, None, None, None),
        ];
        let mut all = summary(&split(&rows[..2])).unwrap();
        all.merge(&summary(&split(&rows[2..])).unwrap());
        let columns = all.columns(&Options::default()).unwrap();
        assert_eq!(columns, built(&split(&rows)));
        assert_eq!(columns[0], Column::new("cap", Some(ValueType::Float)));
        // The empty string of a typed column is a string, not a retraction.
        assert_eq!(columns[1], Column::new("note", Some(ValueType::Str)));

        let c = split(&[(3, "cap", Some(true), None, None, None)]);
        all.merge(&summary(&c).unwrap());
        let refused = all.columns(&Options::default()).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "attribute `cap` holds float values but fact (3, cap, true, 2022-01-08) gives a bool"
        );
    }

    #[test]
    fn a_bad_row_fails_the_summary_as_it_fails_a_read() {
        let bad = text(&[(1, "", "x")]);
        let error = summary(&bad).unwrap_err().to_string();
        assert!(error.contains("attribute"), "{error}");
    }
}
