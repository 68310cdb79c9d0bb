//! Simpson's GPU program: the built-in integrands in WGSL, f64 where the device has it, f32 otherwise.

use super::{BLOCK_POINTS, Function, Simpson, SimpsonIntegrand, SimpsonPartial};
use crate::exact::ExactBins;
use crate::program::{
    GpuCaps, GpuKernel, GpuProgram, Precision, assemble, param_words, real_at, real_words, u64_words,
};
use crate::shaders;
use crate::size::real_text;
use crate::sum::add_compensated;
use crate::{Error, ExactSum, Kernel, Result};

/// The shader's `Params` (shaders/simpson.wgsl), field for field, where `real` is `f64`: `reals` are
/// `lo`, `h`, `x0`, `sigma`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SimpsonParamsF64 {
    reals: [f64; 4],
    tail: SimpsonParamsTail,
}

/// [`SimpsonParamsF64`] where `real` is `f32`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SimpsonParamsF32 {
    reals: [f32; 4],
    tail: SimpsonParamsTail,
}

/// The integer fields after the reals.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SimpsonParamsTail {
    last_block: [u32; 2],
    last_block_points: u32,
    power: u32,
}

/// The shader's number for a user's integrand, `user_integrand`.
const USER_INTEGRAND: u32 = 6;

/// `user_integrand` where the integrand is built in (never called: `FUNCTION` selects the built-in).
const NO_USER_INTEGRAND: &str = "fn user_integrand(x: real) -> real { return x; }";

impl<F: SimpsonIntegrand> GpuKernel for Simpson<F> {
    type Partial = SimpsonPartial;

    /// Built-in integrands and expressions (whose WGSL is generated, and which run only where their error
    /// bound can be derived). f64 uses hetero's own exp/sin/cos and the CPU's formula for `x_i`; f32
    /// takes each block's first point from the host (see `shaders/simpson_f32.wgsl`). The two end points
    /// are evaluated by the host, in f64.
    fn program(&self, caps: &GpuCaps) -> Result<GpuProgram<'_, SimpsonPartial>> {
        let precision = caps.float_precision()?;
        let (function, user) = match (self.f.builtin(), self.f.wgsl()) {
            (Some(function), _) => (Some(function), NO_USER_INTEGRAND.to_owned()),
            (None, Some(code)) => {
                if self.gpu_bound(precision).is_none() {
                    return Err(Error::Unsupported(format!(
                        "no GPU error bound can be derived for {} over [{}, {}] in {precision}: {}; use a CPU \
                         backend",
                        self.f.describe(),
                        real_text(self.a),
                        real_text(self.b),
                        self.why_no_gpu_bound(precision)
                    )));
                }
                (None, code)
            }
            (None, None) => {
                return Err(Error::Unsupported(
                    "only the built-in integrands and expressions run on the GPU; integrate closures on a CPU \
                     backend"
                        .to_owned(),
                ));
            }
        };
        let reach = self.lo.abs().max(self.hi.abs());
        let trig_limit = if precision == Precision::F64 { 1.6e6 } else { 8192.0 };
        if matches!(function, Some(Function::Sin | Function::Cos)) && reach > trig_limit {
            return Err(Error::Unsupported(format!(
                "the GPU's {precision} sin and cos reduce arguments up to |x| = {trig_limit}, and this interval \
                 reaches {}; use a CPU backend",
                real_text(reach)
            )));
        }
        let (x0, sigma) = match function {
            Some(Function::Gauss(g)) => (g.x0(), g.sigma()),
            _ => (0.0, 1.0),
        };
        let power = match function {
            Some(Function::Poly(p)) => p.power(),
            _ => 0,
        };
        let last_block = self.blocks() - 1;
        let last_block_points = (self.n + 1 - last_block * BLOCK_POINTS) as u32;
        let tail = SimpsonParamsTail {
            last_block: u64_words(last_block),
            last_block_points,
            power,
        };
        let reals = [self.lo, self.h, x0, sigma];
        let params = match precision {
            Precision::F64 => param_words(&SimpsonParamsF64 { reals, tail }),
            Precision::F32 | Precision::Exact => param_words(&SimpsonParamsF32 {
                reals: reals.map(|x| x as f32),
                tail,
            }),
        };

        let prelude = if precision == Precision::F64 {
            shaders::SIMPSON_F64
        } else {
            shaders::SIMPSON_F32
        };
        let math = shaders::math_for(precision);
        let wgsl = assemble(
            precision,
            &[
                shaders::BLOCK,
                shaders::COMPENSATED,
                math,
                prelude,
                &user,
                shaders::SIMPSON,
            ],
            "main",
        )
        .with_constant(
            "FUNCTION",
            f64::from(function.map_or(USER_INTEGRAND, |function| function.shader_id())),
        );
        let decode = move |block: u64, words: &[u32]| {
            let mut partial = SimpsonPartial::default();
            for class in 0..4 {
                add_compensated(
                    partial.class_mut(class),
                    real_at(precision, words, 2 * class),
                    real_at(precision, words, 2 * class + 1),
                );
            }
            self.add_ends(
                block * BLOCK_POINTS..((block + 1) * BLOCK_POINTS).min(self.n + 1),
                &mut partial,
            );
            partial
        };
        // A whole dispatch: every block's class sums straight into one exact accumulator per class (the
        // odd points' two classes share one), the same sums as decoding block by block.
        let fold = move |first: u64, words: &[u32]| {
            // Classes 0, 1, 2, 3 go to the sums of even0, odd, even2, odd.
            let mut bins = [ExactBins::new(), ExactBins::new(), ExactBins::new()];
            let per_block = 8 * real_words(precision) as usize;
            for block in words.chunks_exact(per_block) {
                for (class, into) in [0, 1, 2, 1].into_iter().enumerate() {
                    let sum = real_at(precision, block, 2 * class);
                    bins[into].add(sum);
                    if sum.is_finite() {
                        bins[into].add(real_at(precision, block, 2 * class + 1));
                    }
                }
            }
            let [even0, odd, even2] = bins.map(ExactBins::finish);
            let mut partial = SimpsonPartial {
                ends: ExactSum::new(),
                odd,
                even2,
                even0,
            };
            let end = first + (words.len() / per_block) as u64;
            self.add_ends(first * BLOCK_POINTS..(end * BLOCK_POINTS).min(self.n + 1), &mut partial);
            partial
        };
        let program =
            GpuProgram::new(wgsl, precision, params, 8 * real_words(precision), decode).with_dispatch_fold(fold);
        if precision == Precision::F64 {
            return Ok(program);
        }
        Ok(program.with_block_data(2, move |block, data| {
            let base = self.lo + (block * BLOCK_POINTS) as f64 * self.h;
            let hi = base as f32;
            let lo = (base - f64::from(hi)) as f32;
            data.extend([hi.to_bits(), lo.to_bits()]);
        }))
    }
}
