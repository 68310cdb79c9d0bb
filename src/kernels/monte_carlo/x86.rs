//! The Monte Carlo inner loop written for x86 vector units: Philox4x32-10 and the exact hit test on
//! 64-bit lanes.
//!
//! Each 64-bit lane carries one Philox call, its words in the low 32 bits of four registers (`c0 .. c3`).
//! `vpmuludq` multiplies the low 32 bits of each lane into a full 64-bit product, so a round is two
//! products, two shifts that bring the high halves down, and two three-way xors (one `vpternlogq` each on
//! AVX-512, two `vpxor` on AVX2). The upper 32 bits of a lane are never cleared: `vpmuludq` ignores them, and
//! only the low words reach the hit test. Several groups of registers run side by side so that the
//! multiplier's latency is hidden.
//!
//! The loop is written once over [`Words`]; the counts equal the portable loop's, lane for lane: the tests
//! compare them over ranges that cross the high counter word. As with the floating-point lanes
//! ([`crate::simd`]), registers are made only from a [`Token`], which exists only after detection.

use std::arch::x86_64::*;

use crate::rng::{PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1};
use crate::simd::{Instructions, SimdLevel, Token};

/// A register of 64-bit lanes, each holding one Philox call's 32-bit word in its low half.
///
/// Values are made only from a [`Token`] ([`splat`](Words::splat), [`counters`](Words::counters)) or from
/// other values, so every method may use the instructions of [`Instructions`].
trait Words: Copy + Instructions {
    /// Lanes per register.
    const LANES: u64;
    /// Every lane `x`.
    fn splat(token: Token<Self>, x: u32) -> Self;
    /// Lane `l` holds the 64-bit counter `first + l`: its low word is the counter's first word, its high
    /// word the second.
    fn counters(token: Token<Self>, first: u64) -> Self;
    /// The 64-bit products of the low words.
    fn mul(self, other: Self) -> Self;
    /// The high words, brought down.
    fn high(self) -> Self;
    /// `a ^ b ^ c`.
    fn xor3(a: Self, b: Self, c: Self) -> Self;
    /// How many lanes' samples `(x, y)` (the low words) are hits: `x² + y²` does not wrap past `2^64`.
    fn hits(x: Self, y: Self) -> u32;
}

/// Hits among the samples of `calls` whole Philox calls starting at call `first`, `GROUPS` registers of
/// calls at a time; the calls left over go to `rest`.
#[inline(always)]
fn count<W: Words, const GROUPS: usize>(
    token: Token<W>,
    key: [u32; 2],
    first: u64,
    calls: u64,
    rest: fn([u32; 2], u64, u64) -> u64,
) -> u64 {
    let splat = |x| W::splat(token, x);
    let mut keys = [(splat(key[0]), splat(key[1])); 10];
    let mut k = key;
    for round_key in &mut keys[1..] {
        k = [k[0].wrapping_add(PHILOX_W0), k[1].wrapping_add(PHILOX_W1)];
        *round_key = (splat(k[0]), splat(k[1]));
    }
    let (m0, m1) = (splat(PHILOX_M0), splat(PHILOX_M1));
    let step = W::LANES * GROUPS as u64;
    let end = first + calls;
    let mut hits = 0u64;
    let mut i = first;
    while end - i >= step {
        let counter: [W; GROUPS] = std::array::from_fn(|g| W::counters(token, i + W::LANES * g as u64));
        // Round 1 on the counter [lo, hi, 0, 0]: the product of word 2 is zero.
        let mut c0 = counter.map(|c| W::xor3(c.high(), keys[0].0, splat(0)));
        let mut c3 = counter.map(|c| c.mul(m0));
        let mut c2 = c3.map(|p| W::xor3(p.high(), keys[0].1, splat(0)));
        let mut c1 = [splat(0); GROUPS];
        for (k0, k1) in &keys[1..] {
            for g in 0..GROUPS {
                let p0 = c0[g].mul(m0);
                let p1 = c2[g].mul(m1);
                c0[g] = W::xor3(p1.high(), c1[g], *k0);
                c2[g] = W::xor3(p0.high(), c3[g], *k1);
                c1[g] = p1;
                c3[g] = p0;
            }
        }
        for g in 0..GROUPS {
            hits += u64::from(W::hits(c0[g], c1[g]) + W::hits(c2[g], c3[g]));
        }
        i += step;
    }
    hits + rest(key, i, end - i)
}

/// [`count`] on AVX-512, six groups of eight calls, if this processor has AVX-512F.
pub(super) fn count_calls_avx512(
    key: [u32; 2],
    first: u64,
    calls: u64,
    rest: fn([u32; 2], u64, u64) -> u64,
) -> Option<u64> {
    let token = Token::<Avx512>::detect()?;
    // SAFETY: the token proves AVX-512F, which `count_avx512` enables.
    Some(unsafe { count_avx512(token, key, first, calls, rest) })
}

/// [`count`] compiled with AVX-512F enabled, so that the registers' methods inline into it.
#[target_feature(enable = "avx512f")]
fn count_avx512(
    token: Token<Avx512>,
    key: [u32; 2],
    first: u64,
    calls: u64,
    rest: fn([u32; 2], u64, u64) -> u64,
) -> u64 {
    count::<Avx512, 6>(token, key, first, calls, rest)
}

/// [`count`] on AVX2, two groups of four calls, if this processor has AVX2.
pub(super) fn count_calls_avx2(
    key: [u32; 2],
    first: u64,
    calls: u64,
    rest: fn([u32; 2], u64, u64) -> u64,
) -> Option<u64> {
    let token = Token::<Avx2>::detect()?;
    // SAFETY: the token proves AVX2, which `count_avx2` enables.
    Some(unsafe { count_avx2(token, key, first, calls, rest) })
}

/// [`count`] compiled with AVX2 enabled, so that the registers' methods inline into it.
#[target_feature(enable = "avx2")]
fn count_avx2(token: Token<Avx2>, key: [u32; 2], first: u64, calls: u64, rest: fn([u32; 2], u64, u64) -> u64) -> u64 {
    count::<Avx2, 2>(token, key, first, calls, rest)
}

/// Eight 64-bit lanes in one AVX-512 register (the field private: made only from a token).
#[derive(Clone, Copy)]
struct Avx512(__m512i);

// SAFETY: the methods below use only AVX-512F instructions (their masks are plain integers).
unsafe impl Instructions for Avx512 {
    #[inline]
    fn detected() -> bool {
        SimdLevel::Avx512.allowed() && std::arch::is_x86_feature_detected!("avx512f")
    }
}

// Every `unsafe` block below ("see the impl") calls AVX-512F intrinsics, which the processor runs:
// `splat` and `counters` take a `Token<Avx512>`, and every other method values made from one.
impl Words for Avx512 {
    const LANES: u64 = 8;

    #[inline(always)]
    fn splat(_: Token<Self>, x: u32) -> Self {
        // SAFETY: see the impl.
        Avx512(unsafe { _mm512_set1_epi64(i64::from(x)) })
    }
    #[inline(always)]
    fn counters(_: Token<Self>, first: u64) -> Self {
        // SAFETY: see the impl.
        Avx512(unsafe {
            _mm512_add_epi64(
                _mm512_set1_epi64(first as i64),
                _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
            )
        })
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        // SAFETY: see the impl.
        Avx512(unsafe { _mm512_mul_epu32(self.0, other.0) })
    }
    #[inline(always)]
    fn high(self) -> Self {
        // SAFETY: see the impl.
        Avx512(unsafe { _mm512_srli_epi64::<32>(self.0) })
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: see the impl.
        Avx512(unsafe { _mm512_ternarylogic_epi64::<0x96>(a.0, b.0, c.0) })
    }
    #[inline(always)]
    fn hits(x: Self, y: Self) -> u32 {
        // SAFETY: see the impl.
        unsafe {
            let xx = _mm512_mul_epu32(x.0, x.0);
            let sum = _mm512_add_epi64(xx, _mm512_mul_epu32(y.0, y.0));
            _mm512_cmpge_epu64_mask(sum, xx).count_ones()
        }
    }
}

/// Four 64-bit lanes in one AVX2 register (the field private: made only from a token).
#[derive(Clone, Copy)]
struct Avx2(__m256i);

// SAFETY: the detection checks AVX2, which includes AVX (the methods below use only AVX and AVX2).
unsafe impl Instructions for Avx2 {
    #[inline]
    fn detected() -> bool {
        SimdLevel::Avx2.allowed() && std::arch::is_x86_feature_detected!("avx2")
    }
}

// Every `unsafe` block below ("see the impl") calls AVX or AVX2 intrinsics, which the processor runs:
// `splat` and `counters` take a `Token<Avx2>`, and every other method values made from one.
impl Words for Avx2 {
    const LANES: u64 = 4;

    #[inline(always)]
    fn splat(_: Token<Self>, x: u32) -> Self {
        // SAFETY: see the impl.
        Avx2(unsafe { _mm256_set1_epi64x(i64::from(x)) })
    }
    #[inline(always)]
    fn counters(_: Token<Self>, first: u64) -> Self {
        // SAFETY: see the impl.
        Avx2(unsafe { _mm256_add_epi64(_mm256_set1_epi64x(first as i64), _mm256_set_epi64x(3, 2, 1, 0)) })
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        // SAFETY: see the impl.
        Avx2(unsafe { _mm256_mul_epu32(self.0, other.0) })
    }
    #[inline(always)]
    fn high(self) -> Self {
        // SAFETY: see the impl.
        Avx2(unsafe { _mm256_srli_epi64::<32>(self.0) })
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: see the impl.
        Avx2(unsafe { _mm256_xor_si256(_mm256_xor_si256(a.0, b.0), c.0) })
    }
    #[inline(always)]
    fn hits(x: Self, y: Self) -> u32 {
        // SAFETY: see the impl.
        unsafe {
            let xx = _mm256_mul_epu32(x.0, x.0);
            let sum = _mm256_add_epi64(xx, _mm256_mul_epu32(y.0, y.0));
            // The sum wrapped iff it is below x² as unsigned numbers: compared as signed numbers with
            // their sign bits flipped.
            let sign = _mm256_set1_epi64x(i64::MIN);
            let wrapped = _mm256_cmpgt_epi64(_mm256_xor_si256(xx, sign), _mm256_xor_si256(sum, sign));
            4 - (_mm256_movemask_pd(_mm256_castsi256_pd(wrapped)) as u32).count_ones()
        }
    }
}
