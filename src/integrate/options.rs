//! A method's own options: what it declares ([`OptionSpec`]), and what a front end hands it
//! ([`Options`]): numbers from Rust or Python, text from the command line, parsed by the method that reads
//! them, so that every front end accepts the same values.

use std::collections::BTreeMap;

use crate::size::{parse_count, parse_positive, parse_real};
use crate::{Error, Result};

/// What an option's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionKind {
    /// A count of at least 1 (`1e6`, `2^20`, `1_000_000` on the command line).
    Size,
    /// A count from 0 to 2⁶⁴ − 1 (a seed).
    Count,
    /// A real number (`0.5`, `pi/2`).
    Real,
}

/// An option a method declares: the front ends derive their flags (`--NAME`), keywords and help from it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct OptionSpec {
    /// Its name: the command line's `--NAME` (underscores as hyphens) and Python's keyword.
    pub name: &'static str,
    /// What its value is.
    pub kind: OptionKind,
    /// One line of help.
    pub help: &'static str,
    /// Whether it sets the problem's size, making the run one of a fixed size instead of one towards a
    /// tolerance.
    pub sets_size: bool,
}

impl OptionSpec {
    /// An option that does not set the size.
    pub const fn new(name: &'static str, kind: OptionKind, help: &'static str) -> Self {
        OptionSpec {
            name,
            kind,
            help,
            sets_size: false,
        }
    }

    /// An option that sets the problem's size.
    pub const fn size(name: &'static str, help: &'static str) -> Self {
        OptionSpec {
            name,
            kind: OptionKind::Size,
            help,
            sets_size: true,
        }
    }
}

/// One value given for an option.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum OptionValue {
    /// A whole number.
    Count(u64),
    /// A real number.
    Real(f64),
    /// Text, as the command line gives it: parsed by the method, by the option's kind.
    Text(String),
}

impl From<u64> for OptionValue {
    fn from(n: u64) -> Self {
        OptionValue::Count(n)
    }
}

impl From<f64> for OptionValue {
    fn from(x: f64) -> Self {
        OptionValue::Real(x)
    }
}

impl From<&str> for OptionValue {
    fn from(text: &str) -> Self {
        OptionValue::Text(text.to_owned())
    }
}

/// The options given for a method, by name.
///
/// ```
/// use hetero::integrate::Options;
///
/// let options = Options::new().with("intervals", "2^20").with("seed", 7u64);
/// assert_eq!(options.size("intervals")?, Some(1 << 20));
/// assert_eq!(options.count("seed")?, Some(7));
/// assert_eq!(options.count("samples")?, None);
/// # Ok::<(), hetero::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    values: BTreeMap<String, OptionValue>,
}

impl Options {
    /// No options.
    pub fn new() -> Self {
        Options::default()
    }

    /// The same options with `name` set to `value` (replacing an earlier value).
    pub fn with(mut self, name: &str, value: impl Into<OptionValue>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets `name` to `value` (replacing an earlier value).
    pub fn set(&mut self, name: &str, value: impl Into<OptionValue>) {
        self.values.insert(name.replace('-', "_"), value.into());
    }

    /// The names given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Whether `name` was given.
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// `name` as a count of at least 1, if given.
    pub fn size(&self, name: &'static str) -> Result<Option<u64>> {
        let n = self.whole(name, parse_positive)?;
        if n == Some(0) {
            return Err(Error::invalid(name, "must be at least 1"));
        }
        Ok(n)
    }

    /// `name` as a count from 0 to 2⁶⁴ − 1, if given.
    pub fn count(&self, name: &'static str) -> Result<Option<u64>> {
        self.whole(name, parse_count)
    }

    /// `name` as a real number, if given.
    pub fn real(&self, name: &'static str) -> Result<Option<f64>> {
        match self.values.get(name) {
            None => Ok(None),
            Some(OptionValue::Real(x)) => Ok(Some(*x)),
            Some(OptionValue::Count(n)) => Ok(Some(*n as f64)),
            Some(OptionValue::Text(text)) => parse_real(text).map(Some).map_err(|why| Error::invalid(name, why)),
        }
    }

    fn whole(&self, name: &'static str, parse: fn(&str) -> std::result::Result<u64, String>) -> Result<Option<u64>> {
        match self.values.get(name) {
            None => Ok(None),
            Some(OptionValue::Count(n)) => Ok(Some(*n)),
            Some(OptionValue::Real(x)) => {
                if x.is_finite() && *x >= 0.0 && x.fract() == 0.0 && *x < 18_446_744_073_709_551_616.0 {
                    Ok(Some(*x as u64))
                } else {
                    Err(Error::invalid(
                        name,
                        format!("{x} is not a whole number from 0 to 2^64 - 1"),
                    ))
                }
            }
            Some(OptionValue::Text(text)) => parse(text).map(Some).map_err(|why| Error::invalid(name, why)),
        }
    }

    /// An error naming the first option given that `specs` does not declare.
    pub(crate) fn check_against(&self, method: &str, specs: &[OptionSpec]) -> Result<()> {
        match self.names().find(|name| !specs.iter().any(|spec| spec.name == *name)) {
            Some(name) => {
                let known: Vec<&str> = specs.iter().map(|spec| spec.name).collect();
                let known = if known.is_empty() {
                    "it has none".to_owned()
                } else {
                    format!("its options are {}", known.join(", "))
                };
                Err(Error::Unsupported(format!(
                    "'{name}' is not an option of the method {method}: {known}"
                )))
            }
            None => Ok(()),
        }
    }

    /// Whether an option of `specs` that sets the size was given.
    pub(crate) fn sets_size(&self, specs: &[OptionSpec]) -> bool {
        specs.iter().any(|spec| spec.sets_size && self.contains(spec.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_front_end_read_alike() {
        let options = Options::new()
            .with("a", "1e6")
            .with("b", 1e6)
            .with("c", 1_000_000u64)
            .with("d", "pi/2")
            .with("e", 0u64);
        for name in ["a", "b", "c"] {
            assert_eq!(options.size(name).unwrap(), Some(1_000_000), "{name}");
        }
        assert_eq!(options.real("d").unwrap(), Some(std::f64::consts::FRAC_PI_2));
        assert_eq!(options.count("e").unwrap(), Some(0));
        assert!(options.size("e").is_err());
        assert!(Options::new().with("a", 1.5).size("a").is_err());
        assert!(Options::new().with("a", "ten").count("a").is_err());
        assert!(Options::new().with("a", -1.0).count("a").is_err());
    }

    #[test]
    fn an_option_the_method_does_not_declare_is_named() {
        let specs = [OptionSpec::size("intervals", "how many")];
        let options = Options::new().with("max-points", 3u64);
        let error = options.check_against("simpson", &specs).unwrap_err().to_string();
        assert_eq!(
            error,
            "'max_points' is not an option of the method simpson: its options are intervals"
        );
        assert!(
            Options::new()
                .with("intervals", 8u64)
                .check_against("simpson", &specs)
                .is_ok()
        );
    }
}
