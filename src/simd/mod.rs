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
#[non_exhaustive]
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
        if Token::<Avx512>::detect().is_some() {
            return SimdLevel::Avx512;
        }
        if Token::<Avx2>::detect().is_some() {
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
    /// `work` on values `0..count` of a chunk [`CHUNK_VECTORS`] wide, in a function of its own compiled
    /// with these lanes' instructions and never inlined: one copy per lane type and kind of work, however
    /// many loops run it (a call per chunk, where inlining would copy the work into every loop). The
    /// lanes whose instructions must be enabled (AVX2, AVX-512) override it; a [`Pair`] keeps this
    /// default, which enables none: run chunks of work in the halves' own lanes.
    #[inline(never)]
    fn run_chunk<W: ChunkWork + ?Sized>(
        token: Token<Self>,
        work: &W,
        inputs: &[Self],
        slots: &mut [Self],
        count: usize,
    ) {
        work.run(token, inputs, slots, CHUNK_VECTORS, count);
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

/// Eight lanes: the width every kernel loop works in (one Neumaier accumulator per lane, [`crate::sum::LANES`]).
pub(crate) trait Lanes8: Lanes {
    /// The lanes from an array.
    fn from_array(token: Token<Self>, x: [f64; 8]) -> Self;
    /// The lanes as an array.
    fn to_array(self) -> [f64; 8];
}

/// Vectors of points per chunk of a loop that runs [`ChunkWork`]: each operation of an expression's
/// program runs over a chunk before the next one (a chunk's slots stay in the first-level cache). A
/// constant, so that the work's indexing is compiled for it.
pub(crate) const CHUNK_VECTORS: usize = 32;

/// Work on a chunk of lane values too large to inline into every loop that runs it (an expression's
/// program, with every function of the language), run through [`Lanes::run_chunk`].
pub(crate) trait ChunkWork {
    /// The work on values `0..count` of a chunk `width` wide: coordinate `j` of value `k` in
    /// `inputs[j·width + k]`; what it computes goes to `slots`.
    fn run<V: Lanes>(&self, token: Token<V>, inputs: &[V], slots: &mut [V], width: usize, count: usize);
}

mod pair;
mod portable;
mod scalar;

pub(crate) use pair::Pair;
pub(crate) use portable::Portable;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
use {avx2::Avx2, avx512::Avx512};

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
            if Token::<Avx2>::detect().is_some() {
                widths.push(Width::Avx2);
            }
            if Token::<Avx512>::detect().is_some() {
                widths.push(Width::Avx512);
            }
        }
        widths
    }
}

/// `body` in AVX2 lanes, compiled with AVX2 and FMA enabled so that the lanes' methods inline into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<L: LaneLoop>(body: L, token: Token<Avx2>) -> L::Output {
    body.run(token)
}

/// `body` in AVX-512 lanes, compiled with AVX-512F enabled so that the lanes' methods inline into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_avx512<L: LaneLoop>(body: L, token: Token<Avx512>) -> L::Output {
    body.run(token)
}

/// Runs `body` in the widest lanes this processor supports.
#[inline]
pub(crate) fn run<L: LaneLoop>(body: L) -> L::Output {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(token) = Token::<Avx512>::detect() {
            // SAFETY: the token proves AVX-512F, which `run_avx512` enables.
            return unsafe { run_avx512(body, token) };
        }
        if let Some(token) = Token::<Avx2>::detect() {
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
        Width::Avx2 => Token::<Avx2>::detect().map(|token| {
            // SAFETY: the token proves AVX2 and FMA, which `run_avx2` enables.
            unsafe { run_avx2(body, token) }
        }),
        #[cfg(target_arch = "x86_64")]
        Width::Avx512 => Token::<Avx512>::detect().map(|token| {
            // SAFETY: the token proves AVX-512F, which `run_avx512` enables.
            unsafe { run_avx512(body, token) }
        }),
        #[cfg(not(target_arch = "x86_64"))]
        _ => None,
    }
}
