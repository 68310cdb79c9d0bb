//! [`Avx2`]: eight `f64` lanes in two AVX2 registers (with FMA), and their masks.

use super::{CHUNK_VECTORS, ChunkWork, EXPONENT_BIAS, Instructions, Lanes, Lanes8, ROUNDER, Tables16, Token};
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
    fn run_chunk<W: ChunkWork + ?Sized>(
        token: Token<Self>,
        work: &W,
        inputs: &[Self],
        slots: &mut [Self],
        count: usize,
    ) {
        // SAFETY: the token proves AVX2 and FMA, which `chunk` enables.
        unsafe { chunk(token, work, inputs, slots, count) }
    }

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

/// [`Lanes::run_chunk`] in Avx2 lanes: compiled with AVX2 and FMA enabled, so that the lanes' methods
/// inline into it, and never inlined itself.
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
fn chunk<W: ChunkWork + ?Sized>(token: Token<Avx2>, work: &W, inputs: &[Avx2], slots: &mut [Avx2], count: usize) {
    work.run(token, inputs, slots, CHUNK_VECTORS, count);
}
