//! [`Pair`]: two sets of lanes worked on side by side.

use super::{Instructions, Lanes, Tables16, Token};

/// Two sets of lanes worked on side by side: every operation is applied to both before the next one, so
/// that the processor overlaps their dependency chains. Each lane gets exactly the operations it gets in
/// `V` alone, so the bits are the same.
#[derive(Clone, Copy)]
pub(crate) struct Pair<V>(pub V, pub V);

// SAFETY: a `Pair<V>` runs the instructions of `V`.
unsafe impl<V: Instructions> Instructions for Pair<V> {
    fn detected() -> bool {
        V::detected()
    }
}

impl<V: Lanes> Lanes for Pair<V> {
    type Mask = (V::Mask, V::Mask);
    const SINK_AS_COMPUTED: bool = V::SINK_AS_COMPUTED;
    const FUSED: bool = V::FUSED;

    #[inline(always)]
    fn splat(token: Token<Self>, x: f64) -> Self {
        let half = token.half();
        Pair(half.splat(x), half.splat(x))
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Pair(self.0.add(other.0), self.1.add(other.1))
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Pair(self.0.sub(other.0), self.1.sub(other.1))
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Pair(self.0.mul(other.0), self.1.mul(other.1))
    }
    #[inline(always)]
    fn add_mul_exact(self, a: Self, b: Self) -> Self {
        Pair(self.0.add_mul_exact(a.0, b.0), self.1.add_mul_exact(a.1, b.1))
    }
    #[inline(always)]
    fn sub_mul_exact(self, a: Self, b: Self) -> Self {
        Pair(self.0.sub_mul_exact(a.0, b.0), self.1.sub_mul_exact(a.1, b.1))
    }
    #[inline(always)]
    fn mul_sub_fused(self, b: Self, c: Self) -> Self {
        Pair(self.0.mul_sub_fused(b.0, c.0), self.1.mul_sub_fused(b.1, c.1))
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        Pair(self.0.div(other.0), self.1.div(other.1))
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        Pair(self.0.min(other.0), self.1.min(other.1))
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        Pair(self.0.max(other.0), self.1.max(other.1))
    }
    #[inline(always)]
    fn is_nan(self) -> Self::Mask {
        (self.0.is_nan(), self.1.is_nan())
    }
    #[inline(always)]
    fn select(mask: Self::Mask, yes: Self, no: Self) -> Self {
        Pair(V::select(mask.0, yes.0, no.0), V::select(mask.1, yes.1, no.1))
    }
    #[inline(always)]
    fn pow2_of_rounded<const SHIFT: u32>(self) -> Self {
        Pair(self.0.pow2_of_rounded::<SHIFT>(), self.1.pow2_of_rounded::<SHIFT>())
    }
    #[inline(always)]
    fn scale_by_rounded<const SHIFT: u32>(self, rounded: Self) -> Self {
        Pair(
            self.0.scale_by_rounded::<SHIFT>(rounded.0),
            self.1.scale_by_rounded::<SHIFT>(rounded.1),
        )
    }
    #[inline(always)]
    fn lookup16(self, tables: &Tables16) -> (Self, Self) {
        let ((first0, second0), (first1, second1)) = (self.0.lookup16(tables), self.1.lookup16(tables));
        (Pair(first0, first1), Pair(second0, second1))
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Pair(self.0.map(&f), self.1.map(&f))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Pair(self.0.abs(), self.1.abs())
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Pair(self.0.sqrt(), self.1.sqrt())
    }
    #[inline(always)]
    fn split_exponent(self) -> (Self, Self) {
        let ((m0, k0), (m1, k1)) = (self.0.split_exponent(), self.1.split_exponent());
        (Pair(m0, m1), Pair(k0, k1))
    }
    #[inline(always)]
    fn neg(self) -> Self {
        Pair(self.0.neg(), self.1.neg())
    }
    #[inline(always)]
    fn gt(self, other: Self) -> Self::Mask {
        (self.0.gt(other.0), self.1.gt(other.1))
    }
    #[inline(always)]
    fn any(mask: Self::Mask) -> bool {
        V::any(mask.0) || V::any(mask.1)
    }
    #[inline(always)]
    fn all(mask: Self::Mask) -> bool {
        V::all(mask.0) && V::all(mask.1)
    }
    #[inline(always)]
    fn bit(self, bit: u32) -> Self::Mask {
        (self.0.bit(bit), self.1.bit(bit))
    }
}
