//! [`Portable`]: eight `f64` lanes in plain Rust, for any processor.

use super::{Instructions, Lanes, Lanes8, Tables16, Token};

/// Eight lanes in plain Rust, for any processor.
#[derive(Clone, Copy)]
pub(crate) struct Portable([f64; 8]);

impl Portable {
    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        Portable(std::array::from_fn(|l| f(self.0[l], other.0[l])))
    }
}

// SAFETY: plain `f64` arithmetic needs no processor feature.
unsafe impl Instructions for Portable {
    fn detected() -> bool {
        true
    }
}

impl Lanes for Portable {
    type Mask = [bool; 8];
    const SINK_AS_COMPUTED: bool = true;

    #[inline(always)]
    fn splat(_: Token<Self>, x: f64) -> Self {
        Portable([x; 8])
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.zip(other, |a, b| a + b)
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        self.zip(other, |a, b| a - b)
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        self.zip(other, |a, b| a * b)
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        self.zip(other, |a, b| a / b)
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        self.zip(other, Lanes::min)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        self.zip(other, Lanes::max)
    }
    #[inline(always)]
    fn is_nan(self) -> [bool; 8] {
        self.0.map(f64::is_nan)
    }
    #[inline(always)]
    fn select(mask: [bool; 8], yes: Self, no: Self) -> Self {
        Portable(std::array::from_fn(|l| if mask[l] { yes.0[l] } else { no.0[l] }))
    }
    #[inline(always)]
    fn pow2_of_rounded<const SHIFT: u32>(self) -> Self {
        Portable(self.0.map(Lanes::pow2_of_rounded::<SHIFT>))
    }
    #[inline(always)]
    fn lookup16(self, tables: &Tables16) -> (Self, Self) {
        let both = self.0.map(|x| x.lookup16(tables));
        (
            Portable(both.map(|(first, _)| first)),
            Portable(both.map(|(_, second)| second)),
        )
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Portable(self.0.map(f))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Portable(self.0.map(f64::abs))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Portable(self.0.map(f64::sqrt))
    }
    #[inline(always)]
    fn split_exponent(self) -> (Self, Self) {
        let split = self.0.map(Lanes::split_exponent);
        (Portable(split.map(|s| s.0)), Portable(split.map(|s| s.1)))
    }
    #[inline(always)]
    fn neg(self) -> Self {
        Portable(self.0.map(|x| -x))
    }
    #[inline(always)]
    fn gt(self, other: Self) -> [bool; 8] {
        std::array::from_fn(|l| self.0[l] > other.0[l])
    }
    #[inline(always)]
    fn any(mask: [bool; 8]) -> bool {
        mask.iter().any(|&m| m)
    }
    #[inline(always)]
    fn all(mask: [bool; 8]) -> bool {
        mask.iter().all(|&m| m)
    }
    #[inline(always)]
    fn bit(self, bit: u32) -> [bool; 8] {
        self.0.map(|k| Lanes::bit(k, bit))
    }
}

impl Lanes8 for Portable {
    #[inline(always)]
    fn from_array(_: Token<Self>, x: [f64; 8]) -> Self {
        Portable(x)
    }
    #[inline(always)]
    fn to_array(self) -> [f64; 8] {
        self.0
    }
}
