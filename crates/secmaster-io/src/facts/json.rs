//! Fact files in JSON Lines: one object per line, values keeping JSON's own types.

use std::io::BufRead;
use std::path::Path;

use secmaster_core::{Fact, Value};

use super::{Collector, DateFormat, Raw, ReadOptions};
use crate::{Error, Location, Result};

fn json_type(v: &serde_json::Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// Reads facts from JSON Lines (one object per line; blank lines are skipped); `name` names
/// the input in errors.
pub fn read_json_lines(
    mut reader: impl BufRead,
    name: &Path,
    options: &ReadOptions,
) -> Result<Vec<Fact>> {
    let mut collector = Collector::new(options);
    let mut dates: Option<DateFormat> = None;
    let mut buf = String::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_line(&mut buf)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::InvalidData => Error::Malformed {
                    path: name.to_path_buf(),
                    location: Location::Line(line + 1),
                    reason: "the line is not valid UTF-8".to_string(),
                },
                _ => Error::Read {
                    path: name.to_path_buf(),
                    source,
                },
            })?;
        if n == 0 {
            break;
        }
        line += 1;
        if buf.trim().is_empty() {
            continue;
        }
        let location = Location::Line(line);
        let object: serde_json::Value =
            serde_json::from_str(&buf).map_err(|source| Error::Json {
                path: name.to_path_buf(),
                location,
                source,
            })?;
        let serde_json::Value::Object(map) = object else {
            return Err(Error::Malformed {
                path: name.to_path_buf(),
                location,
                reason: "expected a JSON object".to_string(),
            });
        };
        let field = |key: &str| {
            map.get(key).ok_or_else(|| Error::MissingColumn {
                path: name.to_path_buf(),
                location: Some(location),
                column: key.to_string(),
                found: map
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        };
        let invalid =
            |column: &str, expected: String, found: &serde_json::Value| Error::InvalidValue {
                path: name.to_path_buf(),
                location,
                column: column.to_string(),
                expected,
                found: json_type(found),
            };
        let id_value = field("security_id")?;
        let id = id_value.as_i64().ok_or_else(|| {
            invalid(
                "security_id",
                "an integer security id".to_string(),
                id_value,
            )
        })?;
        let attr_value = field("attribute")?;
        let attribute = match attr_value.as_str() {
            Some(name) => match super::not_an_attribute(name) {
                None => name,
                Some(expected) => {
                    return Err(invalid("attribute", expected.to_string(), attr_value));
                }
            },
            None => {
                return Err(invalid(
                    "attribute",
                    "an attribute name".to_string(),
                    attr_value,
                ));
            }
        };
        let date_value = field("effective_date")?;
        let date_text = date_value.as_str().unwrap_or("");
        if dates.is_none() {
            dates = DateFormat::pick(options, date_text);
        }
        let date = dates
            .as_ref()
            .and_then(|d| d.parse(date_text))
            .ok_or_else(|| {
                invalid(
                    "effective_date",
                    DateFormat::expected(dates.as_ref()),
                    date_value,
                )
            })?;
        let value = field("value")?;
        let raw = match value {
            serde_json::Value::Null => Raw::Typed(Value::Null),
            serde_json::Value::Bool(b) => Raw::Typed(Value::Bool(*b)),
            serde_json::Value::Number(n) => match (n.as_i64(), n.is_f64()) {
                (Some(i), _) => Raw::Typed(Value::Int(i)),
                (None, true) => Raw::Typed(Value::Float(n.as_f64().unwrap_or(f64::NAN))),
                (None, false) => {
                    return Err(invalid(
                        "value",
                        "an integer within 64 bits".to_string(),
                        value,
                    ));
                }
            },
            serde_json::Value::String(s) => Raw::JsonString(s.as_str().into()),
            _ => {
                return Err(invalid(
                    "value",
                    "a string, number, boolean or null".to_string(),
                    value,
                ));
            }
        };
        collector.push(id, attribute, raw, date);
    }
    Ok(collector.finish())
}
