//! The vector loop over a built-in integrand's points: eight at a time in registers (four vectors side by
//! side), with the same operations in the same order as the scalar loop, so the same bits on every
//! processor.

use std::ops::Range;

use super::Function;
use super::integrands::gauss_argument;
use crate::expr::{Program, Sink};
use crate::math;
use crate::simd::{self, LaneLoop, Lanes, Lanes8, Pair, Token};
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

/// A built-in integrand as the vector loop evaluates it, in lanes of any width.
trait LaneFunction: Copy {
    /// Whether evaluating the function takes few registers, as `exp` does (see [`Lanes8::SIDE_BY_SIDE`]).
    const LIGHT: bool;
    /// The function in every lane of `x`.
    fn at<W: Lanes>(self, x: W) -> W;
}

impl LaneFunction for Function {
    const LIGHT: bool = false;
    #[inline(always)]
    fn at<W: Lanes>(self, x: W) -> W {
        self.eval_in(x)
    }
}

/// `exp` for points inside [`math::EXP_NORMAL_RANGE`].
#[derive(Clone, Copy)]
struct ExpNormal;

impl LaneFunction for ExpNormal {
    const LIGHT: bool = true;
    #[inline(always)]
    fn at<W: Lanes>(self, x: W) -> W {
        math::exp_lanes_normal(x)
    }
}

/// `gauss` for points where the argument of its `exp` lies inside [`math::EXP_NORMAL_RANGE`].
#[derive(Clone, Copy)]
struct GaussNormal {
    x0: f64,
    sigma: f64,
}

impl LaneFunction for GaussNormal {
    const LIGHT: bool = true;
    #[inline(always)]
    fn at<W: Lanes>(self, x: W) -> W {
        math::exp_lanes_normal(gauss_argument(x, self.x0, self.sigma))
    }
}

/// `sin` (`COSINE` false) or `cos` for points where neither takes its far (nor, for `sin`, its tiny) path:
/// [`math::sin_near_over`], [`math::cos_near_over`].
#[derive(Clone, Copy)]
struct TrigNear<const COSINE: bool>;

impl<const COSINE: bool> LaneFunction for TrigNear<COSINE> {
    const LIGHT: bool = true;
    #[inline(always)]
    fn at<W: Lanes>(self, x: W) -> W {
        if COSINE {
            math::cos_lanes_near(x)
        } else {
            math::sin_lanes_near(x)
        }
    }
}

impl BuiltinPoints {
    /// The loop, evaluating the points with `f`.
    #[inline(always)]
    fn points<V: Lanes8, F: LaneFunction>(self, token: Token<V>, f: F) -> [Neumaier; LANES] {
        let side_by_side = V::SIDE_BY_SIDE[usize::from(!F::LIGHT)];
        let (lo, h) = (token.splat(self.lo), token.splat(self.h));
        let mut sums = LaneSums::from_lanes(token, &self.lanes);
        // Point `i + l` is `lo + (i + l)·h`, with `i + l` kept in `index`: exact below 2^53.
        let x = |index: V| lo.add(index.mul(h));
        let mut index = token.load(std::array::from_fn(|l| (self.first + l as u64) as f64));
        let step = LANES as u64;
        let [one, two, three, four] = [1.0, 2.0, 3.0, 4.0].map(|k| token.splat(k * step as f64));
        let mut i = self.first;
        // Several vectors of points at a time, evaluated side by side so that the processor overlaps their
        // dependency chains (four: 27% faster than one at a time for `exp` with AVX-512), as many as the
        // registers hold ([`Lanes8::SIDE_BY_SIDE`]; more spill), and added to the lanes in order: the same sums as one
        // vector at a time.
        if side_by_side == 4 {
            while self.end - i >= 4 * step {
                let points = Pair(
                    Pair(x(index), x(index.add(one))),
                    Pair(x(index.add(two)), x(index.add(three))),
                );
                let Pair(Pair(y0, y1), Pair(y2, y3)) = f.at(points);
                for y in [y0, y1, y2, y3] {
                    sums.add(y);
                }
                index = index.add(four);
                i += 4 * step;
            }
        } else if side_by_side == 2 {
            while self.end - i >= 2 * step {
                let Pair(y0, y1) = f.at(Pair(x(index), x(index.add(one))));
                sums.add(y0);
                sums.add(y1);
                index = index.add(two);
                i += 2 * step;
            }
        }
        while i < self.end {
            sums.add(f.at(x(index)));
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
        match self.function {
            Function::Exp if math::exp_normal_over(x_first, x_end) => self.points(token, ExpNormal),
            // gauss's argument is never positive, and lowest at one of the ends.
            Function::Gauss { x0, sigma }
                if math::exp_normal_over(
                    gauss_argument(x_first, x0, sigma).min(gauss_argument(x_end, x0, sigma)),
                    0.0,
                ) =>
            {
                self.points(token, GaussNormal { x0, sigma })
            }
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

/// Vectors of points per chunk of an expression's loop: each operation of the program runs over a chunk
/// before the next (a chunk's slots stay in the first-level cache).
const CHUNK_VECTORS: usize = 32;

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
            sums = self.program.run(token, &x, &mut slots, CHUNK_VECTORS, count, sums);
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
