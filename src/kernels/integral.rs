//! Monte Carlo integration of an expression (1 to 16 dimensions) or a Rust function (any number) over a
//! box.
//!
//! # The points (a public contract)
//!
//! A problem of `d` dimensions and seed `s` draws its points from the Philox4x32-10 stream of Monte Carlo π:
//! call `i` is `philox4x32_10([i mod 2^32, i div 2^32, 0, 0], [s mod 2^32, s div 2^32])`, giving words
//! `r0, r1, r2, r3`. Point `j` takes `c = ⌈d/2⌉` consecutive calls, `j·c … j·c + c − 1`; its coordinate
//! `k` comes from call `j·c + ⌊k/2⌋`, from words `(r0, r1)` for even `k` and `(r2, r3)` for odd `k`: with
//! `(lo, hi)` those two words, `u_k = ⌊(hi·2^32 + lo) / 2^11⌋ · 2^−53`, a number in `[0, 1)` with 53 random
//! bits, and `x_k = a_k + (b_k − a_k)·u_k` in `f64` (one multiplication, then one addition).
//!
//! # The estimate
//!
//! With `V = (b_1 − a_1)·…·(b_d − a_d)` (multiplied in that order) and the exact sums `S = Σ f(x_j)` and
//! `Q = Σ f(x_j)²` (each `f(x_j)²` rounded once) over points `0 … N − 1`: the mean `m = S/N`, the value
//! `V·m`, the sample variance `σ² = (Q/N − m²)·N/(N − 1)` (0 where rounding makes it negative), the standard
//! error `|V|·σ/√N` and the 95% interval `value ± 1.96·std_error`. Blocks of points are summed in a fixed
//! order and combined exactly, so the result is the same bits on every CPU backend, thread count and
//! vector width.

use crate::domain::Map;
use crate::exact::{ExactBins, ExactSum};
use crate::expr::{Accuracy, Bounded, Expr, Interval};
use crate::integrand::Integrand;
use crate::kernel::{Measure, Verify};
use crate::points::{self, Evaluable, PointSource, sums_and_squares};
use crate::program::{
    GpuCaps, GpuKernel, GpuProgram, Precision, assemble, param_words, real_at, real_words, u64_words,
};
use crate::rng::{counter_for_call, key_from_seed, philox4x32_10, philox4x32_10_lanes};
use crate::shaders;
use crate::simd::{Lanes8, Token};
use crate::size::real_text;
use crate::sum::add_compensated;
use crate::sum::{LANES, Neumaier};
use crate::wire::Wire;
use crate::{Error, Kernel, Partial, Result};

/// Points per block (a multiple of [`LANES`]).
pub(crate) const BLOCK_POINTS: u64 = 1 << 14;

/// What a point costs beside its coordinates and its integrand (the sums of values and squares), in
/// the nanoseconds of the expressions' table ([`Kernel::cost_scale`]).
const WORK_POINT: f64 = 2.1;
/// What one coordinate drawn from the Philox stream and scaled into the box costs.
const WORK_COORDINATE: f64 = 1.9;

/// `∫ f` over a box by Monte Carlo: the mean of `f` at `samples` points of the stream of `seed`, times the
/// volume. `f` is an expression or a Rust function ([`Integrand`]); a Rust function runs on the CPU
/// backends only.
///
/// ```
/// use hetero::{Backend, Engine, expr::Expr, kernels::MonteCarloIntegral};
///
/// // The volume of the unit ball in 3 dimensions, 4π/3.
/// let f = Expr::parse("x^2 + y^2 + z^2 < 1", 3)?;
/// let kernel = MonteCarloIntegral::new(f, &[(-1.0, 1.0); 3], 1_000_000, 42)?;
/// let run = Engine::with_threads(2)?.run(&kernel, Backend::Rayon)?;
/// assert!((run.output.value - 4.0 * std::f64::consts::PI / 3.0).abs() < 5.0 * run.output.std_error);
/// # Ok::<(), hetero::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MonteCarloIntegral {
    /// The integrand (an expression compiled for the box).
    f: Integrand,
    bounds: Vec<(f64, f64)>,
    /// The box the points are drawn from: `bounds`, or the map's finite ranges where an axis is infinite.
    range: Vec<(f64, f64)>,
    /// The map of the infinite axes, if any.
    map: Option<Map>,
    samples: u64,
    seed: u64,
    volume: f64,
}

/// The partial of a [`MonteCarloIntegral`] range: the exact sums of `f` and of `f²`, and the points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegralPartial {
    /// `Σ f(x_j)`.
    pub sum: ExactSum,
    /// `Σ f(x_j)²`, each square rounded once.
    pub squares: ExactSum,
    /// Points summed.
    pub points: u64,
}

impl Partial for IntegralPartial {
    fn combine(mut self, right: Self) -> Self {
        self.sum.merge(&right.sum);
        self.squares.merge(&right.squares);
        self.points += right.points;
        self
    }
}

/// The outcome of [`MonteCarloIntegral`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct IntegralEstimate {
    /// The expression, or the Rust function's name.
    pub expr: String,
    /// Its dimensions.
    pub dims: usize,
    /// The box, `(a_k, b_k)` per dimension (in JSON, an infinite bound is the string `"inf"` or `"-inf"`).
    #[serde(rename = "box", serialize_with = "crate::domain::bounds_json")]
    pub bounds: Vec<(f64, f64)>,
    /// The map of the infinite axes, if any (`x = 0 + t/(1 - t)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<String>,
    /// Points drawn.
    pub samples: u64,
    /// The seed of the stream.
    pub seed: u64,
    /// `V · mean`.
    pub value: f64,
    /// The mean of `f` over the points.
    pub mean: f64,
    /// `|V|·σ/√N`.
    pub std_error: f64,
    /// `value ± 1.96 · std_error`.
    pub ci95: (f64, f64),
}

impl MonteCarloIntegral {
    /// `∫ f` over the box `bounds` (one `(a, b)` per variable of `f`; an infinite bound maps its axis to a
    /// finite range of `t`, drawn as a finite axis is, `V` then the product of those ranges' widths: see
    /// [`crate::integrate`] for the map) from `samples ≥ 1` points of the stream of `seed`: `f` an [`Expr`] or a [`RustFunction`](crate::integrate::RustFunction) (the
    /// built-in functions are Simpson's).
    pub fn new(f: impl Into<Integrand>, bounds: &[(f64, f64)], samples: u64, seed: u64) -> Result<Self> {
        let f = f.into();
        if let Integrand::Builtin(function) = f {
            return Err(Error::Unsupported(format!(
                "Monte Carlo integrates expressions and Rust functions: write the built-in {} as an expression",
                function.name()
            )));
        }
        if bounds.len() != f.dims() {
            return Err(Error::invalid(
                "box",
                format!("{} ranges given for a function of {} variables", bounds.len(), f.dims()),
            ));
        }
        // Infinite axes are integrated over their maps' finite ranges (crate::domain documents the map).
        let (map, range) = match Map::of(bounds)? {
            Some((map, range)) => (Some(map), range),
            None => (None, bounds.to_vec()),
        };
        let mut volume = 1.0;
        for &(a, b) in &range {
            if !(a.is_finite() && b.is_finite() && (b - a).is_finite()) {
                return Err(Error::invalid(
                    "box",
                    format!("{}:{} is not a finite range", real_text(a), real_text(b)),
                ));
            }
            volume *= b - a;
        }
        if !volume.is_finite() {
            return Err(Error::invalid("box", "its volume is beyond the f64 range"));
        }
        if samples == 0 {
            return Err(Error::invalid("samples", "must be at least 1"));
        }
        let calls = f.dims().div_ceil(2) as u64;
        if samples > u64::MAX / calls {
            return Err(Error::invalid(
                "samples",
                format!(
                    "{samples} points of {} dimensions run past the end of the stream (2^64 calls)",
                    f.dims()
                ),
            ));
        }
        let f = match f {
            Integrand::Expr(f) => Integrand::Expr(f.over(bounds)),
            f => f,
        };
        Ok(MonteCarloIntegral {
            f,
            bounds: bounds.to_vec(),
            range,
            map,
            samples,
            seed,
            volume,
        })
    }

    /// The integrand.
    pub fn integrand(&self) -> &Integrand {
        &self.f
    }

    /// The expression, if the integrand is one.
    pub fn expr(&self) -> Option<&Expr> {
        match &self.f {
            Integrand::Expr(f) => Some(f),
            _ => None,
        }
    }

    /// The integrand as the point loops evaluate it: at the points drawn, through the map if any.
    fn evaluable(&self) -> Evaluable<'_> {
        Evaluable::of(&self.f).mapped(self.map.as_ref())
    }

    /// The points of the stream over the box.
    fn points(&self) -> StreamPoints<'_> {
        StreamPoints {
            bounds: &self.range,
            key: key_from_seed(self.seed),
            calls: self.f.dims().div_ceil(2) as u64,
        }
    }

    /// The box.
    pub fn bounds(&self) -> &[(f64, f64)] {
        &self.bounds
    }

    /// An error where the integral diverges, as far as [`crate::singular::refuse_divergent_over`] can
    /// tell: a run would print a number for it.
    pub fn refuse_divergent(&self) -> Result<()> {
        crate::singular::refuse_divergent_over(&self.f, &self.bounds)
    }

    /// Why the 95% interval of `output` (a run of this integral) cannot be trusted, if it cannot: one
    /// point, or points that all gave 0, whose spread says nothing about the error (for an integrand not
    /// known to be constant); or an integrand growing at a point, or across a surface of the box, fast
    /// enough that its variance is infinite ([`crate::singular::infinite_variance_over`]).
    ///
    /// ```
    /// use hetero::{Backend, Engine, expr::Expr, kernels::MonteCarloIntegral};
    ///
    /// let heavy = MonteCarloIntegral::new(Expr::parse("x^-0.9", 1)?, &[(0.0, 1.0)], 10_000, 1)?;
    /// let run = Engine::with_threads(2)?.run(&heavy, Backend::Rayon)?;
    /// assert!(heavy.doubt(&run.output)?.is_some_and(|why| why.contains("variance")));
    /// # Ok::<(), hetero::Error>(())
    /// ```
    pub fn doubt(&self, output: &IntegralEstimate) -> Result<Option<String>> {
        if blind(output, self.f.is_constant()) {
            return Ok(Some(zero_spread(output.samples)));
        }
        self.infinite_variance()
    }

    /// Why the variance is infinite, where [`crate::singular::infinite_variance_over`] sees it so.
    pub(crate) fn infinite_variance(&self) -> Result<Option<String>> {
        crate::singular::infinite_variance_over(&self.f, &self.bounds)
    }

    /// Whether the sample variance needs watching: an expression with no interval bound over the box
    /// (it may be unbounded there, or jump). A Rust function cannot be seen into and is not watched (so
    /// that it gives the bits of the same operations written as a bounded expression).
    pub(crate) fn may_be_heavy(&self) -> bool {
        match &self.f {
            Integrand::Expr(expr) => expr
                .bound(&self.inputs(0.0), &Accuracy::EXACT, &Accuracy::EXACT)
                .is_none(),
            _ => false,
        }
    }

    /// Points drawn.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The seed of the stream.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The box's volume, `Π (b_k − a_k)`.
    pub fn volume(&self) -> f64 {
        self.volume
    }

    /// How far a GPU value in `precision` may lie from the CPU's: `|V| · (E + 16·u·M)`, with `M ≥ |f|` over
    /// the box and `E` the difference between a GPU and a CPU evaluation of `f` at points whose coordinates
    /// differ by `4·u·(|a_k| + |b_k − a_k|)` (the GPU's coordinate, in its precision), both derived from the
    /// expression ([`Expr::bound`]); each side's sums of `N` values add at most `2·u·N·M` (compensated on
    /// the GPU, in Neumaier lanes on the CPU, both exact across blocks), and rounding the sum, dividing by
    /// `N` and multiplying by `V` a few `u·M` more: `16·u·M` covers both sides.
    /// `None` where no bound can be derived (then the GPU does not run it).
    pub fn gpu_bound(&self, precision: Precision) -> Option<f64> {
        let gpu = Accuracy::gpu(precision);
        let u = gpu.unit;
        let (Integrand::Expr(expr), None) = (&self.f, &self.map) else {
            return None;
        };
        let f = expr.bound(&self.inputs(u), &Accuracy::CPU, &gpu)?;
        // A block's sums of f and f² on the GPU must stay inside its precision's range.
        if f.value.magnitude().powi(2) * BLOCK_POINTS as f64 > gpu.largest {
            return None;
        }
        let bound = self.volume.abs() * (f.error + 16.0 * u * f.value.magnitude());
        bound.is_finite().then_some(bound)
    }

    /// The box as points in a precision of unit roundoff `u` may lie in it: each coordinate off by
    /// `4·u·(|a_k| + |b_k − a_k|)` (the GPU's points; exact ones for `u = 0`).
    fn inputs(&self, u: f64) -> Vec<Bounded> {
        self.bounds
            .iter()
            .map(|&(a, b)| Bounded {
                value: Interval::new(a.min(b), a.max(b)),
                error: 4.0 * u * (a.abs() + (b - a).abs()),
            })
            .collect()
    }

    /// Point `j` of the stream, by the definition (see the module): what every backend must draw. Over an
    /// infinite axis, its image under the map ([`integrate`](crate::integrate) documents it).
    pub fn point(&self, j: u64) -> Vec<f64> {
        let mut x = vec![0.0; self.f.dims()];
        self.points().point(j, &mut x);
        if let Some(map) = &self.map {
            map.apply(&mut x, 1, 0);
        }
        x
    }

    /// The map of the infinite axes, as a report reads it (`x = 0 + t/(1 - t)`); `None` where every
    /// bound is finite.
    pub fn map(&self) -> Option<String> {
        self.map.as_ref().map(Map::describe)
    }

    /// `expr=HEX box=A:B,… samples=N seed=S` for `samples` points, the bounds as the bits of their `f64`s
    /// (`rust=HEX` of its name for a Rust function).
    fn problem_line(&self, samples: u64) -> String {
        let bounds: Vec<String> = self
            .bounds
            .iter()
            .map(|(a, b)| format!("{:#018x}:{:#018x}", a.to_bits(), b.to_bits()))
            .collect();
        let integrand = match &self.f {
            Integrand::Expr(f) => format!("expr={}", hex(f.source())),
            f => format!("rust={}", hex(&f.text())),
        };
        format!(
            "{integrand} box={} samples={samples} seed={}",
            bounds.join(","),
            self.seed
        )
    }

    /// The points of block `index`: the first and how many.
    fn extent(&self, index: u64) -> (u64, u64) {
        let first = index * BLOCK_POINTS;
        (first, BLOCK_POINTS.min(self.samples - first))
    }

    /// The estimate from the sums over the first `points` points.
    fn estimate(&self, total: &IntegralPartial) -> IntegralEstimate {
        let n = total.points as f64;
        let mean = total.sum.value() / n;
        let value = self.volume * mean;
        let variance = if total.points > 1 {
            ((total.squares.value() / n - mean * mean) * (n / (n - 1.0))).max(0.0)
        } else {
            0.0
        };
        let std_error = self.volume.abs() * (variance / n).sqrt();
        IntegralEstimate {
            expr: self.f.text(),
            dims: self.f.dims(),
            bounds: self.bounds.clone(),
            map: self.map(),
            samples: total.points,
            seed: self.seed,
            value,
            mean,
            std_error,
            ci95: (value - 1.96 * std_error, value + 1.96 * std_error),
        }
    }
}

/// `a + (b − a)·u` for `u = ⌊(hi·2^32 + lo) / 2^11⌋ · 2^−53`.
#[inline(always)]
fn coordinate((a, b): (f64, f64), lo: u32, hi: u32) -> f64 {
    let u = ((u64::from(hi) << 32 | u64::from(lo)) >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    a + (b - a) * u
}

/// The points of the stream over a box (see the module): a [`PointSource`] whose vector loop draws eight
/// points' numbers at once.
struct StreamPoints<'a> {
    bounds: &'a [(f64, f64)],
    key: [u32; 2],
    /// Calls of the generator per point, `⌈d/2⌉`.
    calls: u64,
}

impl PointSource for StreamPoints<'_> {
    fn dims(&self) -> usize {
        self.bounds.len()
    }

    fn point(&self, j: u64, x: &mut [f64]) {
        for (k, x) in x.iter_mut().enumerate() {
            let r = philox4x32_10(counter_for_call(j * self.calls + (k / 2) as u64), self.key);
            let (lo, hi) = if k % 2 == 0 { (r[0], r[1]) } else { (r[2], r[3]) };
            *x = coordinate(self.bounds[k], lo, hi);
        }
    }

    #[inline(always)]
    fn fill<V: Lanes8>(&self, token: Token<V>, first: u64, vectors: usize, inputs: &mut [V], width: usize) {
        let dims = self.bounds.len();
        for v in 0..vectors {
            let base = first + (v * LANES) as u64;
            for call in 0..self.calls {
                let index: [u64; LANES] = std::array::from_fn(|l| (base + l as u64) * self.calls + call);
                let r = philox4x32_10_lanes(index.map(|i| i as u32), index.map(|i| (i >> 32) as u32), self.key);
                for half in 0..2 {
                    let k = 2 * call as usize + half;
                    if k < dims {
                        let x: [f64; LANES] =
                            std::array::from_fn(|l| coordinate(self.bounds[k], r[2 * half][l], r[2 * half + 1][l]));
                        inputs[k * width + v] = token.load(x);
                    }
                }
            }
        }
    }
}

impl Kernel for MonteCarloIntegral {
    type Partial = IntegralPartial;
    type Output = IntegralEstimate;

    fn name(&self) -> &str {
        "montecarlo"
    }

    fn blocks(&self) -> u64 {
        self.samples.div_ceil(BLOCK_POINTS)
    }

    fn block(&self, index: u64) -> IntegralPartial {
        let (first, count) = self.extent(index);
        let (sums, squares) = sums_and_squares(self.evaluable(), &self.points(), first, count);
        let mut partial = IntegralPartial {
            points: count,
            ..IntegralPartial::default()
        };
        if sums.iter().chain(&squares).all(Neumaier::is_finite) {
            for lane in &sums {
                lane.add_to(&mut partial.sum);
            }
            for lane in &squares {
                lane.add_to(&mut partial.squares);
            }
            return partial;
        }
        // A lane's running sum left the f64 range: the block's values are summed exactly instead, one by
        // one, so that finite values give a finite, exact partial (every backend takes this path).
        // The points as drawn (t, where an axis is mapped): the evaluable maps them itself.
        let (points, f) = (self.points(), self.evaluable());
        let mut t = vec![0.0; self.f.dims()];
        for j in first..first + count {
            points.point(j, &mut t);
            let y = f.value(&t);
            partial.sum.add(y);
            partial.squares.add(y * y);
        }
        partial
    }

    fn finish(&self, total: IntegralPartial) -> IntegralEstimate {
        self.estimate(&total)
    }

    /// The first blocks are the first points of the same stream: the estimate of that many points.
    fn finish_prefix(&self, total: IntegralPartial, _blocks: u64) -> Option<IntegralEstimate> {
        (total.points > 0).then(|| self.estimate(&total))
    }

    fn elements(&self) -> u64 {
        self.samples
    }

    fn elements_in(&self, blocks: u64) -> u64 {
        blocks.saturating_mul(BLOCK_POINTS).min(self.samples)
    }

    /// `montecarlo/expr`: every expression, of any dimension, shares one calibration, scaled by its
    /// [`cost_scale`](Kernel::cost_scale); built-in functions (`montecarlo/builtin`) and Rust functions
    /// (`montecarlo/rust`), which run on the CPU only, one each.
    fn cost_key(&self) -> String {
        match self.f {
            Integrand::Expr(_) => "montecarlo/expr",
            Integrand::Builtin(_) => "montecarlo/builtin",
            Integrand::Rust(_) => "montecarlo/rust",
        }
        .to_owned()
    }

    /// What a point costs: its coordinates drawn from the stream, the map of its infinite axes, the
    /// integrand and the sums, in the nanoseconds of the expressions' operations table.
    fn cost_scale(&self) -> f64 {
        let map = self.map.as_ref().map_or(0.0, Map::work);
        WORK_POINT + WORK_COORDINATE * self.f.dims() as f64 + map + self.f.work()
    }

    /// Expressions over finite boxes only: a Rust function runs on the CPU, and no bound of the GPU's
    /// error can be derived over an infinite axis.
    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = IntegralPartial>> {
        (matches!(self.f, Integrand::Expr(_)) && self.map.is_none()).then_some(self as _)
    }
}

/// The shader's `Params` (shaders/integral.wgsl), field for field.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct IntegralParams {
    key: [u32; 2],
    last_block: [u32; 2],
    last_block_points: u32,
    pad: [u32; 3],
}

impl GpuKernel for MonteCarloIntegral {
    type Partial = IntegralPartial;

    /// One workgroup per block, the same points (the stream in integer arithmetic, the coordinates in the
    /// device's precision), the expression's generated WGSL, compensated sums of `f` and `f²`. Runs only
    /// where [`gpu_bound`](Self::gpu_bound) can be derived.
    fn program(&self, caps: &GpuCaps) -> Result<GpuProgram<'_, IntegralPartial>> {
        let precision = caps.float_precision()?;
        if self.map.is_some() {
            return Err(Error::Unsupported(
                "no GPU error bound can be derived over an infinite axis: it runs on the CPU backends".to_owned(),
            ));
        }
        let Integrand::Expr(expr) = &self.f else {
            return Err(Error::Unsupported(format!(
                "{} is a Rust function: it runs on the CPU backends only",
                self.f.text()
            )));
        };
        let user = expr.wgsl("user_integrand");
        if self.gpu_bound(precision).is_none() {
            let gpu = Accuracy::gpu(precision);
            let why = expr
                .why_unbounded(&self.inputs(gpu.unit), &Accuracy::CPU, &gpu)
                .unwrap_or_else(|| format!("a block's sum of f² may pass the largest number of {precision}"));
            return Err(Error::Unsupported(format!(
                "no GPU error bound can be derived for {} over the box in {precision}: {why}; use a CPU backend",
                expr.source()
            )));
        }
        let dims = self.f.dims();
        let reals = |values: Vec<f64>| values.into_iter().map(wgsl_real).collect::<Vec<_>>().join(", ");
        let argument = if dims == 1 { "x[0]" } else { "x" };
        let generated = format!(
            "const DIMS: u32 = {dims}u;\n\
             var<private> BOX_LO: array<real, {dims}> = array<real, {dims}>({});\n\
             var<private> BOX_WIDTH: array<real, {dims}> = array<real, {dims}>({});\n\
             {user}\n\
             fn point_value(x: array<real, {dims}>) -> real {{ return user_integrand({argument}); }}\n",
            reals(self.bounds.iter().map(|b| b.0).collect()),
            reals(self.bounds.iter().map(|b| b.1 - b.0).collect()),
        );
        let last_block = self.blocks() - 1;
        let params = param_words(&IntegralParams {
            key: key_from_seed(self.seed),
            last_block: u64_words(last_block),
            last_block_points: (self.samples - last_block * BLOCK_POINTS) as u32,
            pad: [0; 3],
        });
        let philox = if caps.shader_int64 {
            shaders::PHILOX_INT64
        } else {
            shaders::PHILOX
        };
        let math = shaders::math_for(precision);
        let wgsl = assemble(
            precision,
            &[shaders::BLOCK, philox, math, &generated, shaders::INTEGRAL],
            "main",
        );
        let decode = move |block: u64, words: &[u32]| {
            let mut partial = IntegralPartial {
                points: self.extent(block).1,
                ..IntegralPartial::default()
            };
            add_compensated(
                &mut partial.sum,
                real_at(precision, words, 0),
                real_at(precision, words, 1),
            );
            add_compensated(
                &mut partial.squares,
                real_at(precision, words, 2),
                real_at(precision, words, 3),
            );
            partial
        };
        let fold = move |first: u64, words: &[u32]| {
            let per_block = 4 * real_words(precision) as usize;
            let (mut sums, mut squares) = (ExactBins::new(), ExactBins::new());
            for block in words.chunks_exact(per_block) {
                for (bins, at) in [(&mut sums, 0), (&mut squares, 2)] {
                    let sum = real_at(precision, block, at);
                    bins.add(sum);
                    if sum.is_finite() {
                        bins.add(real_at(precision, block, at + 1));
                    }
                }
            }
            let blocks = (words.len() / per_block) as u64;
            IntegralPartial {
                sum: sums.finish(),
                squares: squares.finish(),
                points: (first..first + blocks).map(|b| self.extent(b).1).sum(),
            }
        };
        Ok(GpuProgram::new(wgsl, precision, params, 4 * real_words(precision), decode).with_dispatch_fold(fold))
    }
}

/// `x` as an exact WGSL literal converted to `real`.
fn wgsl_real(x: f64) -> String {
    format!("real({})", crate::expr::wgsl_literal(x))
}

impl Verify for MonteCarloIntegral {
    fn measure_partial(&self, partial: &IntegralPartial) -> Measure {
        Measure {
            exact: partial.to_words(),
            value: self.volume * partial.sum.value() / partial.points.max(1) as f64,
        }
    }

    fn measure_output(&self, output: &IntegralEstimate) -> Measure {
        Measure {
            exact: vec![output.value.to_bits(), output.std_error.to_bits()],
            value: output.value,
        }
    }

    /// `|V| · (E + 16·u·M)` (see [`MonteCarloIntegral::gpu_bound`]): a bound on the difference of means,
    /// so it covers any range of blocks.
    fn gpu_allowance(&self, precision: Precision) -> Option<f64> {
        self.gpu_bound(precision)
    }

    fn stamp_line(&self, output: &IntegralEstimate) -> String {
        self.problem_line(output.samples)
    }

    /// The value and the standard error must be finite: a point where `f` is not finite is named when one
    /// is found among the first 2^20.
    fn check(&self, output: &IntegralEstimate) -> Result<()> {
        if output.value.is_finite() && output.std_error.is_finite() {
            return Ok(());
        }
        let f = self.f.text();
        // The first 2^20 points, a block's worth at a time through the vector loop.
        let scanned = self.samples.min(1 << 20);
        let mut values = vec![0.0; BLOCK_POINTS as usize];
        let bad = (0..scanned).step_by(BLOCK_POINTS as usize).find_map(|first| {
            let values = &mut values[..BLOCK_POINTS.min(scanned - first) as usize];
            points::values(self.evaluable(), &self.points(), first, values);
            let j = first + values.iter().position(|y| !y.is_finite())? as u64;
            Some((j, self.point(j)))
        });
        Err(Error::NotFinite(match bad {
            Some((j, x)) => {
                let at: Vec<String> = x.iter().map(|x| format!("{x:e}")).collect();
                format!(
                    "{f} is not finite at ({}), point {j} of seed {}: its integral cannot be computed",
                    at.join(", "),
                    self.seed
                )
            }
            None => format!(
                "the integral of {f} (or its standard error) is beyond the f64 range, or {f} is not finite at \
                 some point"
            ),
        }))
    }
}

/// `text` as lowercase hexadecimal of its UTF-8 bytes (so that a problem line has no spaces).
pub(crate) fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The text whose UTF-8 bytes `hex` is the hexadecimal of ([`hex`] read back), if it is.
pub(crate) fn unhex(hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The `f64` whose bits `text` is, written as `0x` and hexadecimal digits (how a problem line keeps a
/// number exactly), if it is.
pub(crate) fn real_from_bits(text: &str) -> Option<f64> {
    text.strip_prefix("0x")
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .map(f64::from_bits)
}

impl Wire for IntegralPartial {
    const WORDS: usize = 2 * ExactSum::WORDS + 1;
    fn to_words(&self) -> Vec<u64> {
        let mut words = self.sum.to_words();
        words.extend(self.squares.to_words());
        words.push(self.points);
        words
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        if words.len() != Self::WORDS {
            return None;
        }
        Some(IntegralPartial {
            sum: ExactSum::from_words(&words[..ExactSum::WORDS])?,
            squares: ExactSum::from_words(&words[ExactSum::WORDS..2 * ExactSum::WORDS])?,
            points: words[2 * ExactSum::WORDS],
        })
    }
}

impl crate::kernel::Resumable for MonteCarloIntegral {
    /// `montecarlo expr=HEX box=A:B,… samples=N seed=S`: the expression as the hexadecimal of its text, the
    /// bounds as the bits of their `f64`s. A Rust function cannot be named in a file: `None`.
    fn problem(&self) -> Option<String> {
        matches!(self.f, Integrand::Expr(_)).then(|| format!("montecarlo {}", self.problem_line(self.samples)))
    }
}

/// Whether a Monte Carlo estimate's spread says nothing about its error: one point (no spread), or points
/// that all gave 0 (their sums of `f` and `f²` are exactly 0: a peak they all missed), for an integrand
/// not known to be constant. (Equal values other than 0 are not told apart from a spread that rounded
/// to 0.)
pub(crate) fn blind(estimate: &IntegralEstimate, constant: bool) -> bool {
    !constant && (estimate.samples <= 1 || (estimate.std_error == 0.0 && estimate.mean == 0.0))
}

/// Why a [`blind`] estimate of `samples` points is no error of 0: the integrand may differ from 0 on a
/// region the points did not meet, and the chance that `N` points all miss a region of a fraction `p` of
/// the box is `(1−p)^N`, at least 5% for `p` up to about `3/N`.
pub(crate) fn zero_spread(samples: u64) -> String {
    match samples {
        0 | 1 => "one point has no spread: its error is unknown".to_owned(),
        _ => format!(
            "all {samples} points gave 0, so their spread says nothing about the error: the integrand may \
             differ from 0 on a region they missed (at 95%, one of up to {:.1e} of the box)",
            (3.0 / samples as f64).min(1.0)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Backend, Engine};

    fn integral(source: &str, bounds: &[(f64, f64)], samples: u64, seed: u64) -> MonteCarloIntegral {
        MonteCarloIntegral::new(Expr::parse(source, bounds.len()).unwrap(), bounds, samples, seed).unwrap()
    }

    #[test]
    fn the_points_follow_the_documented_stream() {
        let k = integral("x + y + z", &[(0.0, 1.0), (-2.0, 2.0), (10.0, 11.0)], 10, 7);
        let key = key_from_seed(7);
        // Point 3 of 3 dimensions: calls 6 and 7; z from (r0, r1) of call 7.
        let r = philox4x32_10(counter_for_call(7), key);
        let u = (((u64::from(r[1]) << 32) | u64::from(r[0])) >> 11) as f64 / 2f64.powi(53);
        assert_eq!(k.point(3)[2], 10.0 + 1.0 * u);
        let r = philox4x32_10(counter_for_call(6), key);
        let u = (((u64::from(r[3]) << 32) | u64::from(r[2])) >> 11) as f64 / 2f64.powi(53);
        assert_eq!(k.point(3)[1], -2.0 + 4.0 * u);
        for j in 0..10 {
            assert!(k.point(j).iter().zip(k.bounds()).all(|(x, (a, b))| a <= x && x < b));
        }
    }

    #[test]
    fn blocks_equal_the_scalar_definition() {
        // The vector loop against the points one at a time (summed into the same lanes in the same order).
        for (source, bounds) in [
            ("exp(-x^2-y^2)", vec![(-1.0, 2.0), (0.0, 1.0)]),
            ("x1*x2*x3 + sin(x4) - (x5 < 0.3)", vec![(0.0, 1.0); 5]),
            ("sqrt(x)", vec![(0.0, 4.0)]),
        ] {
            let samples = 2 * BLOCK_POINTS + 13;
            let k = integral(source, &bounds, samples, 11);
            for block in 0..k.blocks() {
                let (first, count) = k.extent(block);
                let mut sums = [Neumaier::default(); LANES];
                let mut squares = [Neumaier::default(); LANES];
                for j in first..first + count {
                    let y = k.expr().unwrap().eval(&k.point(j)).unwrap();
                    sums[(j % 8) as usize].add(y);
                    squares[(j % 8) as usize].add(y * y);
                }
                let mut expected = IntegralPartial {
                    points: count,
                    ..Default::default()
                };
                sums.iter().for_each(|s| s.add_to(&mut expected.sum));
                squares.iter().for_each(|s| s.add_to(&mut expected.squares));
                assert_eq!(k.block(block), expected, "{source} block {block}");
            }
        }
    }

    #[test]
    fn analytic_integrals_within_five_standard_errors_over_many_seeds() {
        use std::f64::consts::PI;
        let engine = Engine::with_threads(2).unwrap();
        // An expression, its box and its integral.
        type Case = (&'static str, Vec<(f64, f64)>, f64);
        let cases: [Case; 6] = [
            ("x^2 + y^2 < 1", vec![(-1.0, 1.0); 2], PI),
            ("x^2 + y^2 + z^2 < 1", vec![(-1.0, 1.0); 3], 4.0 * PI / 3.0),
            ("exp(-x^2 - y^2)", vec![(-4.0, 4.0); 2], PI * libm::erf(4.0).powi(2)),
            ("x1*x2*x3*x4", vec![(0.0, 2.0); 4], 16.0),
            ("sin(x) * cos(y)", vec![(0.0, PI), (0.0, PI / 2.0)], 2.0),
            ("sqrt(x)", vec![(0.0, 4.0)], 16.0 / 3.0),
        ];
        for (source, bounds, exact) in cases {
            for seed in 0..20 {
                let k = integral(source, &bounds, 20_000, seed);
                let run = engine.run(&k, Backend::Rayon).unwrap().output;
                assert!(
                    (run.value - exact).abs() <= 5.0 * run.std_error,
                    "{source} seed {seed}: {} ± {} against {exact}",
                    run.value,
                    run.std_error
                );
            }
        }
    }

    #[test]
    fn every_cpu_backend_gives_the_same_bits() {
        let k = integral(
            "exp(-(x-0.5)^2) * (y < x)",
            &[(0.0, 1.0), (0.0, 1.0)],
            3 * BLOCK_POINTS + 5,
            3,
        );
        let serial = Engine::with_threads(1)
            .unwrap()
            .run(&k, Backend::Serial)
            .unwrap()
            .output;
        for threads in [1, 3] {
            let engine = Engine::with_threads(threads).unwrap();
            for backend in [Backend::Rayon, Backend::Threads] {
                assert_eq!(engine.run(&k, backend).unwrap().output, serial);
            }
        }
    }

    #[test]
    fn a_rust_function_gives_the_bits_of_the_same_expression_on_every_cpu_backend() {
        use crate::integrate::RustFunction;
        let bounds = [(0.0, 1.0), (-1.0, 2.0), (0.5, 3.0)];
        let samples = 2 * BLOCK_POINTS + 21;
        let expr = integral("x * y - z", &bounds, samples, 5);
        let rust = RustFunction::new(3, |x: &[f64]| x[0] * x[1] - x[2])
            .unwrap()
            .named("xy-z");
        let rust = MonteCarloIntegral::new(rust, &bounds, samples, 5).unwrap();
        assert!(rust.gpu().is_none() && expr.gpu().is_some());
        assert_eq!(rust.cost_key(), "montecarlo/rust");
        assert!(crate::kernel::Resumable::problem(&rust).is_none());
        let serial = Engine::with_threads(1)
            .unwrap()
            .run(&expr, Backend::Serial)
            .unwrap()
            .output;
        for threads in [1, 3] {
            let engine = Engine::with_threads(threads).unwrap();
            for backend in [Backend::Serial, Backend::Rayon, Backend::Threads] {
                let out = engine.run(&rust, backend).unwrap().output;
                assert_eq!(
                    (out.value, out.std_error),
                    (serial.value, serial.std_error),
                    "{backend:?}"
                );
                assert_eq!(out.expr, "xy-z");
            }
        }
        // A Rust function that is not finite somewhere is named, with the point.
        let log = RustFunction::new(1, |x: &[f64]| (x[0] - 0.5).ln())
            .unwrap()
            .named("log(x-1/2)");
        let log = MonteCarloIntegral::new(log, &[(0.0, 1.0)], 1000, 1).unwrap();
        let out = Engine::with_threads(1)
            .unwrap()
            .run(&log, Backend::Serial)
            .unwrap()
            .output;
        let err = log.check(&out).unwrap_err().to_string();
        assert!(err.starts_with("log(x-1/2) is not finite at ("), "{err}");
    }

    #[test]
    fn the_overflow_path_maps_the_points_once() {
        // Values near 1e153: their squares overflow a lane's sum, so every block is summed one by one.
        let bounds = [(0.0, f64::INFINITY)];
        let k = integral("1e153/(1+x^2)", &bounds, 3 * BLOCK_POINTS, 4);
        let run = Engine::with_threads(1)
            .unwrap()
            .run(&k, Backend::Serial)
            .unwrap()
            .output;
        // (The squares' sum overflows too: the standard error is infinite, which `check` reports.)
        let half_pi = std::f64::consts::FRAC_PI_2 * 1e153;
        assert!((run.value - half_pi).abs() < 0.01 * half_pi, "{}", run.value);
        // The same sums as the vector path's points: scaled down, the lanes stay finite.
        let small = integral("1/(1+x^2)", &bounds, 3 * BLOCK_POINTS, 4);
        let small = Engine::with_threads(1)
            .unwrap()
            .run(&small, Backend::Serial)
            .unwrap()
            .output;
        assert!((run.value / 1e153 - small.value).abs() < 1e-12 * small.value);
    }

    #[test]
    fn bad_problems_are_errors() {
        let f = Expr::parse("x + y", 2).unwrap();
        assert!(MonteCarloIntegral::new(f.clone(), &[(0.0, 1.0)], 10, 1).is_err());
        assert!(MonteCarloIntegral::new(f.clone(), &[(0.0, 1.0), (0.0, f64::NAN)], 10, 1).is_err());
        assert!(MonteCarloIntegral::new(f.clone(), &[(0.0, 1.0), (f64::INFINITY, f64::INFINITY)], 10, 1).is_err());
        assert!(MonteCarloIntegral::new(f.clone(), &[(0.0, 1.0); 2], 0, 1).is_err());
        assert!(MonteCarloIntegral::new(crate::kernels::Function::Exp, &[(0.0, 1.0)], 10, 1).is_err());
        assert!(MonteCarloIntegral::new(f.clone(), &[(-1e308, 1e308); 2], 10, 1).is_err());
        assert!(MonteCarloIntegral::new(f, &[(0.0, 1.0); 2], u64::MAX, 1).is_ok());
        let g = Expr::parse("x1", 3).unwrap();
        assert!(MonteCarloIntegral::new(g, &[(0.0, 1.0); 3], u64::MAX, 1).is_err());
        let bad = integral("1/(x-0.5)", &[(0.0, 1.0)], 1000, 1);
        let engine = Engine::with_threads(1).unwrap();
        let out = engine.run(&bad, Backend::Serial).unwrap().output;
        // Finite here (no point hits 0.5 exactly); log of a negative is not.
        assert!(out.value.is_finite());
        let nan = integral("log(x - 0.5)", &[(0.0, 1.0)], 1000, 1);
        let out = engine.run(&nan, Backend::Serial).unwrap().output;
        let err = nan.check(&out).unwrap_err().to_string();
        assert!(err.starts_with("log(x - 0.5) is not finite at ("), "{err}");
    }
}
