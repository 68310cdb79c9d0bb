//! The Monte Carlo inner loop written for x86 vector units: Philox4x32-10 and the exact hit test on
//! 64-bit lanes.
//!
//! Each 64-bit lane carries one Philox call, its words in the low 32 bits of four registers (`c0 .. c3`).
//! `vpmuludq` multiplies the low 32 bits of each lane into a full 64-bit product, so a round is two
//! products, two shifts that bring the high halves down, and two three-way xors (one `vpternlogq` each on
//! AVX-512, two `vpxor` on AVX2). The upper 32 bits of a lane are never cleared: `vpmuludq` ignores them, and
//! only the low words reach the hit test. Several groups of lanes run side by side so that the multiplier's
//! latency is hidden.
//!
//! The counts equal the portable loop's, lane for lane: the tests compare them over ranges that cross the
//! high counter word.

use std::arch::x86_64::*;

use crate::rng::{PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1};

/// The ten round keys of `key`.
fn round_keys(key: [u32; 2]) -> [[u32; 2]; 10] {
    let mut keys = [key; 10];
    for r in 1..10 {
        keys[r] = [
            keys[r - 1][0].wrapping_add(PHILOX_W0),
            keys[r - 1][1].wrapping_add(PHILOX_W1),
        ];
    }
    keys
}

/// Register groups in flight on AVX-512: six groups of eight calls keep the multiplier busy.
const GROUPS_512: usize = 6;

/// Hits among the samples of `calls` whole Philox calls starting at call `first`; the calls left over after
/// the last whole set of `8 · GROUPS_512` go to `rest`.
///
/// # Safety
///
/// The processor must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn count_calls_avx512(
    key: [u32; 2],
    first: u64,
    calls: u64,
    rest: fn([u32; 2], u64, u64) -> u64,
) -> u64 {
    let keys = round_keys(key).map(|[k0, k1]| (_mm512_set1_epi64(i64::from(k0)), _mm512_set1_epi64(i64::from(k1))));
    let m0 = _mm512_set1_epi64(i64::from(PHILOX_M0));
    let m1 = _mm512_set1_epi64(i64::from(PHILOX_M1));
    let lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    let step = (8 * GROUPS_512) as u64;
    let end = first + calls;
    let mut hits = 0u64;
    let mut i = first;
    while end - i >= step {
        // The 64-bit counter of each lane: its low word is the counter's first word, its high word the second.
        let counter: [__m512i; GROUPS_512] =
            std::array::from_fn(|g| _mm512_add_epi64(_mm512_set1_epi64((i + 8 * g as u64) as i64), lane));
        let [mut c0, mut c1, mut c2, mut c3] = [[_mm512_setzero_si512(); GROUPS_512]; 4];
        // Round 1 on the counter [lo, hi, 0, 0]: the product of word 2 is zero.
        for g in 0..GROUPS_512 {
            let p0 = _mm512_mul_epu32(counter[g], m0);
            c0[g] = _mm512_xor_si512(_mm512_srli_epi64::<32>(counter[g]), keys[0].0);
            c2[g] = _mm512_xor_si512(_mm512_srli_epi64::<32>(p0), keys[0].1);
            c3[g] = p0;
        }
        for (k0, k1) in &keys[1..] {
            for g in 0..GROUPS_512 {
                let p0 = _mm512_mul_epu32(c0[g], m0);
                let p1 = _mm512_mul_epu32(c2[g], m1);
                c0[g] = _mm512_ternarylogic_epi64::<0x96>(_mm512_srli_epi64::<32>(p1), c1[g], *k0);
                c2[g] = _mm512_ternarylogic_epi64::<0x96>(_mm512_srli_epi64::<32>(p0), c3[g], *k1);
                c1[g] = p1;
                c3[g] = p0;
            }
        }
        // Samples (c0, c1) and (c2, c3): a hit iff x² + y² does not wrap, i.e. the sum is at least x².
        for g in 0..GROUPS_512 {
            for (x, y) in [(c0[g], c1[g]), (c2[g], c3[g])] {
                let xx = _mm512_mul_epu32(x, x);
                let sum = _mm512_add_epi64(xx, _mm512_mul_epu32(y, y));
                hits += u64::from(_mm512_cmpge_epu64_mask(sum, xx).count_ones());
            }
        }
        i += step;
    }
    hits + rest(key, i, end - i)
}

/// Register groups in flight on AVX2.
const GROUPS_256: usize = 2;

/// The AVX2 version of [`count_calls_avx512`]: four calls per register, xors in pairs, and the unsigned
/// comparison done as a signed one on sign-flipped operands.
///
/// # Safety
///
/// The processor must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn count_calls_avx2(
    key: [u32; 2],
    first: u64,
    calls: u64,
    rest: fn([u32; 2], u64, u64) -> u64,
) -> u64 {
    let keys = round_keys(key).map(|[k0, k1]| (_mm256_set1_epi64x(i64::from(k0)), _mm256_set1_epi64x(i64::from(k1))));
    let m0 = _mm256_set1_epi64x(i64::from(PHILOX_M0));
    let m1 = _mm256_set1_epi64x(i64::from(PHILOX_M1));
    let sign = _mm256_set1_epi64x(i64::MIN);
    let lane = _mm256_set_epi64x(3, 2, 1, 0);
    let step = (4 * GROUPS_256) as u64;
    let end = first + calls;
    let mut misses = 0u64;
    let mut i = first;
    while end - i >= step {
        let counter: [__m256i; GROUPS_256] =
            std::array::from_fn(|g| _mm256_add_epi64(_mm256_set1_epi64x((i + 4 * g as u64) as i64), lane));
        let [mut c0, mut c1, mut c2, mut c3] = [[_mm256_setzero_si256(); GROUPS_256]; 4];
        for g in 0..GROUPS_256 {
            let p0 = _mm256_mul_epu32(counter[g], m0);
            c0[g] = _mm256_xor_si256(_mm256_srli_epi64::<32>(counter[g]), keys[0].0);
            c2[g] = _mm256_xor_si256(_mm256_srli_epi64::<32>(p0), keys[0].1);
            c3[g] = p0;
        }
        for (k0, k1) in &keys[1..] {
            for g in 0..GROUPS_256 {
                let p0 = _mm256_mul_epu32(c0[g], m0);
                let p1 = _mm256_mul_epu32(c2[g], m1);
                c0[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p1), c1[g]), *k0);
                c2[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p0), c3[g]), *k1);
                c1[g] = p1;
                c3[g] = p0;
            }
        }
        // A miss iff x² + y² wraps, i.e. the sum is below x² as unsigned numbers.
        for g in 0..GROUPS_256 {
            for (x, y) in [(c0[g], c1[g]), (c2[g], c3[g])] {
                let xx = _mm256_mul_epu32(x, x);
                let sum = _mm256_add_epi64(xx, _mm256_mul_epu32(y, y));
                let wrapped = _mm256_cmpgt_epi64(_mm256_xor_si256(xx, sign), _mm256_xor_si256(sum, sign));
                misses += u64::from((_mm256_movemask_pd(_mm256_castsi256_pd(wrapped)) as u32).count_ones());
            }
        }
        i += step;
    }
    2 * (i - first) - misses + rest(key, i, end - i)
}
