//! The GPU backend against the CPU oracle. Monte Carlo hit counts must be equal; floating results must lie
//! within the bound derived for the precision used.
//!
//! Without an adapter the suite reports these tests as ignored, saying why; with `HETERO_REQUIRE_GPU=1` (as
//! in CI, on the software Vulkan driver) a missing adapter fails them instead.

use std::ops::Range;
use std::sync::OnceLock;

use hetero::gpu::{GpuCaps, GpuKernel, GpuProgram, Precision, shaders};
use hetero::kernels::{Function, Hits, Leibniz, MonteCarloPi, PiEstimate, Simpson};
use hetero::{Backend, Engine, Error, Kernel, Partial, WgslProgram};

/// The engine every GPU test shares, on the best adapter; `Err` says why there is none.
pub(crate) fn shared() -> Result<&'static Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let engine = Engine::with_threads(2).map_err(|e| e.to_string())?;
            engine.gpu().map_err(|e| e.to_string())?;
            Ok(engine)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Why the shared adapter cannot run 64-bit float shaders, if it cannot (or there is none).
pub(crate) fn lacks_f64() -> Option<String> {
    match shared().and_then(|engine| engine.gpu().map_err(|e| e.to_string())) {
        Ok(gpu) if gpu.caps(None).shader_f64 => None,
        Ok(gpu) => Some(format!("{} has no SHADER_F64", gpu.name())),
        Err(why) => Some(why),
    }
}

fn engine() -> Option<&'static Engine> {
    shared().ok()
}

/// The shared GPU engine. The suite runs these tests only where an adapter was found (or where one is
/// required), so a missing one here is a failure.
macro_rules! gpu_engine_or_skip {
    () => {
        match shared() {
            Ok(engine) => engine,
            Err(why) => panic!("no GPU adapter: {why}"),
        }
    };
}

fn engine_in(precision: Precision) -> Option<Engine> {
    let shared = engine()?;
    let gpu = shared.gpu().ok()?;
    if precision == Precision::F64 && !gpu.caps(None).shader_f64 {
        eprintln!("skipping f64 GPU checks: {} has no SHADER_F64", gpu.name());
        return None;
    }
    Engine::builder().threads(2).gpu(gpu).precision(precision).build().ok()
}

/// Monte Carlo π with the GPU program of a device without 64-bit integers (Philox's products from 16-bit
/// limbs), whatever the device has: with the kernel itself, both of the shader's paths are checked on a
/// device that has them.
struct Limbs(MonteCarloPi);

impl Kernel for Limbs {
    type Partial = Hits;
    type Output = PiEstimate;

    fn name(&self) -> &str {
        "pi (16-bit limbs)"
    }
    fn blocks(&self) -> u64 {
        self.0.blocks()
    }
    fn block(&self, index: u64) -> Hits {
        self.0.block(index)
    }
    fn finish(&self, total: Hits) -> PiEstimate {
        self.0.finish(total)
    }
    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = Hits>> {
        Some(self)
    }
}

impl GpuKernel for Limbs {
    type Partial = Hits;

    fn program(&self, caps: &GpuCaps) -> hetero::Result<GpuProgram<'_, Hits>> {
        self.0.program(&GpuCaps {
            shader_int64: false,
            ..*caps
        })
    }
}

/// A GPU run of a block range of one Monte Carlo problem.
type GpuRun<'a> = &'a dyn Fn(Range<u64>) -> Option<Hits>;

/// Calls `check` with the name of the Philox path and a GPU run of `kernel`: its own program and, where the
/// device has 64-bit integers (so that its own program uses them), the 16-bit-limb one too.
fn for_each_philox_path(engine: &Engine, kernel: &MonteCarloPi, check: impl Fn(&str, GpuRun)) {
    let int64 = engine.gpu().unwrap().caps(None).shader_int64;
    let path = if int64 { "64-bit integers" } else { "16-bit limbs" };
    check(path, &|range| engine.reduce(kernel, Backend::Gpu, range).unwrap());
    if int64 {
        let limbs = Limbs(kernel.clone());
        check("16-bit limbs", &|range| {
            engine.reduce(&limbs, Backend::Gpu, range).unwrap()
        });
    }
}

pub(crate) fn monte_carlo_hit_counts_equal_the_cpu() {
    let engine = gpu_engine_or_skip!();
    let sizes = [
        1,
        2,
        3,
        255,
        256,
        257,
        65_535,
        65_536,
        65_537,
        131_071,
        1_000_003,
        (1 << 21) + 7,
    ];
    for samples in sizes {
        for seed in [0, 1, 42, u64::MAX, 0x9e37_79b9_7f4a_7c15] {
            let kernel = MonteCarloPi::new(samples, seed).unwrap();
            let cpu = engine.run(&kernel, Backend::Serial).unwrap().output;
            let gpu = engine.run(&kernel, Backend::Gpu).unwrap();
            assert_eq!(gpu.output.hits, cpu.hits, "samples {samples} seed {seed}");
            assert_eq!(gpu.output.value.to_bits(), cpu.value.to_bits());
            assert_eq!(gpu.gpu.as_ref().and_then(|r| r.precision), Some(Precision::Exact));
            for_each_philox_path(engine, &kernel, |path, gpu| {
                let hits = gpu(0..kernel.blocks()).map(|h| h.hits);
                assert_eq!(hits, Some(cpu.hits), "samples {samples} seed {seed}, {path}");
            });
        }
    }
}

pub(crate) fn monte_carlo_ranges_across_the_high_counter_word_equal_the_cpu() {
    let engine = gpu_engine_or_skip!();
    // Block 2^17 starts at Philox call 2^32, where the counter's second word becomes 1.
    let kernel = MonteCarloPi::new(1 << 40, 7).unwrap();
    for range in [(1 << 17) - 3..(1 << 17) + 3, (1 << 18) - 1..(1 << 18) + 1] {
        let cpu = engine.reduce(&kernel, Backend::Rayon, range.clone()).unwrap();
        for_each_philox_path(engine, &kernel, |path, gpu| {
            assert_eq!(gpu(range.clone()), cpu, "{range:?}, {path}");
        });
    }
    // The problem's last block, odd-sized, far above 2^32 calls.
    let kernel = MonteCarloPi::new((1 << 34) + 12_345, 99).unwrap();
    let end = kernel.blocks();
    let cpu = engine.reduce(&kernel, Backend::Serial, end - 3..end).unwrap();
    assert_eq!(cpu.map(|h: Hits| h.samples), Some(2 * 65_536 + 12_345));
    for_each_philox_path(engine, &kernel, |path, gpu| {
        assert_eq!(gpu(end - 3..end), cpu, "{path}");
    });
}

pub(crate) fn gpu_and_cpu_sub_ranges_combine_to_the_whole() {
    let engine = gpu_engine_or_skip!();
    let kernel = MonteCarloPi::new(3_000_001, 5).unwrap();
    let n = kernel.blocks();
    let whole = engine.reduce(&kernel, Backend::Serial, 0..n).unwrap().unwrap();
    for cut in [0, 1, n / 2, n - 1] {
        let left = engine.reduce(&kernel, Backend::Gpu, 0..cut).unwrap();
        let right = engine.reduce(&kernel, Backend::Rayon, cut..n).unwrap().unwrap();
        let combined = match left {
            Some(left) => left.combine(right),
            None => right,
        };
        assert_eq!(combined, whole, "cut at {cut}");
    }
}

pub(crate) fn leibniz_agrees_within_the_bound_of_each_precision() {
    for precision in [Precision::F64, Precision::F32] {
        let Some(engine) = engine_in(precision) else { continue };
        for terms in [1, 2, 3, 65_535, 65_536, 65_537, 10_000_019] {
            let kernel = Leibniz::new(terms).unwrap();
            let cpu = engine.run(&kernel, Backend::Serial).unwrap().output.value;
            let run = engine.run(&kernel, Backend::Gpu).unwrap();
            assert_eq!(run.gpu.as_ref().and_then(|r| r.precision), Some(precision));
            let bound = kernel.gpu_bound(precision);
            let difference = (run.output.value - cpu).abs();
            assert!(
                difference <= bound,
                "{precision} N={terms}: |{} − {cpu}| = {difference:e} > {bound:e}",
                run.output.value
            );
        }
    }
}

pub(crate) fn simpson_agrees_within_the_bound_of_each_precision() {
    let functions = [
        Function::Exp,
        Function::Sin,
        Function::Cos,
        Function::gauss(0.3, 0.25).unwrap(),
        Function::Pi,
        Function::poly(5).unwrap(),
    ];
    for precision in [Precision::F64, Precision::F32] {
        let Some(engine) = engine_in(precision) else { continue };
        for f in functions {
            for (a, b) in [(0.0, 1.0), (-3.0, 2.5), (4.0, -1.0), (0.5, 0.5), (-20.0, 30.0)] {
                for n in [1, 6, 65_536, 65_535 * 3 + 2] {
                    let kernel = Simpson::new(f, a, b, n).unwrap();
                    let cpu = engine.run(&kernel, Backend::Serial).unwrap().output;
                    let gpu = engine.run(&kernel, Backend::Gpu).unwrap().output;
                    let bound = kernel.gpu_bound(precision).unwrap();
                    for (what, g, c) in [
                        ("value", gpu.value, cpu.value),
                        ("error", gpu.error_estimate, cpu.error_estimate),
                    ] {
                        assert!(
                            (g - c).abs() <= bound || (g == c),
                            "{precision} {f:?} [{a}, {b}] n={n} {what}: |{g} − {c}| = {:e} > {bound:e}",
                            (g - c).abs()
                        );
                    }
                }
            }
        }
    }
}

pub(crate) fn expressions_agree_within_their_derived_bound() {
    let cases = [
        ("exp(-x^2) * sin(3*x)", 0.5, 4.0),
        ("x^3 - 2*x^-2 + sqrt(x)", 0.5, 4.0),
        ("exp(x) / (1 + x^2)", -3.0, 2.0),
        (
            "cos(x)^2 + min(x, 1) * (x < 7) + abs(x - 2) + max(floor(x / 16 + 0.5), 0)",
            0.0,
            5.0,
        ),
        ("exp(-(x-0.3)^2/(2*0.7^2))", 2.0, -2.0),
        ("x", -1.0, 1.0),
        ("erf(x) * cosh(x/3) + log1p(x^2) + tanh(2*x)", -2.0, 2.5),
        ("pow(x, 2.5) + cbrt(x) - log2(x) + hypot(x, 3)", 0.5, 4.0),
        ("sinh(x) / expm1(x + 3) + erfc(x) + log10(x + 5)", -1.5, 3.0),
        // atan2 on the y axis (x = ±0), where a GPU's division by zero need not give an infinity.
        ("atan2(x, 0) + atan2(x, 0 * x) + atan2(x - 1, -0)", 0.25, 0.35),
    ];
    for precision in [Precision::F64, Precision::F32] {
        let Some(engine) = engine_in(precision) else { continue };
        for (source, a, b) in cases {
            for n in [8, 65_535 * 3 + 2, 2_000_000] {
                let kernel = Simpson::expr(source, a, b, n).unwrap();
                let cpu = engine.run(&kernel, Backend::Serial).unwrap().output;
                let gpu = engine.run(&kernel, Backend::Gpu).unwrap().output;
                let bound = kernel.gpu_bound(precision).unwrap();
                let difference = (gpu.value - cpu.value).abs();
                assert!(
                    difference <= bound,
                    "{precision} {source} n={n}: {difference:e} > {bound:e}"
                );
            }
        }
    }
    // What cannot be bounded does not run: the run says why.
    let engine = gpu_engine_or_skip!();
    for (source, why, cause) in [
        ("1/x", "no GPU error bound can be derived for 1/x", "a divisor's range"),
        ("x < 0.5", "no GPU error bound can be derived", "a comparison"),
        (
            "sqrt(x + 1)",
            "no GPU error bound can be derived",
            "the slope of sqrt is unbounded",
        ),
    ] {
        let kernel = Simpson::expr(source, -1.0, 1.0, 1000).unwrap();
        let err = engine.run(&kernel, Backend::Gpu).unwrap_err().to_string();
        assert!(err.starts_with(why) && err.contains(cause), "{source}: {err}");
    }
}

pub(crate) fn monte_carlo_integrals_agree_within_their_derived_bound() {
    use hetero::expr::Expr;
    use hetero::kernels::MonteCarloIntegral;
    let cases: [(&str, &[(f64, f64)]); 4] = [
        ("exp(-x^2 - y^2) * cos(x*y)", &[(-1.0, 2.0), (0.0, 1.0)]),
        (
            "x1*x2*x3 + sin(x4) - x5^2",
            &[(0.0, 1.0), (0.0, 1.0), (0.0, 1.0), (0.0, 2.0), (-1.0, 1.0)],
        ),
        ("sqrt(x) + 1/(2 + x)", &[(0.5, 9.0)]),
        ("x + y + z", &[(3.0, -1.0), (0.0, 1.0), (-5.0, -4.0)]),
    ];
    for precision in [Precision::F64, Precision::F32] {
        let Some(engine) = engine_in(precision) else { continue };
        for (source, bounds) in cases {
            for samples in [1, 16_385, 200_001] {
                let f = Expr::parse(source, bounds.len()).unwrap();
                let kernel = MonteCarloIntegral::new(f, bounds, samples, 5).unwrap();
                let cpu = engine.run(&kernel, Backend::Serial).unwrap().output;
                let gpu = engine.run(&kernel, Backend::Gpu).unwrap().output;
                let bound = kernel.gpu_bound(precision).unwrap();
                let difference = (gpu.value - cpu.value).abs();
                assert!(
                    difference <= bound,
                    "{precision} {source} N={samples}: {difference:e} > {bound:e}"
                );
                assert_eq!(gpu.samples, cpu.samples);
            }
        }
    }
    // An indicator's points near its edge could land on either side: no bound, no run.
    let engine = gpu_engine_or_skip!();
    let ball = MonteCarloIntegral::new(Expr::parse("x^2 + y^2 < 1", 2).unwrap(), &[(-1.0, 1.0); 2], 1000, 1).unwrap();
    let err = engine.run(&ball, Backend::Gpu).unwrap_err().to_string();
    assert!(err.starts_with("no GPU error bound can be derived"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..proptest::prelude::ProptestConfig::default() })]

    fn random_expressions_on_the_gpu_cases(source in crate::random_expr::expression(), a in 0.25..3.0f64, width in 0.1..3.0f64) {
        use hetero::expr::Expr;
        use hetero::kernels::MonteCarloIntegral;
        for precision in [Precision::F64, Precision::F32] {
            let Some(engine) = engine_in(precision) else { continue };
            let simpson = Simpson::expr(&source, a, a + width, 5_000).unwrap();
            let mc = MonteCarloIntegral::new(Expr::parse(&source, 1).unwrap(), &[(a, a + width)], 5_000, 3).unwrap();
            // Where a bound is derived, the GPU runs and lies within it; where none is, it refuses.
            match simpson.gpu_bound(precision) {
                Some(bound) => {
                    let cpu = engine.run(&simpson, Backend::Serial).unwrap().output.value;
                    let gpu = engine.run(&simpson, Backend::Gpu).unwrap().output.value;
                    proptest::prop_assert!((gpu - cpu).abs() <= bound, "{precision} {source}: |{gpu} − {cpu}| > {bound:e}");
                }
                None => proptest::prop_assert!(engine.run(&simpson, Backend::Gpu).is_err()),
            }
            match mc.gpu_bound(precision) {
                Some(bound) => {
                    let cpu = engine.run(&mc, Backend::Serial).unwrap().output.value;
                    let gpu = engine.run(&mc, Backend::Gpu).unwrap().output.value;
                    proptest::prop_assert!((gpu - cpu).abs() <= bound, "{precision} {source}: |{gpu} − {cpu}| > {bound:e}");
                }
                None => proptest::prop_assert!(engine.run(&mc, Backend::Gpu).is_err()),
            }
        }
    }
}

/// Random expressions of every function: on the GPU within their derived bound wherever one exists.
pub(crate) fn random_expressions_on_the_gpu() {
    random_expressions_on_the_gpu_cases();
}

pub(crate) fn simpson_f64_meets_one_part_in_a_trillion() {
    // The suite runs this test only on an adapter with 64-bit floats (it is reported ignored elsewhere).
    let Some(engine) = engine_in(Precision::F64) else {
        panic!("no GPU adapter with SHADER_F64");
    };
    for f in [
        Function::Exp,
        Function::Sin,
        Function::gauss(1.0, 2.0).unwrap(),
        Function::Pi,
    ] {
        let kernel = Simpson::new(f, -1.0, 2.0, 5_000_000).unwrap();
        let cpu = engine.run(&kernel, Backend::Rayon).unwrap().output.value;
        let gpu = engine.run(&kernel, Backend::Gpu).unwrap().output.value;
        assert!((gpu - cpu).abs() <= 1e-12 * cpu.abs(), "{f:?}: {gpu} vs {cpu}");
    }
}

/// Evaluates the shipped f64 exp, sin and cos on the GPU, 64 inputs per block; on the CPU, the platform's.
struct MathProbe {
    inputs: Vec<f64>,
}

const PROBE_BLOCK: usize = 64;

const PROBE_WGSL: &str = r"
struct Dispatch { first_block: vec2<u32>, block_count: u32, pad: u32 }
@group(0) @binding(0) var<uniform> dispatch: Dispatch;
@group(0) @binding(1) var<storage, read> inputs: array<f64>;
@group(0) @binding(2) var<storage, read_write> out: array<f64>;

@compute @workgroup_size(64)
fn probe(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let x = inputs[(dispatch.first_block.x + wg.x) * 64u + t];
    let at = (wg.x * 64u + t) * 11u;
    out[at] = real_exp(x);
    out[at + 1u] = real_sin(x);
    out[at + 2u] = real_cos(x);
    out[at + 3u] = real_log(abs(x));
    out[at + 4u] = real_atan(x);
    out[at + 5u] = real_tan(x);
    let u = x - floor(x);
    out[at + 6u] = real_asin(u);
    out[at + 7u] = real_acos(u);
    out[at + 8u] = real_acos(-u);
    out[at + 9u] = real_atan2(x, u);
    out[at + 10u] = real_atan2(x, -u);
}
";

impl Kernel for MathProbe {
    type Partial = Vec<[f64; 11]>;
    type Output = Vec<[f64; 11]>;
    fn name(&self) -> &str {
        "math-probe"
    }
    fn blocks(&self) -> u64 {
        (self.inputs.len() / PROBE_BLOCK) as u64
    }
    fn block(&self, index: u64) -> Self::Partial {
        let i = index as usize * PROBE_BLOCK;
        self.inputs[i..i + PROBE_BLOCK]
            .iter()
            .map(|x| {
                [
                    x.exp(),
                    x.sin(),
                    x.cos(),
                    hetero::math::log(x.abs()),
                    hetero::math::atan(*x),
                    hetero::math::tan(*x),
                    hetero::math::asin(x - x.floor()),
                    hetero::math::acos(x - x.floor()),
                    hetero::math::acos(-(x - x.floor())),
                    hetero::math::atan2(*x, x - x.floor()),
                    hetero::math::atan2(*x, -(x - x.floor())),
                ]
            })
            .collect()
    }
    fn finish(&self, total: Self::Partial) -> Self::Output {
        total
    }
    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = Vec<[f64; 11]>>> {
        Some(self)
    }
}

impl GpuKernel for MathProbe {
    type Partial = Vec<[f64; 11]>;

    fn program(&self, caps: &GpuCaps) -> hetero::Result<GpuProgram<'_, Vec<[f64; 11]>>> {
        if !caps.shader_f64 {
            return Err(Error::Unsupported("no f64".to_owned()));
        }
        let params = self
            .inputs
            .iter()
            .flat_map(|x| [x.to_bits() as u32, (x.to_bits() >> 32) as u32])
            .collect();
        let source = format!("alias real = f64;\n{}\n{PROBE_WGSL}", shaders::MATH_F64);
        let wgsl = WgslProgram::new(source, "probe");
        Ok(GpuProgram::new(
            wgsl,
            Precision::F64,
            params,
            (PROBE_BLOCK * 11 * 2) as u32,
            |_, words| {
                words
                    .chunks_exact(22)
                    .map(|w| {
                        let f = |k: usize| f64::from_bits(u64::from(w[2 * k]) | (u64::from(w[2 * k + 1]) << 32));
                        std::array::from_fn(f)
                    })
                    .collect()
            },
        ))
    }
}

/// Distance in units in the last place between two finite doubles of the same sign (0 when equal).
fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    let key = |x: f64| {
        let bits = x.to_bits() as i64;
        if bits < 0 { i64::MIN - bits } else { bits }
    };
    key(a).abs_diff(key(b))
}

/// Numbers uniform in `[0, 1)` from a xorshift generator seeded with `seed`: the probes' inputs.
fn uniform(mut state: u64) -> impl FnMut() -> f64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub(crate) fn f64_math_is_within_two_ulp_of_the_cpu() {
    // The suite runs this test only on an adapter with 64-bit floats (it is reported ignored elsewhere).
    let Some(engine) = engine_in(Precision::F64) else {
        panic!("no GPU adapter with SHADER_F64");
    };
    let mut inputs = vec![
        0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, -1e-300, 700.0, -700.0, 709.7, -744.0, 1e5, -1e5,
    ];
    let mut next = uniform(0x2545_f491_4f6c_dd1du64);
    while inputs.len() < 64 * 400 {
        let u = next();
        let x = match inputs.len() % 5 {
            0 => (u - 0.5) * 1400.0,         // exp's whole range
            1 => (u - 0.5) * 20.0,           // where sin and cos are O(1)
            2 => (u - 0.5) * 2e5,            // large arguments for the reduction
            3 => (u - 0.5) * 2f64.powi(-20), // tiny arguments
            // log across every exponent, subnormals included (sin and cos are not compared here)
            _ => (1.0 + next()) * 2f64.powi((u * 2097.0) as i32 - 1074),
        };
        inputs.push(x);
    }
    let probe = MathProbe { inputs };
    let cpu = engine.run(&probe, Backend::Rayon).unwrap().output;
    let gpu = engine.run(&probe, Backend::Gpu).unwrap().output;
    let mut worst = [0u64; 11];
    for ((c, g), x) in cpu.iter().zip(&gpu).zip(&probe.inputs) {
        for k in 0..11 {
            if (k == 1 || k == 2 || k == 5) && x.abs() > 1.6e6 {
                continue;
            }
            // exp underflows to subnormals near -745, where ulps are coarse relative to the value: compare
            // those absolutely.
            let distance = if c[k].abs() < f64::MIN_POSITIVE {
                u64::from((c[k] - g[k]).abs() > 4e-324)
            } else {
                ulps(c[k], g[k])
            };
            assert!(
                distance <= 2,
                "{} at x = {x:e}: gpu {} cpu {} ({distance} ulp)",
                [
                    "exp",
                    "sin",
                    "cos",
                    "log",
                    "atan",
                    "tan",
                    "asin",
                    "acos",
                    "acos of −u",
                    "atan2",
                    "atan2 left"
                ][k],
                g[k],
                c[k]
            );
            worst[k] = worst[k].max(distance);
        }
    }
    eprintln!("worst ulp distance exp/sin/cos/log/atan/tan/asin/acos/acos/atan2/atan2: {worst:?}");
}

/// The composed functions (`shaders/math_composed.wgsl`) of points `(x, y)` in one precision: columns
/// [`COMPOSED`], on the CPU from the `libm` crate at the same (rounded) points.
struct ComposedProbe {
    points: Vec<(f64, f64)>,
    precision: Precision,
}

const COMPOSED: [&str; 12] = [
    "log2 |x|",
    "log10 |x|",
    "log1p(max(x, −0.99))",
    "expm1",
    "cbrt",
    "sinh",
    "cosh",
    "tanh",
    "erf",
    "erfc",
    "hypot",
    "pow(|x|, y)",
];

const COMPOSED_WGSL: &str = r"
struct Dispatch { first_block: vec2<u32>, block_count: u32, pad: u32 }
@group(0) @binding(0) var<uniform> dispatch: Dispatch;
@group(0) @binding(1) var<storage, read> inputs: array<real>;
@group(0) @binding(2) var<storage, read_write> out: array<real>;

@compute @workgroup_size(64)
fn probe(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let i = (dispatch.first_block.x + wg.x) * 64u + t;
    let x = inputs[2u * i];
    let y = inputs[2u * i + 1u];
    let at = (wg.x * 64u + t) * 12u;
    out[at] = real_log2(abs(x));
    out[at + 1u] = real_log10(abs(x));
    out[at + 2u] = real_log1p(max(x, real(-0.99)));
    out[at + 3u] = real_expm1(x);
    out[at + 4u] = real_cbrt(x);
    out[at + 5u] = real_sinh(x);
    out[at + 6u] = real_cosh(x);
    out[at + 7u] = real_tanh(x);
    out[at + 8u] = real_erf(x);
    out[at + 9u] = real_erfc(x);
    out[at + 10u] = real_hypot(x, y);
    out[at + 11u] = real_pow(abs(x), y);
}
";

impl ComposedProbe {
    /// Rounds to the probe's precision.
    fn round(&self, x: f64) -> f64 {
        if self.precision == Precision::F64 {
            x
        } else {
            f64::from(x as f32)
        }
    }

    fn row(&self, (x, y): (f64, f64)) -> [f64; 12] {
        let w = x.max(self.round(-0.99));
        [
            libm::log2(x.abs()),
            libm::log10(x.abs()),
            libm::log1p(w),
            libm::expm1(x),
            libm::cbrt(x),
            libm::sinh(x),
            libm::cosh(x),
            libm::tanh(x),
            libm::erf(x),
            libm::erfc(x),
            libm::hypot(x, y),
            libm::pow(x.abs(), y),
        ]
    }
}

impl Kernel for ComposedProbe {
    type Partial = Vec<[f64; 12]>;
    type Output = Vec<[f64; 12]>;
    fn name(&self) -> &str {
        "composed-math-probe"
    }
    fn blocks(&self) -> u64 {
        (self.points.len() / PROBE_BLOCK) as u64
    }
    fn block(&self, index: u64) -> Self::Partial {
        let i = index as usize * PROBE_BLOCK;
        self.points[i..i + PROBE_BLOCK].iter().map(|p| self.row(*p)).collect()
    }
    fn finish(&self, total: Self::Partial) -> Self::Output {
        total
    }
    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = Vec<[f64; 12]>>> {
        Some(self)
    }
}

impl GpuKernel for ComposedProbe {
    type Partial = Vec<[f64; 12]>;

    fn program(&self, _caps: &GpuCaps) -> hetero::Result<GpuProgram<'_, Vec<[f64; 12]>>> {
        let f64s = self.precision == Precision::F64;
        let values = self.points.iter().flat_map(|&(x, y)| [x, y]);
        let params = if f64s {
            values
                .flat_map(|x| [x.to_bits() as u32, (x.to_bits() >> 32) as u32])
                .collect()
        } else {
            values.map(|x| (x as f32).to_bits()).collect()
        };
        let (alias, math) = if f64s {
            ("alias real = f64;", shaders::MATH_F64)
        } else {
            ("alias real = f32;", shaders::MATH_F32)
        };
        let source = format!("{alias}\n{math}\n{}\n{COMPOSED_WGSL}", shaders::MATH_COMPOSED);
        let words = if f64s { 2 } else { 1 };
        Ok(GpuProgram::new(
            WgslProgram::new(source, "probe"),
            self.precision,
            params,
            (PROBE_BLOCK * 12 * words) as u32,
            move |_, w| {
                let value = |k: usize| {
                    if f64s {
                        f64::from_bits(u64::from(w[2 * k]) | (u64::from(w[2 * k + 1]) << 32))
                    } else {
                        f64::from(f32::from_bits(w[k]))
                    }
                };
                (0..PROBE_BLOCK)
                    .map(|row| std::array::from_fn(|k| value(12 * row + k)))
                    .collect()
            },
        ))
    }
}

/// The composed functions on the GPU, in each precision, against the CPU's: within the ulps the derived
/// bound allows them (`Accuracy::composed`, and `pow_growth` per unit of `|y ln x|` for `pow`), counted
/// as the bound counts them (multiples of `2u·|value|`, plus the precision's smallest normal number).
pub(crate) fn composed_math_is_within_its_ulps() {
    use hetero::expr::Accuracy;
    for precision in [Precision::F64, Precision::F32] {
        let Some(engine) = engine_in(precision) else {
            continue;
        };
        let accuracy = Accuracy::gpu(precision);
        let mut next = uniform(0x9e37_79b9_7f4a_7c15u64);
        let scales = [1e-6, 0.3, 1.0, 2.0, 5.0, 12.0, 40.0, 120.0, 700.0];
        let mut points = vec![(0.0, 0.0), (1.0, 2.5), (-1.0, -3.0), (0.5, 0.5), (2.0, 10.0)];
        while points.len() < 64 * 300 {
            let scale = scales[points.len() % scales.len()];
            let x = (2.0 * next() - 1.0) * scale;
            let y = (2.0 * next() - 1.0) * 20.0;
            points.push((x, y));
        }
        let probe = ComposedProbe {
            points: points
                .into_iter()
                .map(|(x, y)| {
                    (
                        if precision == Precision::F64 {
                            x
                        } else {
                            f64::from(x as f32)
                        },
                        f64::from(y as f32),
                    )
                })
                .collect(),
            precision,
        };
        let cpu = engine.run(&probe, Backend::Rayon).unwrap().output;
        let gpu = engine.run(&probe, Backend::Gpu).unwrap().output;
        let mut worst = [0.0f64; 12];
        for ((c, g), &(x, y)) in cpu.iter().zip(&gpu).zip(&probe.points) {
            // |y ln x|, by which pow's error grows.
            let exponent = if y == 0.0 { 0.0 } else { (y * x.abs().ln()).abs() };
            for k in 0..12 {
                if !c[k].is_finite() || c[k].abs() > accuracy.largest {
                    continue;
                }
                let allowed = if k == 11 {
                    accuracy.composed + exponent * accuracy.pow_growth
                } else {
                    accuracy.composed
                };
                // The CPU's own error (within two of its ulps) comes on top.
                let ulp = 2.0 * accuracy.unit * c[k].abs();
                let slack = 4.0 * f64::EPSILON / 2.0 * c[k].abs() + accuracy.tiny;
                let excess = (g[k] - c[k]).abs() - slack;
                let ulps = if ulp > 0.0 { (g[k] - c[k]).abs() / ulp } else { 0.0 };
                assert!(
                    excess <= allowed * ulp,
                    "{precision} {} at ({x:e}, {y:e}): gpu {} cpu {} ({ulps:.1} ulp > {allowed})",
                    COMPOSED[k],
                    g[k],
                    c[k]
                );
                let growth = if k == 11 { 1.0 + exponent } else { 1.0 };
                if c[k].abs() >= accuracy.tiny {
                    worst[k] = worst[k].max(ulps / growth);
                }
            }
        }
        eprintln!(
            "{precision} worst distance from the CPU in ulps (pow: per 1 + |y ln x|): {}",
            COMPOSED
                .iter()
                .zip(worst)
                .map(|(name, w)| format!("{name} {w:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

pub(crate) fn a_second_run_compiles_nothing() {
    gpu_engine_or_skip!();
    // An engine of its own: other tests compile pipelines on the shared one meanwhile.
    let engine = &Engine::with_threads(1).unwrap();
    let kernel = Leibniz::new(300_001).unwrap();
    engine.run(&kernel, Backend::Gpu).unwrap();
    let compiled = engine.gpu().unwrap().compiled_pipelines();
    assert_eq!(compiled, 1);
    let again = engine.run(&kernel, Backend::Gpu).unwrap();
    assert_eq!(engine.gpu().unwrap().compiled_pipelines(), compiled);
    let report = again.gpu.unwrap();
    assert_eq!(report.compile_seconds, 0.0);
    assert_eq!(report.setup_seconds, 0.0);
    assert!(report.dispatches >= 1);
}

/// A kernel whose shader does not compile.
struct Broken;

impl Kernel for Broken {
    type Partial = u64;
    type Output = u64;
    fn name(&self) -> &str {
        "broken"
    }
    fn blocks(&self) -> u64 {
        4
    }
    fn block(&self, index: u64) -> u64 {
        index
    }
    fn finish(&self, total: u64) -> u64 {
        total
    }
    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = u64>> {
        Some(self)
    }
}

impl GpuKernel for Broken {
    type Partial = u64;

    fn program(&self, _caps: &GpuCaps) -> hetero::Result<GpuProgram<'_, u64>> {
        let wgsl = WgslProgram::new("@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }", "main");
        Ok(GpuProgram::new(wgsl, Precision::Exact, vec![], 1, |_, w| {
            u64::from(w[0])
        }))
    }
}

pub(crate) fn gpu_errors_are_values_not_panics() {
    let engine = gpu_engine_or_skip!();
    match engine.run(&Broken, Backend::Gpu) {
        Err(Error::Gpu(error)) => {
            assert_eq!(error.kind(), hetero::GpuErrorKind::ShaderRejected, "{error}");
            assert!(error.message().contains("does not compile"), "{error}");
        }
        other => panic!("expected a shader error, got {other:?}"),
    }
    let closure = Simpson::new(|x: f64| x * x, 0.0, 1.0, 100).unwrap();
    assert!(matches!(engine.run(&closure, Backend::Gpu), Err(Error::Unsupported(_))));
    let far = Simpson::new(Function::Sin, 0.0, 1e7, 100).unwrap();
    assert!(matches!(engine.run(&far, Backend::Gpu), Err(Error::Unsupported(_))));
    // The device is still usable.
    let kernel = MonteCarloPi::new(10_000, 3).unwrap();
    assert_eq!(
        engine.run(&kernel, Backend::Gpu).unwrap().output.hits,
        engine.run(&kernel, Backend::Serial).unwrap().output.hits
    );
}

/// Hybrid runs share the blocks between the GPU and the CPU pool and still give the CPU's hit counts;
/// floating kernels stay within the GPU bound.
pub(crate) fn hybrid_equals_the_cpu() {
    let engine = gpu_engine_or_skip!();
    for (samples, seed) in [(1, 3), (65_537, 1), (3 << 20, 42), (20_000_003, 7)] {
        let kernel = MonteCarloPi::new(samples, seed).unwrap();
        let serial = engine.run(&kernel, Backend::Serial).unwrap();
        let hybrid = engine.run(&kernel, Backend::Hybrid).unwrap();
        assert_eq!(hybrid.output.hits, serial.output.hits, "{samples} samples");
        let split = hybrid.split.clone().unwrap();
        assert_eq!(split.gpu_blocks + split.cpu_blocks, kernel.blocks());
        assert_eq!(split.gpu_error, None);
    }
    let kernel = Leibniz::new(30_000_000).unwrap();
    let serial = engine.run(&kernel, Backend::Serial).unwrap();
    let hybrid = engine.run(&kernel, Backend::Hybrid).unwrap();
    let precision = hybrid.gpu.as_ref().and_then(|g| g.precision).unwrap();
    assert!((hybrid.output.value - serial.output.value).abs() <= kernel.gpu_bound(precision));
}

/// A GPU run in chunks (as the command line runs, to report progress and stop on Ctrl-C) is the same
/// as one pass.
pub(crate) fn chunked_gpu_runs_equal_one_pass() {
    let engine = gpu_engine_or_skip!();
    let kernel = MonteCarloPi::new(40_000_001, 5).unwrap();
    let one_pass = engine.run(&kernel, Backend::Gpu).unwrap();
    // Progress comes after each dispatch, the last one reporting every block done.
    let last = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = std::sync::Arc::clone(&last);
    let control = hetero::Control::new().with_progress(move |p| {
        seen.store(p.done, std::sync::atomic::Ordering::Relaxed);
    });
    let chunked = engine.run_with(&kernel, Backend::Gpu, &control).unwrap();
    assert_eq!(chunked.output, one_pass.output);
    assert_eq!(last.load(std::sync::atomic::Ordering::Relaxed), kernel.blocks());

    // Stopped between dispatches: the blocks done are exactly the smaller problem they make up.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    let control = hetero::Control::new().with_stop(stop).with_progress(move |p| {
        if p.done * 4 >= p.blocks {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let kernel = MonteCarloPi::new(400_000_001, 6).unwrap();
    let stopped = engine.run_with(&kernel, Backend::Gpu, &control).unwrap();
    assert!(stopped.interrupted && stopped.completed < stopped.blocks, "{stopped:?}");
    let prefix = MonteCarloPi::new(stopped.output.samples, 6).unwrap();
    assert_eq!(
        engine.run(&prefix, Backend::Serial).unwrap().output.hits,
        stopped.output.hits
    );
    let simpson = Simpson::new(Function::gauss(0.1, 0.4).unwrap(), -1.0, 1.0, 300_000_000).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    let control = hetero::Control::new().with_stop(stop).with_progress(move |p| {
        if p.done * 3 >= p.blocks {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let stopped = engine.run_with(&simpson, Backend::Gpu, &control).unwrap();
    assert!(stopped.interrupted && stopped.completed < stopped.blocks);
    let whole = engine.run(&simpson, Backend::Gpu).unwrap();
    assert!(!whole.interrupted);
}

/// With a GPU, auto considers it (and hybrid), and compare checks it against the CPU.
pub(crate) fn auto_and_compare_include_the_gpu() {
    let shared = gpu_engine_or_skip!();
    let engine = Engine::builder().threads(2).gpu(shared.gpu().unwrap()).build().unwrap();
    let kernel = MonteCarloPi::new(1 << 24, 2).unwrap();
    engine.calibrate(&kernel).unwrap();
    let explanation = engine.explain(&kernel).unwrap();
    let considered: Vec<Backend> = explanation.predictions.iter().map(|p| p.backend).collect();
    assert!(
        considered.contains(&Backend::Gpu) && considered.contains(&Backend::Hybrid),
        "{explanation}"
    );
    let comparison = hetero::validate::compare(&engine, &kernel, &Backend::ALL).unwrap();
    assert!(comparison.agree(), "{:?}", comparison.disagreements());
    let simpson = Simpson::new(Function::Exp, 0.0, 1.0, 5_000_000).unwrap();
    let comparison =
        hetero::validate::compare(&engine, &simpson, &[Backend::Serial, Backend::Gpu, Backend::Hybrid]).unwrap();
    assert!(comparison.agree(), "{:?}", comparison.disagreements());
    let validation = hetero::validate::validate(&engine, &simpson, Backend::Gpu, Backend::Serial, 3).unwrap();
    assert!(validation.agree(), "{validation:?}");
}
