//! One `f64` as lanes: the scalar version of every loop written over [`Lanes`] (for loop tails and
//! single values).

use super::{EXPONENT_BIAS, Instructions, Lanes, ROUNDER, Tables16, Token};

// SAFETY: plain `f64` arithmetic needs no processor feature.
unsafe impl Instructions for f64 {
    fn detected() -> bool {
        true
    }
}

impl Lanes for f64 {
    type Mask = bool;

    #[inline(always)]
    fn splat(_: Token<Self>, x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self + other
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        self - other
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        self * other
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        self / other
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if self < other { self } else { other }
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if self > other { self } else { other }
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    #[inline(always)]
    fn select(mask: bool, yes: Self, no: Self) -> Self {
        if mask { yes } else { no }
    }
    #[inline(always)]
    fn pow2_of_rounded<const SHIFT: u32>(self) -> Self {
        // The low 52 bits hold `2^51 + m`; after the shift everything above `m >> SHIFT` is a multiple of
        // `2^12`, which the shift into the exponent field drops.
        f64::from_bits(((self.to_bits() >> SHIFT).wrapping_add(EXPONENT_BIAS)) << 52)
    }
    #[inline(always)]
    fn lookup16(self, tables: &Tables16) -> (Self, Self) {
        let [first, second] = tables.pairs[(self.to_bits() & 15) as usize];
        (first, second)
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        f(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.abs()
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.sqrt()
    }
    #[inline(always)]
    fn split_exponent(self) -> (Self, Self) {
        let bits = self.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i64 - EXPONENT_BIAS as i64;
        let mantissa = f64::from_bits((bits & ((1 << 52) - 1)) | (EXPONENT_BIAS << 52));
        (mantissa, exponent as f64)
    }
    #[inline(always)]
    fn neg(self) -> Self {
        -self
    }
    #[inline(always)]
    fn gt(self, other: Self) -> bool {
        self > other
    }
    #[inline(always)]
    fn any(mask: bool) -> bool {
        mask
    }
    #[inline(always)]
    fn all(mask: bool) -> bool {
        mask
    }
    #[inline(always)]
    fn bit(self, bit: u32) -> bool {
        ((self + ROUNDER).to_bits() >> bit) & 1 == 1
    }
}
