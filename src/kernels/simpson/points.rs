//! The vector loop over a built-in integrand's points: eight at a time in registers, a chunk of such
//! vectors per pass, with the same operations in the same order as the scalar loop, so the same bits on
//! every processor.

use std::ops::Range;

use super::Function;
use crate::expr::{Program, Sink};
use crate::integrand::GaussArgument;
use crate::math;
use crate::simd::{self, CHUNK_VECTORS, LaneLoop, Lanes, Lanes8, Pair, Token};
use crate::sum::{LANES, LaneSums, Neumaier};

/// Adds `f(lo + i·h)` for `i` in `points` (both ends multiples of [`LANES`]) to `lanes`, point `i` to lane
/// `i mod 8`, on the widest vector unit the processor has.
pub(super) fn builtin(
    function: Function,
    lo: f64,
    h: f64,
    points: Range<u64>,
    lanes: [Neumaier; LANES],
) -> [Neumaier; LANES] {
    simd::run(BuiltinPoints {
        function,
        lo,
        h,
        first: points.start,
        end: points.end,
        lanes,
    })
}

/// The points `first .. end` of a built-in integrand added to `lanes`, eight at a time in vector registers
/// (`first` and `end` multiples of [`LANES`]): the same operations, in the same order, as the scalar loop.
struct BuiltinPoints {
    function: Function,
    lo: f64,
    h: f64,
    first: u64,
    end: u64,
    lanes: [Neumaier; LANES],
}

/// A built-in integrand as the vector loop evaluates it, in lanes of any width, in two halves: the loop
/// runs the first over a chunk of vectors, then the second over the chunk (see [`BuiltinPoints::points`]).
trait LaneFunction: Copy {
    /// Whether every value is at least zero and none is NaN, so that the chunk's values may be added with
    /// [`LaneSums::add_ordered`] where the lanes' sums are at least as large.
    const NONNEGATIVE: bool;
    /// A bound on every value's magnitude (infinite where there is none), so that the chunk's values may be
    /// added with [`LaneSums::add_ordered`] where the lanes' sums are far larger ([`LaneSums::far_above`]).
    const BOUND: f64;
    /// What the first half hands to the second.
    type Reduced<W: Lanes>: Copy;
    /// The first half (for the elementary functions, the argument reduction) in every lane of `x`.
    fn reduce<W: Lanes>(self, x: W) -> Self::Reduced<W>;
    /// The function's values from the first half's.
    fn finish<W: Lanes>(self, reduced: Self::Reduced<W>) -> W;
    /// What the points of a chunk may share, so that each half does less for each point (for `exp`, the
    /// reduction's integer and its table entries).
    type Shared: Copy;
    /// What every point from `first` to `last` (in order) shares, where the function can tell from those
    /// two: `None` elsewhere.
    fn shared(self, first: f64, last: f64) -> Option<Self::Shared>;
    /// What the first half hands to the second for points that share a [`Shared`](Self::Shared).
    type ReducedShared<W: Lanes>: Copy;
    /// A placeholder [`ReducedShared`](Self::ReducedShared), to fill the chunk's buffer before its first use.
    fn reduced_shared_placeholder<W: Lanes>(zero: W) -> Self::ReducedShared<W>;
    /// [`reduce`](Self::reduce) for points that share `shared`.
    fn reduce_shared<W: Lanes>(self, x: W, shared: Self::Shared) -> Self::ReducedShared<W>;
    /// [`finish`](Self::finish) for points that share `shared`, from [`reduce_shared`](Self::reduce_shared).
    fn finish_shared<W: Lanes>(self, reduced: Self::ReducedShared<W>, shared: Self::Shared) -> W;
}

/// For functions whose points share nothing.
macro_rules! nothing_shared {
    () => {
        type Shared = std::convert::Infallible;
        type ReducedShared<W: Lanes> = W;
        fn reduced_shared_placeholder<W: Lanes>(zero: W) -> W {
            zero
        }
        fn shared(self, _: f64, _: f64) -> Option<std::convert::Infallible> {
            None
        }
        fn reduce_shared<W: Lanes>(self, _: W, shared: std::convert::Infallible) -> W {
            match shared {}
        }
        fn finish_shared<W: Lanes>(self, _: W, shared: std::convert::Infallible) -> W {
            match shared {}
        }
    };
}

/// What the points of a chunk share where their `exp` arguments all reduce with the same `m = 16k + j`:
/// `ROUNDER + m` and the table's two parts of `2^(j/16)`.
#[derive(Clone, Copy)]
struct SharedReduction {
    rounded: f64,
    entries: (f64, f64),
}

impl SharedReduction {
    /// Where the `exp` arguments `first` and `last`, the ends of a run that is monotone, reduce with the same
    /// `m`: then every argument between them does (the reduction's rounding is monotone).
    fn between(first: f64, last: f64) -> Option<Self> {
        let rounded = math::exp_reduction(first).1;
        (math::exp_reduction(last).1 == rounded).then(|| SharedReduction {
            rounded,
            entries: math::exp_table(rounded),
        })
    }

    /// `exp` in every lane, from the remainders `r` that [`math::exp_remainder`] left of the arguments with
    /// the shared `rounded`.
    #[inline(always)]
    fn exp<W: Lanes>(self, r: W) -> W {
        let c = |k| r.token().splat(k);
        math::exp_normal_of_parts(r, (c(self.entries.0), c(self.entries.1)), c(self.rounded))
    }
}

/// Any built-in integrand, special cases included: all of it in the second half.
impl LaneFunction for Function {
    const NONNEGATIVE: bool = false;
    const BOUND: f64 = f64::INFINITY;
    type Reduced<W: Lanes> = W;
    #[inline(always)]
    fn reduce<W: Lanes>(self, x: W) -> W {
        x
    }
    #[inline(always)]
    fn finish<W: Lanes>(self, x: W) -> W {
        self.eval_in(x)
    }
    nothing_shared!();
}

/// `exp` for points inside the range [`math::exp_normal_over`] accepts.
#[derive(Clone, Copy)]
struct ExpNormal;

impl LaneFunction for ExpNormal {
    const NONNEGATIVE: bool = true;
    const BOUND: f64 = f64::INFINITY;
    type Reduced<W: Lanes> = (W, W);
    #[inline(always)]
    fn reduce<W: Lanes>(self, x: W) -> (W, W) {
        math::exp_reduction(x)
    }
    #[inline(always)]
    fn finish<W: Lanes>(self, reduced: (W, W)) -> W {
        math::exp_normal_of_reduction(reduced)
    }
    // The points increase (h ≥ 0), and so do their reductions' `m`.
    type Shared = SharedReduction;
    type ReducedShared<W: Lanes> = W;
    fn reduced_shared_placeholder<W: Lanes>(zero: W) -> W {
        zero
    }
    fn shared(self, first: f64, last: f64) -> Option<SharedReduction> {
        SharedReduction::between(first, last)
    }
    #[inline(always)]
    fn reduce_shared<W: Lanes>(self, x: W, shared: SharedReduction) -> W {
        math::exp_remainder(x, x.token().splat(shared.rounded))
    }
    #[inline(always)]
    fn finish_shared<W: Lanes>(self, r: W, shared: SharedReduction) -> W {
        shared.exp(r)
    }
}

/// `gauss` for points where the argument of its `exp` lies inside the range [`math::exp_normal_over`] accepts.
#[derive(Clone, Copy)]
struct GaussNormal(GaussArgument);

impl LaneFunction for GaussNormal {
    const NONNEGATIVE: bool = true;
    const BOUND: f64 = f64::INFINITY;
    type Reduced<W: Lanes> = (W, W);
    #[inline(always)]
    fn reduce<W: Lanes>(self, x: W) -> (W, W) {
        math::exp_reduction(self.0.of(x))
    }
    #[inline(always)]
    fn finish<W: Lanes>(self, reduced: (W, W)) -> W {
        math::exp_normal_of_reduction(reduced)
    }
    // The argument is monotone on either side of x0 (each operation of `GaussArgument::of` rounds
    // monotonically), so where the ends lie on the same side.
    type Shared = SharedReduction;
    type ReducedShared<W: Lanes> = W;
    fn reduced_shared_placeholder<W: Lanes>(zero: W) -> W {
        zero
    }
    fn shared(self, first: f64, last: f64) -> Option<SharedReduction> {
        let one_side = (first >= self.0.x0) == (last >= self.0.x0);
        one_side.then(|| SharedReduction::between(self.0.of(first), self.0.of(last)))?
    }
    #[inline(always)]
    fn reduce_shared<W: Lanes>(self, x: W, shared: SharedReduction) -> W {
        math::exp_remainder(self.0.of(x), x.token().splat(shared.rounded))
    }
    #[inline(always)]
    fn finish_shared<W: Lanes>(self, r: W, shared: SharedReduction) -> W {
        shared.exp(r)
    }
}

/// What the points of a chunk share where their `sin` or `cos` arguments all reduce with the same `n`
/// ([`math::reduce_pio2`]): `n·π/2`'s parts (none for `n = 0`, where the reduction leaves `x` as it is),
/// whether the reduction's second sum is settled ([`math::pio2_settled_over`]), and the quadrant's kernel
/// and sign.
#[derive(Clone, Copy)]
struct SharedQuadrant {
    parts: Option<[f64; 4]>,
    settled: bool,
    odd: bool,
    negated: bool,
}

impl SharedQuadrant {
    /// Where the arguments `first` and `last` (`first ≤ last`) reduce with the same `n`: then every
    /// argument between them does ([`math::pio2_multiple`] is monotone). `shift` is 1 for `cos`, 0 for
    /// `sin`.
    fn between(first: f64, last: f64, shift: f64) -> Option<Self> {
        let n = math::pio2_multiple(first);
        (math::pio2_multiple(last) == n).then(|| {
            let quadrant = n + shift;
            let parts = math::pio2_parts(n);
            SharedQuadrant {
                parts: (n != 0.0).then_some(parts),
                settled: math::pio2_settled_over(first, last, parts),
                odd: quadrant.bit(0),
                negated: quadrant.bit(1),
            }
        })
    }
}

/// `sin` (`COSINE` false) or `cos` for points where neither takes its far (nor, for `sin`, its tiny) path:
/// [`math::sin_near_over`], [`math::cos_near_over`].
#[derive(Clone, Copy)]
struct TrigNear<const COSINE: bool>;

impl<const COSINE: bool> TrigNear<COSINE> {
    /// The quadrant's shift: `cos x = sin(x + π/2)`.
    const SHIFT: f64 = if COSINE { 1.0 } else { 0.0 };
}

impl<const COSINE: bool> LaneFunction for TrigNear<COSINE> {
    const NONNEGATIVE: bool = false;
    // |sin| and |cos| are at most 1; 2 leaves room for a last bit's rounding.
    const BOUND: f64 = 2.0;
    type Reduced<W: Lanes> = (W, W, W);
    #[inline(always)]
    fn reduce<W: Lanes>(self, x: W) -> (W, W, W) {
        math::reduce_pio2(x)
    }
    #[inline(always)]
    fn finish<W: Lanes>(self, reduced: (W, W, W)) -> W {
        math::trig_near_of_reduction(reduced, Self::SHIFT)
    }
    // The points increase (h ≥ 0).
    type Shared = SharedQuadrant;
    type ReducedShared<W: Lanes> = (W, W);
    fn reduced_shared_placeholder<W: Lanes>(zero: W) -> (W, W) {
        (zero, zero)
    }
    fn shared(self, first: f64, last: f64) -> Option<SharedQuadrant> {
        SharedQuadrant::between(first, last, Self::SHIFT)
    }
    #[inline(always)]
    fn reduce_shared<W: Lanes>(self, x: W, shared: SharedQuadrant) -> (W, W) {
        match shared.parts {
            Some(parts) => math::reduce_pio2_by(x, parts.map(|part| x.token().splat(part)), shared.settled),
            None => (x, x.token().splat(0.0)),
        }
    }
    #[inline(always)]
    fn finish_shared<W: Lanes>(self, (y0, y1): (W, W), shared: SharedQuadrant) -> W {
        // For n = 0 the remainder is x alone (y1 = +0), with kernels that leave y1 out: the same bits
        // (for sin, as |x| ≥ 2^-26 here).
        let value = match (shared.odd, shared.parts) {
            (true, None) => math::cos_kernel_single(y0),
            (false, None) => math::sin_kernel_single(y0),
            (true, Some(_)) => math::cos_kernel(y0, y1),
            (false, Some(_)) => math::sin_kernel(y0, y1),
        };
        if shared.negated { value.neg() } else { value }
    }
}

/// Vectors of points per chunk of the built-in loop (measured: fewer overlap less, more run slower).
const CHUNK: usize = 8;

impl BuiltinPoints {
    /// The loop, evaluating the points with `f`.
    ///
    /// A chunk of vectors at a time: the first half of `f` over the chunk, then the second half, then the
    /// values added to the lanes in order (the same operations on each point, and the same sums, as one
    /// point at a time). Each pass's dependency chains are short, so the processor overlaps the chunk's
    /// vectors: the whole function and the addition for one vector make a chain too long for its window.
    /// Where the chunk's points share a reduction, each half works on two vectors side by side
    /// ([`Pair`]), every operation on both before the next: the kernels of `sin` and `cos` are long chains
    /// of their own, and two of them side by side run faster than one at a time (measured).
    #[inline(always)]
    fn points<V: Lanes8, F: LaneFunction>(self, token: Token<V>, f: F) -> [Neumaier; LANES] {
        let (lo, h) = (token.splat(self.lo), token.splat(self.h));
        let mut sums = LaneSums::from_lanes(token, &self.lanes);
        // Point `i + l` is `lo + (i + l)·h`, with `i + l` kept in `index`: exact below 2^53.
        let x = |index: V| lo.add(index.mul(h));
        let mut index = token.load(std::array::from_fn(|l| (self.first + l as u64) as f64));
        let step = LANES as u64;
        let one = token.splat(step as f64);
        let zero = token.splat(0.0);
        let mut reduced = [f.reduce(zero); CHUNK];
        let mut values = [zero; CHUNK];
        let mut remainders = [F::reduced_shared_placeholder(Pair(zero, zero)); CHUNK / 2];
        let mut i = self.first;
        while self.end - i >= (CHUNK * LANES) as u64 {
            // The chunk's first and last points, as the lanes compute them.
            let (first, last) = (i as f64, (i + (CHUNK * LANES) as u64 - 1) as f64);
            if let Some(shared) = f.shared(self.lo + first * self.h, self.lo + last * self.h) {
                for remainder in &mut remainders {
                    let first = x(index);
                    index = index.add(one);
                    let second = x(index);
                    index = index.add(one);
                    *remainder = f.reduce_shared(Pair(first, second), shared);
                }
                for (values, &remainder) in values.chunks_exact_mut(2).zip(&remainders) {
                    let Pair(first, second) = f.finish_shared(remainder, shared);
                    values[0] = first;
                    values[1] = second;
                }
            } else {
                for reduced in &mut reduced {
                    *reduced = f.reduce(x(index));
                    index = index.add(one);
                }
                for (value, &reduced) in values.iter_mut().zip(&reduced) {
                    *value = f.finish(reduced);
                }
            }
            let ordered = if F::NONNEGATIVE {
                sums.at_least(values.iter().fold(zero, |max, &value| max.max(value)))
            } else {
                F::BOUND.is_finite() && sums.far_above(F::BOUND, CHUNK)
            };
            if ordered {
                for &value in &values {
                    sums.add_ordered(value);
                }
            } else {
                for &value in &values {
                    sums.add(value);
                }
            }
            i += (CHUNK * LANES) as u64;
        }
        while i < self.end {
            sums.add(f.finish(f.reduce(x(index))));
            index = index.add(one);
            i += step;
        }
        sums.lanes()
    }
}

impl LaneLoop for BuiltinPoints {
    type Output = [Neumaier; LANES];

    #[inline(always)]
    fn run<V: Lanes8>(self, token: Token<V>) -> [Neumaier; LANES] {
        // The points lie between x_first and x_end (h ≥ 0).
        let (x_first, x_end) = (self.lo + self.first as f64 * self.h, self.lo + self.end as f64 * self.h);
        // The loop is compiled on its own for `exp` and `gauss` where their `exp` stays in its normal range,
        // and for `sin` and `cos` where no point takes their far (or, for `sin`, tiny) path: the common
        // cases, with neither those checks nor a dispatch on the function inside it.
        if let Function::Gauss(g) = self.function {
            let (x0, sigma) = (g.x0(), g.sigma());
            // gauss's argument is never positive, and lowest at one of the ends.
            let argument = GaussArgument::new(x0, sigma);
            if math::exp_normal_over(argument.of(x_first).min(argument.of(x_end)), 0.0) {
                return self.points(token, GaussNormal(argument));
            }
        }
        match self.function {
            Function::Exp if math::exp_normal_over(x_first, x_end) => self.points(token, ExpNormal),
            Function::Sin if math::sin_near_over(x_first, x_end) => self.points(token, TrigNear::<false>),
            Function::Cos if math::cos_near_over(x_first, x_end) => self.points(token, TrigNear::<true>),
            function => self.points(token, function),
        }
    }
}

/// Adds `f(lo + i·h)` for `i` in `points` (both ends multiples of [`LANES`]) to `lanes`, point `i` to lane
/// `i mod 8`, for the expression compiled into `program`, on the widest vector unit the processor has.
pub(super) fn expression(
    program: &Program,
    lo: f64,
    h: f64,
    points: Range<u64>,
    lanes: [Neumaier; LANES],
) -> [Neumaier; LANES] {
    simd::run(ExpressionPoints {
        program,
        lo,
        h,
        first: points.start,
        end: points.end,
        lanes,
    })
}

/// The points `first .. end` of an expression added to `lanes`: a chunk of points at a time, each
/// operation over the whole chunk, then the values added to the lanes in order (the sums of the built-in
/// loop, and of the scalar one).
struct ExpressionPoints<'a> {
    program: &'a Program,
    lo: f64,
    h: f64,
    first: u64,
    end: u64,
    lanes: [Neumaier; LANES],
}

impl LaneLoop for ExpressionPoints<'_> {
    type Output = [Neumaier; LANES];

    #[inline(always)]
    fn run<V: Lanes8>(self, token: Token<V>) -> [Neumaier; LANES] {
        let (lo, h) = (token.splat(self.lo), token.splat(self.h));
        let mut sums = LaneSums::from_lanes(token, &self.lanes);
        let mut index = token.load(std::array::from_fn(|l| (self.first + l as u64) as f64));
        let step = token.splat(LANES as f64);
        let mut x = vec![token.splat(0.0); CHUNK_VECTORS];
        let mut slots = vec![token.splat(0.0); self.program.slots() * CHUNK_VECTORS];
        let mut i = self.first;
        while i < self.end {
            let count = (((self.end - i) / LANES as u64) as usize).min(CHUNK_VECTORS);
            for x in &mut x[..count] {
                // Point `i + l` is `lo + (i + l)·h`, as in the built-in loop.
                *x = lo.add(index.mul(h));
                index = index.add(step);
            }
            sums = self.program.run(token, &x, &mut slots, count, sums);
            i += (count * LANES) as u64;
        }
        sums.lanes()
    }
}

/// A program's values added to the lanes.
impl<V: Lanes8> Sink<V> for LaneSums<V> {
    #[inline(always)]
    fn take(&mut self, value: V) {
        self.add(value);
    }
}
