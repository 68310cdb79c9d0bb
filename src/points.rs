//! Any integrand at the points a method chooses: a [`PointSource`] generates points (a method hands over
//! the generator — a block of a sequence — rather than arrays of points, so that a GPU can compute the
//! points where it evaluates them), a [`PointFunction`] evaluates them a chunk of vectors at a time, and
//! [`sums_and_squares`] and [`values`] run the two over a range of points on the widest vector unit the
//! processor has. Every value is computed by the same operations as the scalar [`PointFunction::value`] at
//! the source's [`PointSource::point`], so the results are the same bits on every processor and backend.

use crate::domain::Map;
use crate::expr::{Program, Sink};
use crate::integrand::{Function, Integrand, RustFunction};
use crate::simd::{self, CHUNK_VECTORS, LaneLoop, Lanes8, Token};
use crate::sum::{LANES, LaneSums, Neumaier};

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
        debug_assert_eq!(width, CHUNK_VECTORS);
        Program::run(self, token, inputs, scratch, count, sink)
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

/// A function of `x` evaluated at points `t` of a [`Map`]: `f(x(t))·w(t)`.
struct Mapped<'a, F> {
    f: &'a F,
    map: &'a Map,
}

impl<F: PointFunction> PointFunction for Mapped<'_, F> {
    /// The mapped coordinates, the weights, and `f`'s own.
    fn scratch(&self) -> usize {
        self.map.dims() + 1 + self.f.scratch()
    }

    fn value(&self, t: &[f64]) -> f64 {
        self.map.value(t, |x| self.f.value(x))
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
        let dims = self.map.dims();
        let (x, rest) = scratch.split_at_mut(dims * width);
        let (weights, own) = rest.split_at_mut(width);
        x.copy_from_slice(&inputs[..dims * width]);
        for (v, weight) in weights[..count].iter_mut().enumerate() {
            *weight = self.map.apply(x, width, v);
        }
        let weighted = Weighted { sink, weights, next: 0 };
        self.f.run(token, x, own, width, count, weighted).sink
    }
}

/// Hands each value times its point's weight ([`Map::weighted`]) on to `sink`.
struct Weighted<'a, V, S> {
    sink: S,
    weights: &'a [V],
    next: usize,
}

impl<V: Lanes8, S: Sink<V>> Sink<V> for Weighted<'_, V, S> {
    #[inline(always)]
    fn take(&mut self, y: V) {
        let w = self.weights[self.next];
        self.next += 1;
        self.sink.take(Map::weighted(y, w));
    }
}

/// What an [`Evaluable`] evaluates.
#[derive(Clone, Copy)]
enum Kind<'a> {
    /// An expression's program.
    Program(&'a Program),
    /// A built-in function of one variable.
    Builtin(Function),
    /// A Rust function.
    Rust(&'a RustFunction),
}

/// An integrand ready to be evaluated at points: an expression's compiled program, a built-in or a Rust
/// function, at the points themselves or at their images under a [`Map`] (times its weight).
#[derive(Clone, Copy)]
pub(crate) struct Evaluable<'a> {
    kind: Kind<'a>,
    map: Option<&'a Map>,
}

/// `$body` with `$f` bound to the [`PointFunction`] that `$evaluable` is: one monomorphized copy per kind,
/// mapped or not.
macro_rules! dispatch {
    ($evaluable:expr, |$f:ident| $body:expr) => {
        match ($evaluable.kind, $evaluable.map) {
            (Kind::Program(g), None) => {
                let $f = g;
                $body
            }
            (Kind::Program(g), Some(map)) => {
                let $f = &Mapped { f: g, map };
                $body
            }
            (Kind::Builtin(g), None) => {
                let $f = &g;
                $body
            }
            (Kind::Builtin(g), Some(map)) => {
                let $f = &Mapped { f: &g, map };
                $body
            }
            (Kind::Rust(g), None) => {
                let $f = g;
                $body
            }
            (Kind::Rust(g), Some(map)) => {
                let $f = &Mapped { f: g, map };
                $body
            }
        }
    };
}

impl<'a> Evaluable<'a> {
    /// `f`'s evaluable form.
    pub(crate) fn of(f: &'a Integrand) -> Self {
        let kind = match f {
            Integrand::Expr(f) => Kind::Program(f.program()),
            Integrand::Builtin(f) => Kind::Builtin(*f),
            Integrand::Rust(f) => Kind::Rust(f),
        };
        Evaluable { kind, map: None }
    }

    /// `f(x(t))·w(t)` for the map's `x` and `w`, at points `t`.
    pub(crate) fn mapped(self, map: Option<&'a Map>) -> Self {
        Evaluable { map, ..self }
    }

    /// The value at one point.
    pub(crate) fn value(self, x: &[f64]) -> f64 {
        dispatch!(self, |f| f.value(x))
    }
}

impl Evaluable<'_> {
    /// Its values at points `first .. first + count` of `points` in one call, where it is a
    /// [`RustFunction::batch`]: the same values as one point at a time (`f(x(t))·w(t)` under a map, by
    /// [`Map::value`]'s operations). `None` for any other function.
    fn batch<P: PointSource>(&self, points: &P, first: u64, count: u64) -> Option<Vec<f64>> {
        let Kind::Rust(f) = self.kind else {
            return None;
        };
        if !f.is_batch() {
            return None;
        }
        let dims = points.dims();
        let n = usize::try_from(count).ok()?;
        let mut x = vec![0.0; dims * n];
        let mut weights = Vec::with_capacity(if self.map.is_some() { n } else { 0 });
        for (j, x) in (first..first + count).zip(x.chunks_exact_mut(dims)) {
            points.point(j, x);
            if let Some(map) = self.map {
                weights.push(map.apply(x, 1, 0));
            }
        }
        let mut values = vec![0.0; n];
        f.eval_many(&x, &mut values);
        for (y, &w) in values.iter_mut().zip(&weights) {
            *y = Map::weighted(*y, w);
        }
        Some(values)
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
    if let Some(values) = f.batch(points, first, count) {
        let (mut sums, mut squares) = ([Neumaier::default(); LANES], [Neumaier::default(); LANES]);
        for (i, y) in values.into_iter().enumerate() {
            sums[i % LANES].add(y);
            squares[i % LANES].add(y * y);
        }
        return (sums, squares);
    }
    dispatch!(f, |f| simd::run(SumsLoop {
        f,
        points,
        first,
        count
    }))
}

/// Adds `f` at points `first .. first + count` of `points` to `lanes`, point `j` to lane `(j − first) mod 8`,
/// in increasing `j`.
pub(crate) fn add_values<P: PointSource>(
    f: Evaluable<'_>,
    points: &P,
    first: u64,
    count: u64,
    mut lanes: [Neumaier; LANES],
) -> [Neumaier; LANES] {
    if let Some(values) = f.batch(points, first, count) {
        for (i, y) in values.into_iter().enumerate() {
            lanes[i % LANES].add(y);
        }
        return lanes;
    }
    dispatch!(f, |f| simd::run(AddLoop {
        f,
        points,
        first,
        count,
        lanes
    }))
}

/// The values of `f` at points `first .. first + values.len()` of `points`, into `values`.
pub(crate) fn values<P: PointSource>(f: Evaluable<'_>, points: &P, first: u64, values: &mut [f64]) {
    if let Some(batch) = f.batch(points, first, values.len() as u64) {
        values.copy_from_slice(&batch);
        return;
    }
    dispatch!(f, |f| simd::run(ValuesLoop {
        f,
        points,
        first,
        values
    }))
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

/// The loop of [`add_values`].
struct AddLoop<'a, F, P> {
    f: &'a F,
    points: &'a P,
    first: u64,
    count: u64,
    lanes: [Neumaier; LANES],
}

impl<F: PointFunction, P: PointSource> LaneLoop for AddLoop<'_, F, P> {
    type Output = [Neumaier; LANES];

    #[inline(always)]
    fn run<V: Lanes8>(self, token: Token<V>) -> Self::Output {
        let sums = LaneSums::from_lanes(token, &self.lanes);
        let (sums, rest) = whole_vectors(token, self.f, self.points, self.first, self.count, sums);
        let mut lanes = sums.lanes();
        let mut x = vec![0.0; self.points.dims()];
        for j in rest..self.first + self.count {
            self.points.point(j, &mut x);
            lanes[((j - self.first) % LANES as u64) as usize].add(self.f.value(&x));
        }
        lanes
    }
}

/// Points `lo + j·h` of one dimension (`j` converted to `f64`, exact below 2^53): the nodes of a
/// composite rule.
pub(crate) struct Spaced {
    /// The first point.
    pub lo: f64,
    /// The spacing.
    pub h: f64,
}

impl PointSource for Spaced {
    fn dims(&self) -> usize {
        1
    }

    fn point(&self, j: u64, x: &mut [f64]) {
        x[0] = self.lo + j as f64 * self.h;
    }

    #[inline(always)]
    fn fill<V: Lanes8>(&self, token: Token<V>, first: u64, vectors: usize, inputs: &mut [V], _: usize) {
        let (lo, h) = (token.splat(self.lo), token.splat(self.h));
        for (v, x) in inputs[..vectors].iter_mut().enumerate() {
            let base = first + (v * LANES) as u64;
            *x = lo.add(token.load(std::array::from_fn(|l| (base + l as u64) as f64)).mul(h));
        }
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
        let integrands = [Integrand::Expr(expr), Integrand::Rust(rust)];
        for f in integrands.iter().map(Evaluable::of) {
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
    fn mapped_values_equal_the_map_point_by_point() {
        use crate::domain::Map;
        // The ramp's coordinates all lie in [-1, 1]: every kind of axis sees points inside its range of t.
        let (map, _) = Map::of(&[
            (0.0, f64::INFINITY),
            (f64::NEG_INFINITY, 2.0),
            (f64::NEG_INFINITY, f64::INFINITY),
        ])
        .unwrap()
        .unwrap();
        let expr = Expr::parse("exp(-x^2 - y^2) * cos(z) / (1 + z^2)", 3).unwrap();
        let rust = RustFunction::new(3, |x: &[f64]| (-x[0] - x[1] * x[1] - x[2] * x[2]).exp()).unwrap();
        let integrands = [Integrand::Expr(expr), Integrand::Rust(rust)];
        for f in &integrands {
            let f = Evaluable::of(f).mapped(Some(&map));
            for (first, count) in [(0, 1000), (3, 77)] {
                let expected = by_points(f, first, count);
                assert!(expected.iter().all(|y| y.is_finite()));
                let mut got = vec![f64::NAN; count as usize];
                values(f, &Ramp, first, &mut got);
                assert_eq!(got, expected);
            }
        }
        // Evenly spaced points of one mapped axis (Simpson's over an infinite range), ends included.
        let (map, _) = Map::of(&[(0.0, f64::INFINITY)]).unwrap().unwrap();
        let expr = Integrand::Expr(Expr::parse("x^3 * exp(-x)", 1).unwrap());
        let f = Evaluable::of(&expr).mapped(Some(&map));
        let spaced = Spaced { lo: 0.0, h: 1.0 / 96.0 };
        let expected: Vec<f64> = (0..=96).map(|j| f.value(&[j as f64 * spaced.h])).collect();
        let mut got = vec![f64::NAN; 97];
        values(f, &spaced, 0, &mut got);
        assert_eq!(got, expected);
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
