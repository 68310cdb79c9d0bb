//! The numbers people type and read: parsing sizes such as `1e9`, `1_000_000` or `2^30` and bounds such
//! as `-2.5` or `pi/2`, and writing reals in messages and reports without hundreds of digits.

/// Parses a whole number written as digits (`1000000`, `1_000_000`), in scientific notation (`1e9`,
/// `2.5e6`) or as a power (`2^30`). The result must be a whole number that fits `u64`.
///
/// ```
/// use hetero::size::parse_count;
/// assert_eq!(parse_count("1e9"), Ok(1_000_000_000));
/// assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
/// assert_eq!(parse_count("2^30"), Ok(1 << 30));
/// assert_eq!(parse_count("2.5e3"), Ok(2500));
/// assert!(parse_count("1.5").is_err());
/// assert!(parse_count("2^64").is_err());
/// assert!(parse_count("-5").is_err());
/// ```
pub fn parse_count(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("expected a number, got nothing".to_owned());
    }
    if trimmed.starts_with('-') {
        return Err(format!("'{text}' is negative"));
    }
    let s: String = trimmed.trim_start_matches('+').chars().filter(|&c| c != '_').collect();
    let not_a_number = || format!("'{text}' is not a whole number (examples: 1000000, 1_000_000, 1e6, 2^20)");
    let too_large = || format!("'{text}' is larger than {}", u64::MAX);

    if let Some((base, exponent)) = s.split_once('^') {
        let base: u64 = digits(base).ok_or_else(not_a_number)?;
        if exponent.is_empty() || !exponent.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_number());
        }
        // An exponent too long for u32 is still a number: a huge one for any base above 1.
        return match u32::try_from(digits(exponent).unwrap_or(u64::MAX)) {
            Ok(exponent) => base.checked_pow(exponent).ok_or_else(too_large),
            Err(_) if base <= 1 => Ok(base),
            Err(_) => Err(too_large()),
        };
    }

    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => {
            let written = &s[at + 1..];
            let unsigned = written.strip_prefix(['+', '-']).unwrap_or(written);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return Err(not_a_number());
            }
            // An exponent beyond i64 is clamped: the number is then far too large, or (negative) has
            // a fraction, and the checks below say which.
            let exponent = written.parse::<i64>().unwrap_or(if written.starts_with('-') {
                i64::MIN / 2
            } else {
                i64::MAX / 2
            });
            (&s[..at], exponent)
        }
        None => (s.as_str(), 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(not_a_number());
    }
    if !(whole.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit())) {
        return Err(not_a_number());
    }
    // value = digits · 10^(exponent − fraction length), required to be whole.
    let all_digits = format!("{whole}{fraction}");
    let significant = all_digits.trim_start_matches('0');
    if significant.len() > 38 {
        return Err(too_large());
    }
    let mut value: u128 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| not_a_number())?
    };
    let mut shift = exponent - fraction.len() as i64;
    while shift < 0 && value != 0 {
        if !value.is_multiple_of(10) {
            return Err(format!("'{text}' is not a whole number"));
        }
        value /= 10;
        shift += 1;
    }
    while shift > 0 && value != 0 {
        value = value
            .checked_mul(10)
            .filter(|&v| v <= u128::from(u64::MAX))
            .ok_or_else(too_large)?;
        shift -= 1;
    }
    u64::try_from(value).map_err(|_| too_large())
}

/// [`parse_count`] that also rejects zero.
pub fn parse_positive(text: &str) -> Result<u64, String> {
    match parse_count(text)? {
        0 => Err(format!("'{text}' must be at least 1")),
        n => Ok(n),
    }
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a finite real number: anything Rust's `f64` parser takes (`-2.5`, `1e-3`), and multiples or
/// fractions of π or e (`pi`, `-pi`, `2pi`, `2*pi`, `pi/2`, `3pi/4`, `e`, `-e`, `2*e`, `e/2`; a factor of e
/// is written with `*`, since `2e` reads as the start of an exponent). NaN and infinities are refused.
///
/// ```
/// use hetero::size::parse_real;
/// use std::f64::consts::{E, PI};
/// assert_eq!(parse_real("-2.5"), Ok(-2.5));
/// assert_eq!(parse_real("pi/2"), Ok(PI / 2.0));
/// assert_eq!(parse_real("-3pi/4"), Ok(-3.0 * PI / 4.0));
/// assert_eq!(parse_real("e"), Ok(E));
/// assert_eq!(parse_real("-2*e/3"), Ok(-2.0 * E / 3.0));
/// assert_eq!(parse_real("1e-3"), Ok(0.001));
/// assert!(parse_real("2e").is_err());
/// assert!(parse_real("nan").is_err());
/// assert!(parse_real("1e400").is_err());
/// ```
pub fn parse_real(text: &str) -> Result<f64, String> {
    let s = text.trim().to_ascii_lowercase().replace('_', "");
    let not_a_number = || format!("'{text}' is not a number");
    let (head, rest) = match s.split_once('/') {
        Some((head, divisor)) => (head, Some(divisor)),
        None => (s.as_str(), None),
    };
    // A constant ends the part before any divisor: `pi` after any factor, `e` alone or after `*`.
    let constant = match head.strip_suffix("pi") {
        Some(factor) => Some((factor, std::f64::consts::PI)),
        None => head
            .strip_suffix('e')
            .filter(|f| f.is_empty() || f.ends_with(['*', '+', '-']))
            .map(|factor| (factor, std::f64::consts::E)),
    };
    let value = match constant {
        Some((factor, constant)) => {
            let factor = match factor.strip_suffix('*').unwrap_or(factor) {
                "" | "+" => 1.0,
                "-" => -1.0,
                f => f.parse::<f64>().map_err(|_| not_a_number())?,
            };
            let divisor = match rest {
                None => 1.0,
                Some(d) => d.parse::<f64>().map_err(|_| not_a_number())?,
            };
            factor * constant / divisor
        }
        None => s.parse::<f64>().map_err(|_| not_a_number())?,
    };
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("'{text}' is not a finite number"))
    }
}

/// A bound of an integral: a number as [`parse_real`] reads it, or `inf`, `+inf`, `-inf` (`infinity`
/// too): an infinite range is mapped to a finite one (see [`crate::integrate`]).
///
/// ```
/// use hetero::size::parse_bound;
/// assert_eq!(parse_bound("-inf"), Ok(f64::NEG_INFINITY));
/// assert_eq!(parse_bound("pi/2"), Ok(std::f64::consts::FRAC_PI_2));
/// assert!(parse_bound("nan").is_err());
/// ```
pub fn parse_bound(text: &str) -> Result<f64, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Ok(f64::INFINITY),
        "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
        _ => parse_real(text),
    }
}

/// `x` in the shortest form that reads back as the same number: plain decimals between 10⁻⁴ and 10¹⁶,
/// scientific notation outside (`1e300`, not 301 digits).
///
/// ```
/// use hetero::size::real_text;
/// assert_eq!(real_text(2.5), "2.5");
/// assert_eq!(real_text(-1e300), "-1e300");
/// assert_eq!(real_text(1e-320), "1e-320");
/// assert_eq!(real_text(0.0), "0");
/// assert_eq!(real_text(f64::INFINITY), "inf");
/// ```
pub fn real_text(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `x` with every digit an `f64` holds: 17 decimals between 10⁻³ and 10¹⁵, 17 significant digits in
/// scientific notation outside.
///
/// ```
/// use hetero::size::real_text_17;
/// assert_eq!(real_text_17(std::f64::consts::PI), "3.14159265358979312");
/// let huge = real_text_17(-4.5e296);
/// assert!(huge.starts_with("-4.") && huge.ends_with("e296") && huge.len() == 23, "{huge}");
/// ```
pub fn real_text_17(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-3..1e15).contains(&x.abs()) {
        format!("{x:.17}")
    } else {
        format!("{x:.16e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts() {
        let good = [
            ("0", 0),
            ("7", 7),
            ("+7", 7),
            ("1e0", 1),
            ("1E3", 1000),
            ("1e+3", 1000),
            ("12.5e1", 125),
            ("1.000", 1),
            ("0.5e1", 5),
            ("100e-2", 1),
            (".5e1", 5),
            ("2^0", 1),
            ("2^63", 1 << 63),
            ("10^19", 10_000_000_000_000_000_000),
            ("18446744073709551615", u64::MAX),
            ("1.8446744073709551615e19", u64::MAX),
            ("0e999999", 0),
            ("000000000000000000000000000000000000000000000001", 1),
        ];
        for (text, expected) in good {
            assert_eq!(parse_count(text), Ok(expected), "{text}");
        }
        let bad = [
            "",
            " ",
            "-1",
            "abc",
            "1.5",
            "1e-1",
            "2^64",
            "18446744073709551616",
            "1e20",
            "1e",
            "e5",
            ".",
            "1..2",
            "0x10",
            "1e9999999999999999999",
            "2^",
            "^2",
            "2^-1",
            "1.5^2",
            "nan",
            "inf",
            "1 000",
        ];
        for text in bad {
            assert!(parse_count(text).is_err(), "{text} should be refused");
        }
        assert!(parse_positive("0").is_err());
        assert_eq!(parse_positive("2^10"), Ok(1024));
    }

    #[test]
    fn reals() {
        use std::f64::consts::PI;
        assert_eq!(parse_real("0"), Ok(0.0));
        assert_eq!(parse_real("-1e-3"), Ok(-1e-3));
        assert_eq!(parse_real("PI"), Ok(PI));
        assert_eq!(parse_real("2*pi"), Ok(2.0 * PI));
        assert_eq!(parse_real("2pi"), Ok(2.0 * PI));
        for bad in [
            "",
            "x",
            "nan",
            "inf",
            "-infinity",
            "pi/0",
            "pipi",
            "pi/",
            "1e309",
            "2**pi",
        ] {
            assert!(parse_real(bad).is_err(), "{bad} should be refused");
        }
    }

    proptest! {
        #[test]
        fn plain_and_grouped_digits_round_trip(n in any::<u64>()) {
            prop_assert_eq!(parse_count(&n.to_string()), Ok(n));
            let grouped = n.to_string().as_bytes().rchunks(3).rev()
                .map(|c| std::str::from_utf8(c).unwrap_or("")).collect::<Vec<_>>().join("_");
            prop_assert_eq!(parse_count(&grouped), Ok(n));
        }

        #[test]
        fn scientific_matches_multiplication(m in 0u64..100_000, e in 0u32..14) {
            prop_assert_eq!(parse_count(&format!("{m}e{e}")), Ok(m * 10u64.pow(e)));
        }
    }
}
