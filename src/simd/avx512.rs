//! [`Avx512`]: eight `f64` lanes in one AVX-512F register.

use super::{CHUNK_VECTORS, ChunkWork, EXPONENT_BIAS, Instructions, Lanes, Lanes8, ROUNDER, Tables16, Token};
use std::arch::x86_64::*;

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
    fn run_chunk<W: ChunkWork + ?Sized>(
        token: Token<Self>,
        work: &W,
        inputs: &[Self],
        slots: &mut [Self],
        count: usize,
    ) {
        // SAFETY: the token proves AVX-512F, which `chunk` enables.
        unsafe { chunk(token, work, inputs, slots, count) }
    }

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

/// [`Lanes::run_chunk`] in Avx512 lanes: compiled with AVX-512F enabled, so that the lanes' methods
/// inline into it, and never inlined itself.
#[target_feature(enable = "avx512f")]
#[inline(never)]
fn chunk<W: ChunkWork + ?Sized>(token: Token<Avx512>, work: &W, inputs: &[Avx512], slots: &mut [Avx512], count: usize) {
    work.run(token, inputs, slots, CHUNK_VECTORS, count);
}
