//! The `table` format: aligned text for people, with long cells elided and wide tables folded
//! into blocks of columns that fit the terminal.

use std::io::{self, Write};

use secmaster_core::{Table, Value};

use crate::plan::Display;

/// Writes `table` as aligned text: a header line, one line per row, cells separated by two
/// spaces, `null` for null.
///
/// A table wider than `display.width` is folded: the columns are cut into blocks that fit,
/// each block after the first repeating the row's identity (the first two key columns), with
/// a blank line between blocks.
pub(crate) fn write_table(w: &mut dyn Write, table: &Table, display: &Display) -> io::Result<()> {
    let names: Vec<String> = table
        .columns()
        .iter()
        .map(|c| printable(c.name().to_string()))
        .collect();
    let cells: Vec<Vec<String>> = table
        .rows()
        .map(|row| row.iter().map(|v| cell(v, display)).collect())
        .collect();
    let widths: Vec<usize> = (0..names.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| width(&r[i]))
                .chain([width(&names[i])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (b, block) in blocks(&widths, table.key_columns(), display.width)
        .iter()
        .enumerate()
    {
        if b > 0 {
            writeln!(w)?;
        }
        line(w, block, &widths, |i| &names[i])?;
        for row in &cells {
            line(w, block, &widths, |i| &row[i])?;
        }
    }
    Ok(())
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// `text` with its control characters escaped (`\u{1b}`, `\n`, `\t`): a value is data, and
/// an escape sequence in it must not move the cursor or recolour the terminal, nor a line
/// break tear the table.
fn printable(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// One cell's text: dates in the chosen pattern, control characters escaped, long text
/// elided.
fn cell(value: &Value, display: &Display) -> String {
    let text = printable(match (value, &display.date_format) {
        (Value::Date(d), Some(pattern)) => d.format(pattern).to_string(),
        _ => value.to_string(),
    });
    let max = display.max_cell;
    if max > 0 && width(&text) > max {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    } else {
        text
    }
}

/// The column indexes of each printed block.
fn blocks(widths: &[usize], keys: usize, limit: Option<usize>) -> Vec<Vec<usize>> {
    let all: Vec<usize> = (0..widths.len()).collect();
    let Some(limit) = limit else {
        return vec![all];
    };
    let span = |cols: &[usize]| -> usize {
        cols.iter().map(|&i| widths[i]).sum::<usize>() + 2 * cols.len().saturating_sub(1)
    };
    if span(&all) <= limit {
        return vec![all];
    }
    let anchors: Vec<usize> = (0..keys.min(2).min(widths.len())).collect();
    let mut out = Vec::new();
    let mut block: Vec<usize> = Vec::new();
    for i in 0..widths.len() {
        // Every block takes at least one column beyond its anchors, however wide; the
        // first block holds the anchors themselves, so it may not close before them.
        let base = anchors.len();
        let mut candidate = block.clone();
        candidate.push(i);
        if block.len() > base && span(&candidate) > limit {
            out.push(std::mem::replace(&mut block, anchors.clone()));
        }
        block.push(i);
    }
    out.push(block);
    out
}

fn line<'a>(
    w: &mut dyn Write,
    block: &[usize],
    widths: &[usize],
    text: impl Fn(usize) -> &'a str,
) -> io::Result<()> {
    let mut out = String::new();
    for (k, &i) in block.iter().enumerate() {
        if k > 0 {
            out.push_str("  ");
        }
        let t = text(i);
        out.push_str(t);
        out.extend(std::iter::repeat_n(' ', widths[i].saturating_sub(width(t))));
    }
    writeln!(w, "{}", out.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secmaster_core::{SecurityMaster, sample};

    fn render(display: &Display) -> String {
        let table = SecurityMaster::build(sample::trail()).unwrap().table();
        let mut out = Vec::new();
        write_table(&mut out, &table, display).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn display(width: Option<usize>, max_cell: usize, date_format: Option<&str>) -> Display {
        Display {
            date_format: date_format.map(str::to_string),
            max_cell,
            width,
        }
    }

    #[test]
    fn unfolded_matches_core_display() {
        let table = SecurityMaster::build(sample::trail()).unwrap().table();
        assert_eq!(render(&display(None, 0, None)), table.to_string());
    }

    #[test]
    fn folds_to_80_columns_repeating_the_row_identity() {
        let text = render(&display(Some(80), 32, None));
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        let headers: Vec<&str> = text
            .split("\n\n")
            .map(|b| b.lines().next().unwrap())
            .collect();
        assert!(headers.len() >= 2);
        for h in &headers[1..] {
            assert!(h.starts_with("security_id  effective_start_date"), "{h}");
        }
        assert!(text.contains("market_cap"));
    }

    #[test]
    fn folds_to_a_narrow_width_showing_each_column_once() {
        for width in [10, 30, 40] {
            let text = render(&display(Some(width), 0, None));
            let mut seen: Vec<&str> = Vec::new();
            for block in text.split("\n\n") {
                let header: Vec<&str> = block.lines().next().unwrap().split_whitespace().collect();
                // Every block starts with the row identity, and names a column once.
                assert_eq!(
                    header[..2],
                    ["security_id", "effective_start_date"],
                    "{text}"
                );
                let mut unique = header.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), header.len(), "width {width}:\n{text}");
                seen.extend(&header[if seen.is_empty() { 0 } else { 2 }..]);
            }
            let table = SecurityMaster::build(sample::trail()).unwrap().table();
            let names: Vec<&str> = table.columns().iter().map(|c| c.name()).collect();
            assert_eq!(seen, names, "width {width}:\n{text}");
        }
    }

    #[test]
    fn control_characters_are_shown_escaped_not_sent_to_the_terminal() {
        use secmaster_core::{Column, Table, ValueType};
        let table = Table::new(
            vec![
                Column::new("id", Some(ValueType::Int)),
                Column::new("na\u{1b}me", Some(ValueType::Str)),
            ],
            1,
            vec![vec![
                Value::Int(1),
                Value::from("\u{1b}[31mred\u{1b}[0m\nnext\tcol"),
            ]],
        )
        .unwrap();
        let mut out = Vec::new();
        write_table(&mut out, &table, &display(None, 0, None)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "id  na\\u{1b}me\n1   \\u{1b}[31mred\\u{1b}[0m\\nnext\\tcol\n"
        );
    }

    #[test]
    fn elides_long_cells_and_formats_dates() {
        let text = render(&display(None, 10, Some("%m/%d/%y")));
        assert!(text.contains("Lenz Ther…"), "{text}");
        assert!(text.contains("01/01/24"), "{text}");
    }
}
