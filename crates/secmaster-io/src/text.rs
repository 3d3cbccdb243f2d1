//! Text forms of values shared by the CSV, SQL and JSON codecs: ISO dates and exact floats.

use chrono::{Datelike, NaiveDate};

/// The bits of Rust's (and Arrow's) canonical NaN, written as plain `NaN`.
const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

/// A date as ISO 8601 `YYYY-MM-DD`; years outside 0–9999 get a sign (`+10000-01-01`,
/// `-0001-01-01`), as ISO's expanded form does.
pub(crate) fn format_date(d: NaiveDate) -> String {
    let y = d.year();
    let (m, day) = (d.month(), d.day());
    match y {
        0..=9999 => format!("{y:04}-{m:02}-{day:02}"),
        10000.. => format!("+{y}-{m:02}-{day:02}"),
        _ => format!("-{:04}-{m:02}-{day:02}", -i64::from(y)),
    }
}

/// Parses what [`format_date`] writes (and only that: two-digit months and days).
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let (sign, rest) = match b.first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let (y, md) = rest.split_once('-')?;
    if y.len() < 4 || !y.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (m, d) = md.split_once('-')?;
    let two = |t: &str| (t.len() == 2 && t.bytes().all(|c| c.is_ascii_digit())).then_some(());
    two(m)?;
    two(d)?;
    let year = sign * y.parse::<i32>().ok()?;
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

/// A float as text that [`parse_float`] reads back bit for bit: Rust's shortest round-trip
/// form (`0.1`, `1e300`, `-0.0`, `inf`, `-inf`, `NaN`), and for a NaN other than the
/// canonical one its bits, `NaN(0x7ff8000000000001)`.
pub(crate) fn format_float(x: f64) -> String {
    if x.is_nan() && x.to_bits() != CANONICAL_NAN {
        format!("NaN(0x{:016x})", x.to_bits())
    } else {
        format!("{x:?}")
    }
}

/// Parses what [`format_float`] writes, and any decimal form Rust's `f64` parser accepts.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if let Some(hex) = s.strip_prefix("NaN(0x").and_then(|h| h.strip_suffix(')')) {
        let x = f64::from_bits(u64::from_str_radix(hex, 16).ok()?);
        return x.is_nan().then_some(x);
    }
    s.parse().ok()
}

/// Parses an integer in plain decimal form: an optional `-`, then digits without a leading
/// zero (so `007` and `+7` are not integers: they stay text).
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let plain = !digits.is_empty()
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !plain || s == "-0" {
        return None;
    }
    s.parse().ok()
}

/// Whether `s` is a plain decimal number (`1.5`, `-2e10`, `3`), with the same rule as
/// [`parse_int`] for the integer part: no sign but `-`, no leading zero; and finite.
pub(crate) fn parse_decimal(s: &str) -> Option<f64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    let int_ok = digits(int) && (int == "0" || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(digits);
    let exp_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    // A decimal too large for a float is not one (it would read as infinity).
    (int_ok && frac_ok && exp_ok)
        .then(|| s.parse::<f64>().ok())
        .flatten()
        .filter(|x| x.is_finite())
}

/// Parses `true` or `false` in any case.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_at_the_edges() {
        for (y, text) in [
            (2024, "2024-03-22"),
            (1, "0001-03-22"),
            (0, "0000-03-22"),
            (-1, "-0001-03-22"),
            (12345, "+12345-03-22"),
        ] {
            let d = NaiveDate::from_ymd_opt(y, 3, 22).unwrap();
            assert_eq!(format_date(d), text);
            assert_eq!(parse_date(text), Some(d));
        }
        for bad in ["2024-3-22", "24-03-22", "2024-02-30", "2024/03/22", "", "x"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn floats_round_trip_bit_for_bit() {
        let odd_nan = f64::from_bits(0xfff8_0000_0000_0001);
        for x in [
            0.1,
            -0.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            odd_nan,
            5e-324,
        ] {
            let back = parse_float(&format_float(x)).unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{x}");
        }
        assert_eq!(format_float(odd_nan), "NaN(0xfff8000000000001)");
    }

    #[test]
    fn numbers_keep_leading_zeros_and_plus_as_text() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        for text in ["007", "+7", "-0", "", "1.0", "9223372036854775808", " 1"] {
            assert_eq!(parse_int(text), None, "{text}");
        }
        assert_eq!(parse_decimal("1.5"), Some(1.5));
        assert_eq!(parse_decimal("-2e3"), Some(-2000.0));
        assert_eq!(parse_decimal("0.25"), Some(0.25));
        for text in ["01.5", "+1.5", ".5", "1.", "inf", "NaN", "1e", "1.5x"] {
            assert_eq!(parse_decimal(text), None, "{text}");
        }
    }
}
