//! Compiling a hot loop for the widest vector unit the processor has, chosen at run time.
//!
//! The floating-point loops are written once over [`Lanes`], eight `f64` lanes implemented as plain Rust,
//! two AVX2 registers or one AVX-512 register. Every version performs the same IEEE operations in the same
//! order per lane (a fused multiply-add only where its product is exact, so that it rounds once as the
//! separate operations do), so all of them return the same bits, and the tests compare each version the
//! processor has against the portable one. (The Monte Carlo loop, integer-only, has its own x86
//! versions beside its kernel.)
//!
//! Vector instructions run only after detection, by construction: lanes are created only from a
//! [`Token`], which [`Token::detect`] makes after checking the processor, and every other operation takes
//! a value of the lanes, which proves a token existed.

use std::marker::PhantomData;
use std::sync::OnceLock;

/// An instruction set the vector loops can be compiled for, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    /// Plain Rust, for any processor.
    Portable,
    /// AVX2 (with AVX): two 256-bit registers per 8 lanes.
    Avx2,
    /// AVX-512F: one 512-bit register per 8 lanes.
    Avx512,
}

impl SimdLevel {
    /// The name `HETERO_SIMD` takes and reports give.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Portable => "portable",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// The level `HETERO_SIMD` asks for: `None` when it is unset or empty, an error naming the value
    /// when it is not one of `avx512`, `avx2`, `portable`.
    pub fn from_env() -> Result<Option<SimdLevel>, String> {
        let Some(value) = std::env::var_os("HETERO_SIMD") else {
            return Ok(None);
        };
        match value.to_string_lossy().trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "avx512" | "avx-512" => Ok(Some(SimdLevel::Avx512)),
            "avx2" => Ok(Some(SimdLevel::Avx2)),
            "portable" | "none" => Ok(Some(SimdLevel::Portable)),
            other => Err(format!(
                "HETERO_SIMD={other} is not an instruction set: expected avx512, avx2 or portable"
            )),
        }
    }

    /// The widest level the loops may use: `HETERO_SIMD`'s, read once (an unknown value sets none),
    /// else no limit. Detection still decides whether the processor has it.
    fn ceiling() -> SimdLevel {
        static CEILING: OnceLock<SimdLevel> = OnceLock::new();
        *CEILING.get_or_init(|| SimdLevel::from_env().ok().flatten().unwrap_or(SimdLevel::Avx512))
    }

    /// Whether the loops may use this level: at most the `HETERO_SIMD` ceiling.
    pub(crate) fn allowed(self) -> bool {
        self <= SimdLevel::ceiling()
    }
}

/// The instruction set the vector loops run in on this processor: the widest it has, at most the one
/// `HETERO_SIMD` (`avx512`, `avx2` or `portable`) names, which lets any machine run and measure the
/// narrower paths. Every level returns the same bits.
///
/// ```
/// let level = hetero::simd_level();
/// assert!(["portable", "avx2", "avx512"].contains(&level.name()));
/// ```
pub fn simd_level() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        if Token::<x86::Avx512>::detect().is_some() {
            return SimdLevel::Avx512;
        }
        if Token::<x86::Avx2>::detect().is_some() {
            return SimdLevel::Avx2;
        }
    }
    SimdLevel::Portable
}

/// The instructions a type uses, and whether this processor runs them.
///
/// # Safety
///
/// [`detected`](Instructions::detected) returns `true` only where the processor runs every instruction the
/// type's methods execute.
pub(crate) unsafe trait Instructions {
    /// Whether this processor runs the instructions.
    fn detected() -> bool;
}

/// Proof that this processor runs the instructions of `V`: made only by [`Token::detect`] after checking,
/// and carried by every value of `V` ([`Lanes::token`]), since values are made only from tokens.
pub(crate) struct Token<V>(PhantomData<fn() -> V>);

impl<V> Clone for Token<V> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for Token<V> {}

impl<V: Instructions> Token<V> {
    /// A token, if this processor runs the instructions of `V`.
    #[inline]
    pub(crate) fn detect() -> Option<Self> {
        V::detected().then_some(Token(PhantomData))
    }
}

impl<V: Lanes> Token<V> {
    /// Every lane `x`.
    #[inline(always)]
    pub(crate) fn splat(self, x: f64) -> V {
        V::splat(self, x)
    }
}

impl<V: Lanes8> Token<V> {
    /// The lanes holding `x`.
    #[inline(always)]
    pub(crate) fn load(self, x: [f64; 8]) -> V {
        V::from_array(self, x)
    }
}

impl<V> Token<Pair<V>> {
    /// The token of each half (a pair runs on the instructions its halves run on).
    #[inline(always)]
    fn half(self) -> Token<V> {
        Token(PhantomData)
    }
}

/// The token for [`Portable`] lanes, which run everywhere.
pub(crate) const PORTABLE: Token<Portable> = Token(PhantomData);

/// Arithmetic on `f64` lanes: one `f64`, or eight in portable code, two AVX2 or one AVX-512 register.
///
/// Every operation is the IEEE operation lane by lane (fused multiply-adds only through
/// [`add_mul_exact`](Lanes::add_mul_exact) and [`sub_mul_exact`](Lanes::sub_mul_exact), for exact products),
/// so code written once over `Lanes` returns the same bits in every implementation; the tests compare them. Comparisons and
/// [`min`](Lanes::min) follow the x86 rules, which the portable versions copy: an unordered comparison is
/// false, and `min(a, b)` is `b` unless `a < b`.
///
/// Values are made only from a [`Token`] ([`splat`](Lanes::splat), [`Lanes8::from_array`]) or from other
/// values, so every method may use the instructions of [`Instructions`], as its implementations do.
pub(crate) trait Lanes: Copy + Instructions {
    /// A per-lane condition.
    type Mask: Copy;

    /// Whether a loop that computes values a chunk at a time (an expression's program) should hand each
    /// value on (to a sum) as soon as it is computed, or all of them after the chunk. As computed, the
    /// sum's work overlaps the computing, which pays where the computing is slow (the portable lanes:
    /// `--expr 'exp(x)'` at 0.77 of the built-in against 0.67); after, the sum's state stays in registers,
    /// which pays where it is fast (AVX-512 and AVX2, where as computed the state goes through memory at
    /// every value: 0.72 against 0.88).
    const SINK_AS_COMPUTED: bool = false;
    /// Whether the lanes have fused multiply-adds: then [`add_mul_exact`](Lanes::add_mul_exact) is one
    /// (on the multiplier; without, writing `a + b·1` for `a + b` only adds work), and
    /// [`mul_sub_fused`](Lanes::mul_sub_fused) rounds once.
    const FUSED: bool = false;

    /// The token that this value proves exists.
    #[inline(always)]
    fn token(self) -> Token<Self> {
        Token(PhantomData)
    }
    /// Every lane `x`.
    fn splat(token: Token<Self>, x: f64) -> Self;
    /// `self + other`.
    fn add(self, other: Self) -> Self;
    /// `self − other`.
    fn sub(self, other: Self) -> Self;
    /// `self · other`.
    fn mul(self, other: Self) -> Self;
    /// `self + a·b`, for lanes where `a·b` is exact (representable as it is): then one fused multiply-add
    /// returns the same bits as [`mul`](Lanes::mul) and [`add`](Lanes::add), and the implementations with
    /// one use it, to run on the multiplier instead of the adder.
    #[inline(always)]
    fn add_mul_exact(self, a: Self, b: Self) -> Self {
        self.add(a.mul(b))
    }
    /// `self − a·b`, for lanes where `a·b` is exact, as in [`add_mul_exact`](Lanes::add_mul_exact).
    #[inline(always)]
    fn sub_mul_exact(self, a: Self, b: Self) -> Self {
        self.sub(a.mul(b))
    }
    /// `self·b − c`, rounded once where the lanes are [`FUSED`](Lanes::FUSED) (else twice: use it only
    /// where they are).
    #[inline(always)]
    fn mul_sub_fused(self, b: Self, c: Self) -> Self {
        self.mul(b).sub(c)
    }
    /// `self / other`.
    fn div(self, other: Self) -> Self;
    /// `other` unless `self < other`.
    fn min(self, other: Self) -> Self;
    /// `other` unless `self > other`.
    fn max(self, other: Self) -> Self;
    /// Lanes holding a NaN.
    fn is_nan(self) -> Self::Mask;
    /// `yes` where `mask` is set, else `no`.
    fn select(mask: Self::Mask, yes: Self, no: Self) -> Self;
    /// For lanes holding `ROUNDER + m`, `m` an integer below `2^51` in magnitude (what adding [`ROUNDER`]
    /// to a number leaves): `2^(m >> SHIFT)`, the shift arithmetic, for `m >> SHIFT` in `−1022..=1023` and
    /// `SHIFT ≤ 39`.
    fn pow2_of_rounded<const SHIFT: u32>(self) -> Self;
    /// `self · 2^(m >> SHIFT)` for `rounded` as in [`pow2_of_rounded`](Lanes::pow2_of_rounded), where
    /// `self` and the product are positive normal numbers: then the product is exact, and the
    /// implementations may add `m >> SHIFT` to the exponent field instead of multiplying.
    #[inline(always)]
    fn scale_by_rounded<const SHIFT: u32>(self, rounded: Self) -> Self {
        self.mul(rounded.pow2_of_rounded::<SHIFT>())
    }
    /// For lanes holding `ROUNDER + m` as in [`pow2_of_rounded`](Lanes::pow2_of_rounded): the two tables'
    /// entries `m mod 16`.
    fn lookup16(self, tables: &Tables16) -> (Self, Self);
    /// `f` of each lane, one lane at a time.
    fn map(self, f: impl Fn(f64) -> f64) -> Self;
    /// `|self|`.
    fn abs(self) -> Self;
    /// `√self`, correctly rounded (IEEE), so the same bits in every implementation.
    fn sqrt(self) -> Self;
    /// For lanes holding a positive normal number `x`: `(m, k)` with `x = m·2^k`, `1 ≤ m < 2` and `k` an
    /// integer (exact). Other lanes get values of no meaning.
    fn split_exponent(self) -> (Self, Self);
    /// `−self` (the sign flipped, zeros and NaNs included).
    fn neg(self) -> Self;
    /// `self > other`.
    fn gt(self, other: Self) -> Self::Mask;
    /// Whether any lane of `mask` is set.
    fn any(mask: Self::Mask) -> bool;
    /// Whether every lane of `mask` is set.
    fn all(mask: Self::Mask) -> bool;
    /// For lanes holding an integer `k` below `2^51` in magnitude: whether bit `bit` of `k` (two's
    /// complement) is set.
    fn bit(self, bit: u32) -> Self::Mask;
}

/// Two tables of 16 numbers read at the same index ([`Lanes::lookup16`]), held both ways: each table
/// whole, for lanes that pick from registers, and the two interleaved, for lanes that load one pair per
/// lane.
pub(crate) struct Tables16 {
    first: [f64; 16],
    second: [f64; 16],
    pairs: [[f64; 2]; 16],
}

impl Tables16 {
    /// The two tables.
    pub(crate) const fn new(first: [f64; 16], second: [f64; 16]) -> Self {
        let mut pairs = [[0.0; 2]; 16];
        let mut j = 0;
        while j < 16 {
            pairs[j] = [first[j], second[j]];
            j += 1;
        }
        Tables16 { first, second, pairs }
    }
}

/// The constant whose addition rounds an `f64` below `2^51` in magnitude to an integer: `1.5 · 2^52`.
pub(crate) const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// The exponent bias of `f64`.
const EXPONENT_BIAS: u64 = 1023;

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

/// Eight lanes: the width every kernel loop works in (one Neumaier accumulator per lane, [`crate::sum::LANES`]).
pub(crate) trait Lanes8: Lanes {
    /// The lanes from an array.
    fn from_array(token: Token<Self>, x: [f64; 8]) -> Self;
    /// The lanes as an array.
    fn to_array(self) -> [f64; 8];
}

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

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{EXPONENT_BIAS, Instructions, Lanes, Lanes8, ROUNDER, Tables16, Token};
    use std::arch::x86_64::*;

    /// Eight lanes in two AVX2 registers. The field is private: values are made only from a
    /// [`Token<Avx2>`], so each method may use AVX2.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2([__m256d; 2]);

    /// A per-lane condition of [`Avx2`] lanes, made only by their methods (so that [`Lanes::any`] too
    /// runs only after detection).
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2Mask([__m256d; 2]);

    // SAFETY: the detection checks AVX2 (which includes AVX) and FMA, all the methods below use.
    unsafe impl Instructions for Avx2 {
        #[inline]
        fn detected() -> bool {
            super::SimdLevel::Avx2.allowed()
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        }
    }

    impl Avx2 {
        #[inline(always)]
        fn zip(self, other: Self, f: impl Fn(__m256d, __m256d) -> __m256d) -> Self {
            Avx2([f(self.0[0], other.0[0]), f(self.0[1], other.0[1])])
        }
    }

    // Every `unsafe` block below ("see the impl") calls AVX or AVX2 intrinsics, which the processor runs:
    // `splat` and `from_array` take a `Token<Avx2>`, and every other method a value made from one.
    impl Lanes for Avx2 {
        type Mask = Avx2Mask;
        const FUSED: bool = true;

        #[inline(always)]
        fn splat(_: Token<Self>, x: f64) -> Self {
            // SAFETY: see the impl; the token proves AVX2.
            let v = unsafe { _mm256_set1_pd(x) };
            Avx2([v, v])
        }
        #[inline(always)]
        fn add(self, other: Self) -> Self {
            // SAFETY: see the impl.
            self.zip(other, |a, b| unsafe { _mm256_add_pd(a, b) })
        }
        #[inline(always)]
        fn sub(self, other: Self) -> Self {
            // SAFETY: see the impl.
            self.zip(other, |a, b| unsafe { _mm256_sub_pd(a, b) })
        }
        #[inline(always)]
        fn mul(self, other: Self) -> Self {
            // SAFETY: see the impl.
            self.zip(other, |a, b| unsafe { _mm256_mul_pd(a, b) })
        }
        #[inline(always)]
        fn add_mul_exact(self, a: Self, b: Self) -> Self {
            // SAFETY: see the impl: these lanes come from a `Token<Avx2>`, which proves AVX2 and FMA.
            Avx2(unsafe {
                [
                    fmadd_avx2(a.0[0], b.0[0], self.0[0]),
                    fmadd_avx2(a.0[1], b.0[1], self.0[1]),
                ]
            })
        }
        #[inline(always)]
        fn sub_mul_exact(self, a: Self, b: Self) -> Self {
            // SAFETY: as in `add_mul_exact`.
            Avx2(unsafe {
                [
                    fnmadd_avx2(a.0[0], b.0[0], self.0[0]),
                    fnmadd_avx2(a.0[1], b.0[1], self.0[1]),
                ]
            })
        }
        #[inline(always)]
        fn mul_sub_fused(self, b: Self, c: Self) -> Self {
            // SAFETY: as `fmadd_avx2`.
            Avx2(unsafe {
                [
                    _mm256_fmsub_pd(self.0[0], b.0[0], c.0[0]),
                    _mm256_fmsub_pd(self.0[1], b.0[1], c.0[1]),
                ]
            })
        }
        #[inline(always)]
        fn div(self, other: Self) -> Self {
            // SAFETY: see the impl.
            self.zip(other, |a, b| unsafe { _mm256_div_pd(a, b) })
        }
        #[inline(always)]
        fn min(self, other: Self) -> Self {
            // SAFETY: see the impl. `minpd` returns its second operand unless the first is smaller.
            self.zip(other, |a, b| unsafe { _mm256_min_pd(a, b) })
        }
        #[inline(always)]
        fn max(self, other: Self) -> Self {
            // SAFETY: see the impl.
            self.zip(other, |a, b| unsafe { _mm256_max_pd(a, b) })
        }
        #[inline(always)]
        fn is_nan(self) -> Self::Mask {
            // SAFETY: see the impl.
            Avx2Mask(self.zip(self, |a, b| unsafe { _mm256_cmp_pd::<_CMP_UNORD_Q>(a, b) }).0)
        }
        #[inline(always)]
        fn select(mask: Self::Mask, yes: Self, no: Self) -> Self {
            // SAFETY: see the impl.
            unsafe {
                Avx2([
                    _mm256_blendv_pd(no.0[0], yes.0[0], mask.0[0]),
                    _mm256_blendv_pd(no.0[1], yes.0[1], mask.0[1]),
                ])
            }
        }
        #[inline(always)]
        fn pow2_of_rounded<const SHIFT: u32>(self) -> Self {
            // SAFETY: see the impl. As in the `f64` version.
            self.zip(self, |m, _| unsafe {
                let shifted = _mm256_srl_epi64(_mm256_castpd_si256(m), _mm_set_epi64x(0, i64::from(SHIFT)));
                let biased = _mm256_add_epi64(shifted, _mm256_set1_epi64x(EXPONENT_BIAS as i64));
                _mm256_castsi256_pd(_mm256_slli_epi64::<52>(biased))
            })
        }
        #[inline(always)]
        fn lookup16(self, tables: &Tables16) -> (Self, Self) {
            // SAFETY: see the impl; the broadcasts read one element of each table.
            unsafe {
                let [low, high] = self.0.map(|half| _mm256_castpd_si256(half));
                // Neighbouring arguments (a rule's points) mostly share their index: then the two entries are
                // broadcast (the same values as loading them lane by lane).
                let first = _mm256_permute4x64_epi64::<0>(low);
                let differ = _mm256_or_si256(_mm256_xor_si256(low, first), _mm256_xor_si256(high, first));
                if _mm256_testz_si256(differ, _mm256_set1_epi64x(15)) == 1 {
                    let j = (_mm256_cvtsi256_si32(low) & 15) as usize;
                    let (t, t_low) = (
                        _mm256_broadcast_sd(&tables.first[j]),
                        _mm256_broadcast_sd(&tables.second[j]),
                    );
                    return (Avx2([t, t]), Avx2([t_low, t_low]));
                }
            }
            // SAFETY: as in `add_mul_exact`.
            let ((first0, second0), (first1, second1)) =
                unsafe { (lookup16_avx2(self.0[0], tables), lookup16_avx2(self.0[1], tables)) };
            (Avx2([first0, first1]), Avx2([second0, second1]))
        }
        #[inline(always)]
        fn scale_by_rounded<const SHIFT: u32>(self, rounded: Self) -> Self {
            // SAFETY: as in `add_mul_exact`.
            Avx2(unsafe {
                [
                    scale_avx2::<SHIFT>(self.0[0], rounded.0[0]),
                    scale_avx2::<SHIFT>(self.0[1], rounded.0[1]),
                ]
            })
        }
        #[inline(always)]
        fn map(self, f: impl Fn(f64) -> f64) -> Self {
            Self::from_array(self.token(), self.to_array().map(f))
        }
        #[inline(always)]
        fn abs(self) -> Self {
            // SAFETY: see the impl. Clearing the sign bit.
            self.zip(self, |a, _| unsafe { _mm256_andnot_pd(_mm256_set1_pd(-0.0), a) })
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            // SAFETY: see the impl.
            self.zip(self, |a, _| unsafe { _mm256_sqrt_pd(a) })
        }
        #[inline(always)]
        fn split_exponent(self) -> (Self, Self) {
            // SAFETY: as in `add_mul_exact`.
            let ((m0, k0), (m1, k1)) = unsafe { (split_exponent_avx2(self.0[0]), split_exponent_avx2(self.0[1])) };
            (Avx2([m0, m1]), Avx2([k0, k1]))
        }
        #[inline(always)]
        fn neg(self) -> Self {
            // SAFETY: see the impl. Flipping the sign bit.
            self.zip(self, |a, _| unsafe { _mm256_xor_pd(a, _mm256_set1_pd(-0.0)) })
        }
        #[inline(always)]
        fn gt(self, other: Self) -> Self::Mask {
            // SAFETY: see the impl.
            Avx2Mask(self.zip(other, |a, b| unsafe { _mm256_cmp_pd::<_CMP_GT_OQ>(a, b) }).0)
        }
        #[inline(always)]
        fn any(mask: Self::Mask) -> bool {
            // SAFETY: see the impl.
            unsafe { _mm256_movemask_pd(_mm256_or_pd(mask.0[0], mask.0[1])) != 0 }
        }
        #[inline(always)]
        fn all(mask: Self::Mask) -> bool {
            // SAFETY: see the impl.
            unsafe { _mm256_movemask_pd(_mm256_and_pd(mask.0[0], mask.0[1])) == 0b1111 }
        }
        #[inline(always)]
        fn bit(self, bit: u32) -> Self::Mask {
            // SAFETY: see the impl.
            Avx2Mask(
                self.zip(self, |k, _| unsafe {
                    let bits = _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(ROUNDER)));
                    let one = _mm256_set1_epi64x(1 << bit);
                    _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(bits, one), one))
                })
                .0,
            )
        }
    }

    /// [`Lanes::split_exponent`] on one register: the mantissa with the exponent field of 1, and the
    /// biased exponent turned into an `f64` by placing it in the mantissa of `2^52` (exact) and
    /// subtracting `2^52` and the bias.
    ///
    /// # Safety
    ///
    /// The processor must have AVX2 (a caller holding `Avx2` lanes, made from a `Token<Avx2>`, has proof).
    #[inline(always)]
    unsafe fn split_exponent_avx2(x: __m256d) -> (__m256d, __m256d) {
        // SAFETY: the caller guarantees AVX2.
        unsafe {
            let bits = _mm256_castpd_si256(x);
            let mantissa = _mm256_or_si256(
                _mm256_and_si256(bits, _mm256_set1_epi64x((1 << 52) - 1)),
                _mm256_set1_epi64x((EXPONENT_BIAS as i64) << 52),
            );
            let biased = _mm256_and_si256(_mm256_srli_epi64::<52>(bits), _mm256_set1_epi64x(0x7ff));
            let two_52 = _mm256_set1_pd(4_503_599_627_370_496.0);
            let as_float = _mm256_sub_pd(
                _mm256_castsi256_pd(_mm256_or_si256(biased, _mm256_castpd_si256(two_52))),
                two_52,
            );
            let exponent = _mm256_sub_pd(as_float, _mm256_set1_pd(f64::from(EXPONENT_BIAS as u32)));
            (_mm256_castsi256_pd(mantissa), exponent)
        }
    }

    /// `a·b + c` on one register, rounded once. (Functions, not closures, so that they are always
    /// inlined into the AVX2 code that calls them.)
    ///
    /// # Safety
    ///
    /// The processor must have FMA (a `Token<Avx2>` proves AVX2 and FMA).
    #[inline(always)]
    unsafe fn fmadd_avx2(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: the caller guarantees FMA.
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }

    /// `c − a·b` on one register, rounded once.
    ///
    /// # Safety
    ///
    /// As `fmadd_avx2`.
    #[inline(always)]
    unsafe fn fnmadd_avx2(a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: the caller guarantees FMA.
        unsafe { _mm256_fnmadd_pd(a, b, c) }
    }

    /// [`Lanes::scale_by_rounded`] on one register: `m >> SHIFT` added to the exponent field, as the
    /// AVX-512 version does.
    ///
    /// # Safety
    ///
    /// As `split_exponent_avx2`.
    #[inline(always)]
    unsafe fn scale_avx2<const SHIFT: u32>(x: __m256d, rounded: __m256d) -> __m256d {
        // SAFETY: the caller guarantees AVX2.
        unsafe {
            let shifted = _mm256_srl_epi64(_mm256_castpd_si256(rounded), _mm_set_epi64x(0, i64::from(SHIFT)));
            let exponent = _mm256_slli_epi64::<52>(shifted);
            _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(x), exponent))
        }
    }

    /// [`Lanes::lookup16`] on one register. No gather (slow on AMD), and no picking from registers (four
    /// permutes and three blends per table, on the vector units that the arithmetic needs): the indices go
    /// to the integer unit (written as a store; the compiler may extract them instead), one load per lane
    /// fetches both tables' entries, and two unpacks sort them into the two registers. (A function, not a
    /// closure, so that it is always inlined into the AVX2 code that calls it.)
    ///
    /// # Safety
    ///
    /// As `split_exponent_avx2`.
    #[inline(always)]
    unsafe fn lookup16_avx2(m: __m256d, tables: &Tables16) -> (__m256d, __m256d) {
        let mut bits = [0_u64; 4];
        // SAFETY: the caller guarantees AVX2; the store writes the
        // 4 elements of `bits`, each load reads the 2 elements of one pair.
        unsafe {
            _mm256_storeu_si256(bits.as_mut_ptr().cast(), _mm256_castpd_si256(m));
            let pair = |l: usize| _mm_loadu_pd(tables.pairs[(bits[l] & 15) as usize].as_ptr());
            // [first₀, second₀, first₂, second₂] and [first₁, second₁, first₃, second₃].
            let even = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(pair(0)), pair(2));
            let odd = _mm256_insertf128_pd::<1>(_mm256_castpd128_pd256(pair(1)), pair(3));
            (_mm256_unpacklo_pd(even, odd), _mm256_unpackhi_pd(even, odd))
        }
    }

    impl Lanes8 for Avx2 {
        #[inline(always)]
        fn from_array(_: Token<Self>, x: [f64; 8]) -> Self {
            // SAFETY: the token proves AVX; the loads read 4 + 4 elements of `x`.
            unsafe { Avx2([_mm256_loadu_pd(x.as_ptr()), _mm256_loadu_pd(x.as_ptr().add(4))]) }
        }
        #[inline(always)]
        fn to_array(self) -> [f64; 8] {
            let mut x = [0.0; 8];
            // SAFETY: as in the `Lanes` impl; the stores write 4 + 4 elements of `x`.
            unsafe {
                _mm256_storeu_pd(x.as_mut_ptr(), self.0[0]);
                _mm256_storeu_pd(x.as_mut_ptr().add(4), self.0[1]);
            }
            x
        }
    }

    /// Eight lanes in one AVX-512 register. The field is private: values are made only from a
    /// [`Token<Avx512>`], so each method may use AVX-512F.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512(__m512d);

    // SAFETY: every method below uses only AVX-512F instructions (its masks are plain integers).
    unsafe impl Instructions for Avx512 {
        #[inline]
        fn detected() -> bool {
            super::SimdLevel::Avx512.allowed() && std::arch::is_x86_feature_detected!("avx512f")
        }
    }

    // Every `unsafe` block below ("see the impl") calls AVX-512F intrinsics, which the processor runs:
    // `splat` and `from_array` take a `Token<Avx512>`, and every other method a value made from one.
    impl Lanes for Avx512 {
        type Mask = __mmask8;
        const FUSED: bool = true;

        #[inline(always)]
        fn splat(_: Token<Self>, x: f64) -> Self {
            // SAFETY: see the impl; the token proves AVX-512F.
            Avx512(unsafe { _mm512_set1_pd(x) })
        }
        #[inline(always)]
        fn add(self, other: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_add_pd(self.0, other.0) })
        }
        #[inline(always)]
        fn sub(self, other: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_sub_pd(self.0, other.0) })
        }
        #[inline(always)]
        fn mul(self, other: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_mul_pd(self.0, other.0) })
        }
        #[inline(always)]
        fn add_mul_exact(self, a: Self, b: Self) -> Self {
            // SAFETY: see the impl (AVX-512F includes the fused multiply-adds).
            Avx512(unsafe { _mm512_fmadd_pd(a.0, b.0, self.0) })
        }
        #[inline(always)]
        fn sub_mul_exact(self, a: Self, b: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_fnmadd_pd(a.0, b.0, self.0) })
        }
        #[inline(always)]
        fn mul_sub_fused(self, b: Self, c: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_fmsub_pd(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn div(self, other: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_div_pd(self.0, other.0) })
        }
        #[inline(always)]
        fn min(self, other: Self) -> Self {
            // SAFETY: see the impl. `vminpd` returns its second operand unless the first is smaller.
            Avx512(unsafe { _mm512_min_pd(self.0, other.0) })
        }
        #[inline(always)]
        fn max(self, other: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_max_pd(self.0, other.0) })
        }
        #[inline(always)]
        fn is_nan(self) -> __mmask8 {
            // SAFETY: see the impl.
            unsafe { _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(self.0, self.0) }
        }
        #[inline(always)]
        fn select(mask: __mmask8, yes: Self, no: Self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_mask_blend_pd(mask, no.0, yes.0) })
        }
        #[inline(always)]
        fn pow2_of_rounded<const SHIFT: u32>(self) -> Self {
            // SAFETY: see the impl. As in the `f64` version.
            Avx512(unsafe {
                let shifted = _mm512_srli_epi64::<SHIFT>(_mm512_castpd_si512(self.0));
                let biased = _mm512_add_epi64(shifted, _mm512_set1_epi64(EXPONENT_BIAS as i64));
                _mm512_castsi512_pd(_mm512_slli_epi64::<52>(biased))
            })
        }
        #[inline(always)]
        fn scale_by_rounded<const SHIFT: u32>(self, rounded: Self) -> Self {
            // SAFETY: see the impl. As in `pow2_of_rounded`, the low 12 bits of the shifted value are
            // `m >> SHIFT`; shifted into the exponent field they add it to the exponent (two's complement,
            // wrapping, which ends in the right exponent as the product is normal).
            Avx512(unsafe {
                let shifted = _mm512_srli_epi64::<SHIFT>(_mm512_castpd_si512(rounded.0));
                let exponent = _mm512_slli_epi64::<52>(shifted);
                _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(self.0), exponent))
            })
        }
        #[inline(always)]
        fn lookup16(self, tables: &Tables16) -> (Self, Self) {
            // SAFETY: see the impl; the loads read the 8 + 8 elements of a table, and `vpermt2pd` uses the
            // low four bits of each index.
            let pick = |table: &[f64; 16]| unsafe {
                let (low, high) = (_mm512_loadu_pd(table.as_ptr()), _mm512_loadu_pd(table.as_ptr().add(8)));
                Avx512(_mm512_permutex2var_pd(low, _mm512_castpd_si512(self.0), high))
            };
            (pick(&tables.first), pick(&tables.second))
        }
        #[inline(always)]
        fn map(self, f: impl Fn(f64) -> f64) -> Self {
            Self::from_array(self.token(), self.to_array().map(f))
        }
        #[inline(always)]
        fn abs(self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_abs_pd(self.0) })
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            // SAFETY: see the impl.
            Avx512(unsafe { _mm512_sqrt_pd(self.0) })
        }
        #[inline(always)]
        fn split_exponent(self) -> (Self, Self) {
            // SAFETY: see the impl. For a positive normal x, `getmant` with the interval [1, 2) and
            // `getexp` give exactly m and k (floor(log2 x)).
            unsafe {
                (
                    Avx512(_mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_SRC>(self.0)),
                    Avx512(_mm512_getexp_pd(self.0)),
                )
            }
        }
        #[inline(always)]
        fn neg(self) -> Self {
            // SAFETY: see the impl. Flipping the sign bit (AVX-512F has the integer xor).
            Avx512(unsafe {
                _mm512_castsi512_pd(_mm512_xor_si512(
                    _mm512_castpd_si512(self.0),
                    _mm512_set1_epi64(i64::MIN),
                ))
            })
        }
        #[inline(always)]
        fn gt(self, other: Self) -> __mmask8 {
            // SAFETY: see the impl.
            unsafe { _mm512_cmp_pd_mask::<_CMP_GT_OQ>(self.0, other.0) }
        }
        #[inline(always)]
        fn any(mask: __mmask8) -> bool {
            mask != 0
        }
        #[inline(always)]
        fn all(mask: __mmask8) -> bool {
            mask == 0xff
        }
        #[inline(always)]
        fn bit(self, bit: u32) -> __mmask8 {
            // SAFETY: see the impl.
            unsafe {
                let bits = _mm512_castpd_si512(_mm512_add_pd(self.0, _mm512_set1_pd(ROUNDER)));
                _mm512_test_epi64_mask(bits, _mm512_set1_epi64(1 << bit))
            }
        }
    }

    impl Lanes8 for Avx512 {
        #[inline(always)]
        fn from_array(_: Token<Self>, x: [f64; 8]) -> Self {
            // SAFETY: the token proves AVX-512F; the load reads the 8 elements of `x`.
            Avx512(unsafe { _mm512_loadu_pd(x.as_ptr()) })
        }
        #[inline(always)]
        fn to_array(self) -> [f64; 8] {
            let mut x = [0.0; 8];
            // SAFETY: as in the `Lanes` impl; the store writes the 8 elements of `x`.
            unsafe { _mm512_storeu_pd(x.as_mut_ptr(), self.0) };
            x
        }
    }
}

/// A loop written once over [`Lanes8`], run by [`run`] in the widest implementation the processor has.
pub(crate) trait LaneLoop {
    /// What the loop returns.
    type Output;
    /// The loop, in lanes of type `V`, made from `token`.
    fn run<V: Lanes8>(self, token: Token<V>) -> Self::Output;
}

/// The implementations of [`Lanes8`], for tests that compare them.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Width {
    /// [`Portable`].
    Portable,
    /// Two AVX2 registers.
    Avx2,
    /// One AVX-512 register.
    Avx512,
}

#[cfg(test)]
impl Width {
    /// The implementations this processor runs, narrowest first.
    pub(crate) fn available() -> Vec<Width> {
        let mut widths = vec![Width::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if Token::<x86::Avx2>::detect().is_some() {
                widths.push(Width::Avx2);
            }
            if Token::<x86::Avx512>::detect().is_some() {
                widths.push(Width::Avx512);
            }
        }
        widths
    }
}

/// `body` in AVX2 lanes, compiled with AVX2 and FMA enabled so that the lanes' methods inline into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<L: LaneLoop>(body: L, token: Token<x86::Avx2>) -> L::Output {
    body.run(token)
}

/// `body` in AVX-512 lanes, compiled with AVX-512F enabled so that the lanes' methods inline into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_avx512<L: LaneLoop>(body: L, token: Token<x86::Avx512>) -> L::Output {
    body.run(token)
}

/// Runs `body` in the widest lanes this processor supports.
#[inline]
pub(crate) fn run<L: LaneLoop>(body: L) -> L::Output {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(token) = Token::<x86::Avx512>::detect() {
            // SAFETY: the token proves AVX-512F, which `run_avx512` enables.
            return unsafe { run_avx512(body, token) };
        }
        if let Some(token) = Token::<x86::Avx2>::detect() {
            // SAFETY: the token proves AVX2 and FMA, which `run_avx2` enables.
            return unsafe { run_avx2(body, token) };
        }
    }
    body.run(PORTABLE)
}

/// Runs `body` in the lanes `width` names, if this processor has them (for tests).
#[cfg(test)]
pub(crate) fn run_in<L: LaneLoop>(width: Width, body: L) -> Option<L::Output> {
    match width {
        Width::Portable => Some(body.run(PORTABLE)),
        #[cfg(target_arch = "x86_64")]
        Width::Avx2 => Token::<x86::Avx2>::detect().map(|token| {
            // SAFETY: the token proves AVX2 and FMA, which `run_avx2` enables.
            unsafe { run_avx2(body, token) }
        }),
        #[cfg(target_arch = "x86_64")]
        Width::Avx512 => Token::<x86::Avx512>::detect().map(|token| {
            // SAFETY: the token proves AVX-512F, which `run_avx512` enables.
            unsafe { run_avx512(body, token) }
        }),
        #[cfg(not(target_arch = "x86_64"))]
        _ => None,
    }
}
