//! Any integrand at the points a method chooses: a [`PointSource`] generates points (a method hands over
//! the generator — a block of a sequence — rather than arrays of points, so that a GPU can compute the
//! points where it evaluates them), a [`PointFunction`] evaluates them a chunk of vectors at a time, and
//! [`sums_and_squares`] and [`values`] run the two over a range of points on the widest vector unit the
//! processor has. Every value is computed by the same operations as the scalar [`PointFunction::value`] at
//! the source's [`PointSource::point`], so the results are the same bits on every processor and backend.

use crate::expr::{Program, Sink};
use crate::integrand::{Function, Integrand, RustFunction};
use crate::simd::{self, LaneLoop, Lanes8, Token};
use crate::sum::{LANES, LaneSums, Neumaier};

/// Vectors of points per chunk: each operation of an expression's program runs over a chunk before the
/// next one (a chunk's slots stay in the first-level cache).
const CHUNK_VECTORS: usize = 32;

/// A sequence of points in [`dims`](PointSource::dims) dimensions, point `j` a pure function of `j`.
pub(crate) trait PointSource: Sync {
    /// Coordinates per point.
    fn dims(&self) -> usize;

    /// Point `j`, its coordinates written to `x` (`dims` of them).
    fn point(&self, j: u64, x: &mut [f64]);

    /// Points `first + 8·v + l` for `v < vectors`, coordinate `k` in lane `l` of `inputs[k·width + v]`: the
    /// numbers [`point`](Self::point) gives. The default calls it for each point; a source overrides it
    /// with a vector loop of its own.
    #[inline(always)]
    fn fill<V: Lanes8>(&self, token: Token<V>, first: u64, vectors: usize, inputs: &mut [V], width: usize) {
        let dims = self.dims();
        let mut x = vec![0.0; dims];
        let mut lanes = vec![[0.0; LANES]; dims];
        for v in 0..vectors {
            for l in 0..LANES {
                self.point(first + (v * LANES + l) as u64, &mut x);
                for (lane, &x) in lanes.iter_mut().zip(&x) {
                    lane[l] = x;
                }
            }
            for (k, lane) in lanes.iter().enumerate() {
                inputs[k * width + v] = token.load(*lane);
            }
        }
    }
}

/// A function evaluated at a [`PointSource`]'s points, a chunk of vectors at a time.
pub(crate) trait PointFunction: Sync {
    /// Vectors of scratch it needs per vector of a chunk.
    fn scratch(&self) -> usize;

    /// Its value at one point.
    fn value(&self, x: &[f64]) -> f64;

    /// Its values at vectors `0..count` of a chunk `width` wide (coordinate `k` of vector `v` in
    /// `inputs[k·width + v]`), handed to `sink` in order: lane by lane, what [`value`](Self::value) gives.
    fn run<V: Lanes8, S: Sink<V>>(
        &self,
        token: Token<V>,
        inputs: &[V],
        scratch: &mut [V],
        width: usize,
        count: usize,
        sink: S,
    ) -> S;
}

impl PointFunction for Program {
    fn scratch(&self) -> usize {
        self.slots()
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.eval(x)
    }

    #[inline(always)]
    fn run<V: Lanes8, S: Sink<V>>(
        &self,
        token: Token<V>,
        inputs: &[V],
        scratch: &mut [V],
        width: usize,
        count: usize,
        sink: S,
    ) -> S {
        Program::run(self, token, inputs, scratch, width, count, sink)
    }
}

/// A Rust function, called once per point.
impl PointFunction for RustFunction {
    fn scratch(&self) -> usize {
        0
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.eval(x)
    }

    #[inline(always)]
    fn run<V: Lanes8, S: Sink<V>>(
        &self,
        token: Token<V>,
        inputs: &[V],
        _: &mut [V],
        width: usize,
        count: usize,
        mut sink: S,
    ) -> S {
        let dims = self.dims();
        let mut x = vec![0.0; dims];
        for v in 0..count {
            let lanes: Vec<[f64; LANES]> = (0..dims).map(|k| inputs[k * width + v].to_array()).collect();
            let y = std::array::from_fn(|l| {
                for (x, lane) in x.iter_mut().zip(&lanes) {
                    *x = lane[l];
                }
                self.eval(&x)
            });
            sink.take(token.load(y));
        }
        sink
    }
}

/// A built-in function of one variable: coordinate 0 of each point.
impl PointFunction for Function {
    fn scratch(&self) -> usize {
        0
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.eval_in(x[0])
    }

    #[inline(always)]
    fn run<V: Lanes8, S: Sink<V>>(
        &self,
        _: Token<V>,
        inputs: &[V],
        _: &mut [V],
        _: usize,
        count: usize,
        mut sink: S,
    ) -> S {
        for &x in &inputs[..count] {
            sink.take(self.eval_in(x));
        }
        sink
    }
}

/// An integrand ready to be evaluated at points: an expression's compiled program, a built-in or a Rust
/// function.
#[derive(Clone, Copy)]
pub(crate) enum Evaluable<'a> {
    /// An expression's program.
    Program(&'a Program),
    /// A built-in function of one variable.
    Builtin(Function),
    /// A Rust function.
    Rust(&'a RustFunction),
}

impl<'a> Evaluable<'a> {
    /// `f`'s evaluable form.
    pub(crate) fn of(f: &'a Integrand) -> Self {
        match f {
            Integrand::Expr(f) => Evaluable::Program(f.program()),
            Integrand::Builtin(f) => Evaluable::Builtin(*f),
            Integrand::Rust(f) => Evaluable::Rust(f),
        }
    }

    /// The value at one point.
    pub(crate) fn value(self, x: &[f64]) -> f64 {
        match self {
            Evaluable::Program(f) => f.value(x),
            Evaluable::Builtin(f) => f.value(x),
            Evaluable::Rust(f) => f.value(x),
        }
    }
}

/// The sums of `f` and of `f²` (each square rounded once) over points `first .. first + count` of
/// `points`, point `j` in lane `(j − first) mod 8`, in increasing `j`.
pub(crate) fn sums_and_squares<P: PointSource>(
    f: Evaluable<'_>,
    points: &P,
    first: u64,
    count: u64,
) -> ([Neumaier; LANES], [Neumaier; LANES]) {
    match f {
        Evaluable::Program(f) => simd::run(SumsLoop {
            f,
            points,
            first,
            count,
        }),
        Evaluable::Builtin(f) => simd::run(SumsLoop {
            f: &f,
            points,
            first,
            count,
        }),
        Evaluable::Rust(f) => simd::run(SumsLoop {
            f,
            points,
            first,
            count,
        }),
    }
}

/// The values of `f` at points `first .. first + values.len()` of `points`, into `values`.
pub(crate) fn values<P: PointSource>(f: Evaluable<'_>, points: &P, first: u64, values: &mut [f64]) {
    match f {
        Evaluable::Program(f) => simd::run(ValuesLoop {
            f,
            points,
            first,
            values,
        }),
        Evaluable::Builtin(f) => simd::run(ValuesLoop {
            f: &f,
            points,
            first,
            values,
        }),
        Evaluable::Rust(f) => simd::run(ValuesLoop {
            f,
            points,
            first,
            values,
        }),
    }
}

/// Runs `f` over the points `first .. first + count`, a chunk at a time, handing the whole vectors'
/// values to `sink` in order, and returns it with the index of the first point left over (fewer than 8).
#[inline(always)]
fn whole_vectors<V: Lanes8, F: PointFunction, P: PointSource, S: Sink<V>>(
    token: Token<V>,
    f: &F,
    points: &P,
    first: u64,
    count: u64,
    mut sink: S,
) -> (S, u64) {
    let mut inputs = vec![token.splat(0.0); points.dims() * CHUNK_VECTORS];
    let mut scratch = vec![token.splat(0.0); f.scratch() * CHUNK_VECTORS];
    let end = first + count / LANES as u64 * LANES as u64;
    let mut j = first;
    while j < end {
        let vectors = (((end - j) / LANES as u64) as usize).min(CHUNK_VECTORS);
        points.fill(token, j, vectors, &mut inputs, CHUNK_VECTORS);
        sink = f.run(token, &inputs, &mut scratch, CHUNK_VECTORS, vectors, sink);
        j += (vectors * LANES) as u64;
    }
    (sink, j)
}

/// The loop of [`sums_and_squares`].
struct SumsLoop<'a, F, P> {
    f: &'a F,
    points: &'a P,
    first: u64,
    count: u64,
}

/// The sums of a function's values and of their squares, per lane.
#[derive(Clone, Copy)]
struct SumsAndSquares<V> {
    sums: LaneSums<V>,
    squares: LaneSums<V>,
}

impl<V: Lanes8> Sink<V> for SumsAndSquares<V> {
    #[inline(always)]
    fn take(&mut self, y: V) {
        self.sums.add(y);
        self.squares.add(y.mul(y));
    }
}

impl<F: PointFunction, P: PointSource> LaneLoop for SumsLoop<'_, F, P> {
    type Output = ([Neumaier; LANES], [Neumaier; LANES]);

    #[inline(always)]
    fn run<V: Lanes8>(self, token: Token<V>) -> Self::Output {
        let sink = SumsAndSquares {
            sums: LaneSums::new(token),
            squares: LaneSums::new(token),
        };
        let (sink, rest) = whole_vectors(token, self.f, self.points, self.first, self.count, sink);
        let (mut sums, mut squares) = (sink.sums.lanes(), sink.squares.lanes());
        let mut x = vec![0.0; self.points.dims()];
        for j in rest..self.first + self.count {
            self.points.point(j, &mut x);
            let y = self.f.value(&x);
            let lane = ((j - self.first) % LANES as u64) as usize;
            sums[lane].add(y);
            squares[lane].add(y * y);
        }
        (sums, squares)
    }
}

/// The loop of [`values`].
struct ValuesLoop<'a, F, P> {
    f: &'a F,
    points: &'a P,
    first: u64,
    values: &'a mut [f64],
}

/// Writes each vector's values to the next eight places.
struct Writer<'a> {
    values: std::slice::ChunksExactMut<'a, f64>,
}

impl<V: Lanes8> Sink<V> for Writer<'_> {
    #[inline(always)]
    fn take(&mut self, y: V) {
        if let Some(out) = self.values.next() {
            out.copy_from_slice(&y.to_array());
        }
    }
}

impl<F: PointFunction, P: PointSource> LaneLoop for ValuesLoop<'_, F, P> {
    type Output = ();

    #[inline(always)]
    fn run<V: Lanes8>(self, token: Token<V>) {
        let count = self.values.len() as u64;
        let writer = Writer {
            values: self.values.chunks_exact_mut(LANES),
        };
        let (writer, rest) = whole_vectors(token, self.f, self.points, self.first, count, writer);
        let tail = writer.values.into_remainder();
        let mut x = vec![0.0; self.points.dims()];
        for (j, out) in (rest..self.first + count).zip(tail) {
            self.points.point(j, &mut x);
            *out = self.f.value(&x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    /// Point `j` of 3 dimensions: `(j, j/2, −j)·0.001`, by the default `fill`.
    struct Ramp;

    impl PointSource for Ramp {
        fn dims(&self) -> usize {
            3
        }
        fn point(&self, j: u64, x: &mut [f64]) {
            let t = j as f64 * 0.001;
            x.copy_from_slice(&[t, t / 2.0, -t]);
        }
    }

    fn by_points(f: Evaluable<'_>, first: u64, count: u64) -> Vec<f64> {
        let mut x = [0.0; 3];
        (first..first + count)
            .map(|j| {
                Ramp.point(j, &mut x);
                f.value(&x)
            })
            .collect()
    }

    #[test]
    fn values_and_sums_equal_the_function_point_by_point() {
        let expr = Expr::parse("exp(x) * sin(y) + z^2", 3).unwrap();
        let rust = RustFunction::new(3, |x: &[f64]| x[0] * x[1] - x[2]).unwrap();
        for f in [Evaluable::Program(expr.program()), Evaluable::Rust(&rust)] {
            // Whole chunks, a chunk and a part, and a tail of fewer than eight points.
            for (first, count) in [(0, 256), (5, 301), (1000, 7), (16, 0)] {
                let expected = by_points(f, first, count);
                let mut got = vec![f64::NAN; count as usize];
                values(f, &Ramp, first, &mut got);
                assert_eq!(got, expected);
                let (mut sums, mut squares) = ([Neumaier::default(); LANES], [Neumaier::default(); LANES]);
                for (i, y) in expected.iter().enumerate() {
                    sums[i % 8].add(*y);
                    squares[i % 8].add(y * y);
                }
                let (got_sums, got_squares) = sums_and_squares(f, &Ramp, first, count);
                assert_eq!((got_sums, got_squares), (sums, squares), "from {first}, {count} points");
            }
        }
    }

    #[test]
    fn every_vector_width_gives_the_same_values() {
        let expr = Expr::parse("log(1 + x) / (1 + y^2) - cos(z)", 3).unwrap();
        let f = expr.program();
        let mut expected = None;
        for width in simd::Width::available() {
            let mut out = vec![0.0; 77];
            simd::run_in(
                width,
                ValuesLoop {
                    f,
                    points: &Ramp,
                    first: 3,
                    values: &mut out,
                },
            );
            let out: Vec<u64> = out.iter().map(|y| y.to_bits()).collect();
            assert_eq!(expected.get_or_insert_with(|| out.clone()), &out, "{width:?}");
        }
    }
}
