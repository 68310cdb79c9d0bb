//! What a kernel hands the GPU backend: its WGSL, parameters and decoder ([`GpuProgram`]), chosen for the
//! device's capabilities ([`GpuCaps`]) through the [`GpuKernel`] trait. The shader interface is documented
//! on [`crate::gpu`]. Below the kernels and the GPU backend: it imports neither.

use std::borrow::Cow;

use crate::{Error, Result};

/// A kernel's GPU program: the seam between a kernel and the GPU backend. A kernel implements it beside
/// [`Kernel`](crate::Kernel) and returns `Some(self)` from [`Kernel::gpu`](crate::Kernel::gpu); a kernel
/// without it runs on the CPU backends only.
///
/// `examples/gpu_kernel.rs` is a complete kernel with its WGSL.
pub trait GpuKernel: Sync {
    /// The partial result its program's blocks decode to: the kernel's own.
    type Partial;

    /// The program that computes this kernel's blocks on a device with capabilities `caps`, or why it
    /// cannot ([`Error::Unsupported`]: a precision the device lacks, arguments out of the program's range).
    fn program(&self, caps: &GpuCaps) -> Result<GpuProgram<'_, Self::Partial>>;
}

/// A compute shader that a kernel carries for the GPU backend.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WgslProgram {
    /// The WGSL source.
    pub source: Cow<'static, str>,
    /// The name of its `@compute` entry point.
    pub entry_point: Cow<'static, str>,
    /// Values of its pipeline-overridable constants (WGSL `override` declarations), by name: each set of
    /// values is a pipeline of its own, compiled once per device, with the constants folded into the code.
    pub constants: Vec<(Cow<'static, str>, f64)>,
}

impl WgslProgram {
    /// A program from its source and entry point.
    pub fn new(source: impl Into<Cow<'static, str>>, entry_point: impl Into<Cow<'static, str>>) -> Self {
        WgslProgram {
            source: source.into(),
            entry_point: entry_point.into(),
            constants: Vec::new(),
        }
    }

    /// The program with its `override` constant `name` set to `value`.
    pub fn with_constant(mut self, name: impl Into<Cow<'static, str>>, value: f64) -> Self {
        self.constants.push((name.into(), value));
        self
    }
}

/// The arithmetic a GPU run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Precision {
    /// Integer arithmetic only: the result is exact (Monte Carlo hit counts).
    Exact,
    /// 32-bit floats: available on every adapter.
    F32,
    /// 64-bit floats: needs the adapter's `SHADER_F64` feature.
    F64,
}

impl Precision {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Exact => "exact",
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the device offers, and what the caller asked for; kernels choose their program from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuCaps {
    /// The device runs 64-bit float shaders (`SHADER_F64`).
    pub shader_f64: bool,
    /// The device runs 64-bit integer shaders (`SHADER_INT64`).
    pub shader_int64: bool,
    /// A floating precision the caller insists on, if any.
    pub requested: Option<Precision>,
}

impl GpuCaps {
    /// The floating precision to use: the one requested, else `F64` where the device has it, else `F32`.
    /// Asking for `F64` on a device without it is an error.
    pub fn float_precision(&self) -> Result<Precision> {
        match self.requested {
            Some(Precision::F64) if !self.shader_f64 => Err(Error::Unsupported(
                "this GPU has no 64-bit float shaders (SHADER_F64); use --precision f32".to_owned(),
            )),
            Some(Precision::F64) => Ok(Precision::F64),
            Some(Precision::F32) => Ok(Precision::F32),
            Some(Precision::Exact) | None => Ok(if self.shader_f64 {
                Precision::F64
            } else {
                Precision::F32
            }),
        }
    }
}

/// Writes the per-block data of one block (binding 3).
pub type BlockDataFn<'k> = Box<dyn Fn(u64, &mut Vec<u32>) + Sync + 'k>;
/// Turns one block's output words into its partial.
pub type DecodeFn<'k, P> = Box<dyn Fn(u64, &[u32]) -> P + Sync + 'k>;
/// The partial of a whole dispatch from its output words: see [`GpuProgram::with_dispatch_fold`].
pub type DispatchFoldFn<'k, P> = Box<dyn Fn(u64, &[u32]) -> P + Sync + 'k>;

/// A kernel's GPU program and how to talk to it; see [`crate::gpu`] for the shader interface.
#[non_exhaustive]
pub struct GpuProgram<'k, P> {
    /// The WGSL source and its entry point. Pipelines are compiled once per engine and source.
    pub wgsl: WgslProgram,
    /// The arithmetic the program uses, for reports and agreement rules.
    pub precision: Precision,
    /// The parameter words (binding 1).
    pub params: Vec<u32>,
    /// Output words per block (binding 2).
    pub words_per_block: u32,
    /// Words of per-block data (binding 3) and their writer, if the program reads any.
    pub block_data: Option<(u32, BlockDataFn<'k>)>,
    /// Decodes one block's output words into its partial.
    pub decode: DecodeFn<'k, P>,
    /// For partials that combine exactly: how the host turns a whole dispatch's words into one partial.
    pub dispatch_fold: Option<DispatchFoldFn<'k, P>>,
}

impl<'k, P> GpuProgram<'k, P> {
    /// A program from its WGSL, precision, parameter words, output words per block and decoder.
    pub fn new(
        wgsl: WgslProgram,
        precision: Precision,
        params: Vec<u32>,
        words_per_block: u32,
        decode: impl Fn(u64, &[u32]) -> P + Sync + 'k,
    ) -> Self {
        GpuProgram {
            wgsl,
            precision,
            params,
            words_per_block,
            block_data: None,
            decode: Box::new(decode),
            dispatch_fold: None,
        }
    }

    /// Adds per-block data: `words` words for each block, written by `write(block, &mut words)`.
    pub fn with_block_data(mut self, words: u32, write: impl Fn(u64, &mut Vec<u32>) + Sync + 'k) -> Self {
        self.block_data = Some((words, Box::new(write)));
        self
    }

    /// Lets the host turn each dispatch's output words (blocks `first ..`, `words_per_block` words each)
    /// into one partial with `fold(first, words)`, instead of decoding each block into a partial of its own
    /// and combining them in the tree. Only for partials whose combination is exactly associative and
    /// commutative (integer counts, [`ExactSum`](crate::ExactSum)s), so that the bits are the same: the
    /// fold adds every block's values straight into one exact accumulator, a small part of the host's work.
    pub fn with_dispatch_fold(mut self, fold: impl Fn(u64, &[u32]) -> P + Sync + 'k) -> Self {
        self.dispatch_fold = Some(Box::new(fold));
        self
    }

    /// The partial of one dispatch: blocks `first ..` whose output words are `words`
    /// ([`words_per_block`](Self::words_per_block) each), as the host combines them after the dispatch:
    /// through the [dispatch fold](Self::with_dispatch_fold) when the program has one, else decoded block
    /// by block and folded in the tree. `None` for no blocks.
    pub fn dispatch_partial(&self, first: u64, words: &[u32]) -> Option<P>
    where
        P: crate::Partial,
    {
        let per_block = self.words_per_block.max(1) as usize;
        if words.len() < per_block {
            return None;
        }
        if let Some(fold) = &self.dispatch_fold {
            return Some(fold(first, &words[..words.len() - words.len() % per_block]));
        }
        let mut tree = crate::tree::TreeFold::new();
        for (i, block) in words.chunks_exact(per_block).enumerate() {
            tree.push((self.decode)(first + i as u64, block));
        }
        tree.finish()
    }
}

/// A WGSL program assembled from shader pieces (those of [`crate::gpu::shaders`] and one's own), in order,
/// after `alias real = f64;` or `f32` as `precision` says: how the built-in kernels write one shader for
/// both precisions.
pub fn assemble(precision: Precision, pieces: &[&str], entry_point: &'static str) -> WgslProgram {
    let mut source = String::new();
    match precision {
        Precision::F64 => source.push_str("alias real = f64;\n"),
        Precision::F32 | Precision::Exact => source.push_str("alias real = f32;\n"),
    }
    for piece in pieces {
        source.push_str(piece);
        source.push('\n');
    }
    WgslProgram::new(Cow::Owned(source), entry_point)
}

/// Value `i` of an output array of `real`s (two words each in f64, one in f32), widened to `f64`: how a
/// decoder reads the floats a program of `precision` wrote.
///
/// # Panics
///
/// If `words` holds fewer than `i + 1` values.
pub fn real_at(precision: Precision, words: &[u32], i: usize) -> f64 {
    match precision {
        Precision::F64 => f64::from_bits(u64::from(words[2 * i]) | (u64::from(words[2 * i + 1]) << 32)),
        Precision::F32 | Precision::Exact => f64::from(f32::from_bits(words[i])),
    }
}

/// Words per `real` value in `precision`: 2 in f64, 1 in f32.
pub fn real_words(precision: Precision) -> u32 {
    if precision == Precision::F64 { 2 } else { 1 }
}

/// A shader's parameter struct (a `#[repr(C)]` mirror of its WGSL `Params`, field for field) as the
/// words of binding 1 ([`GpuProgram::params`]).
pub fn param_words<T: bytemuck::Pod>(params: &T) -> Vec<u32> {
    bytemuck::pod_collect_to_vec(bytemuck::bytes_of(params))
}

/// The unit roundoff of a floating precision (half the distance from 1 to the next float).
pub fn unit_roundoff(precision: Precision) -> f64 {
    match precision {
        Precision::F64 | Precision::Exact => f64::EPSILON / 2.0,
        Precision::F32 => f64::from(f32::EPSILON) / 2.0,
    }
}

/// A `u64` as its (low, high) words: how a `vec2<u32>` holds it in WGSL (a block index, a seed).
pub fn u64_words(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kernel;
    use crate::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
    use crate::wire::Wire;

    /// `count` blocks' words of `program`, from varied bits: sums of every size and sign, compensations,
    /// now and then an infinity or a NaN.
    fn words<P>(program: &GpuProgram<'_, P>, count: usize, seed: u64) -> Vec<u32> {
        let mut state = seed;
        (0..count * program.words_per_block as usize)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let word = (state >> 32) as u32;
                match (program.precision, i % 97) {
                    (Precision::Exact, _) => word % 70_000,
                    (_, 13) => 0x7ff0_0000,
                    (_, 41) => 0x7f80_0001,
                    _ => word,
                }
            })
            .collect()
    }

    /// A dispatch folded at once has the bits of its blocks decoded one by one and folded in the tree.
    fn fold_equals_tree<P: Wire>(mut program: GpuProgram<'_, P>, blocks: u64) {
        for (first, count, seed) in [(0, 1, 1), (0, 300, 2), (blocks - 77, 77, 3), (5, 2_000, 4)] {
            let words = words(&program, count, seed);
            let folded = program.dispatch_partial(first, &words).map(|p| p.to_words());
            let fold = program.dispatch_fold.take();
            let tree = program.dispatch_partial(first, &words).map(|p| p.to_words());
            program.dispatch_fold = fold;
            assert!(folded.is_some());
            assert_eq!(folded, tree, "blocks {first}+{count}");
        }
    }

    #[test]
    fn dispatch_folds_equal_the_tree() {
        for precision in [Precision::F64, Precision::F32] {
            let caps = GpuCaps {
                shader_f64: true,
                shader_int64: true,
                requested: Some(precision),
            };
            let simpson = Simpson::new(Function::Cos, -1.0, 2.0, 1 << 28).unwrap();
            fold_equals_tree(simpson.program(&caps).unwrap(), simpson.blocks());
            let leibniz = Leibniz::new(1 << 30).unwrap();
            fold_equals_tree(leibniz.program(&caps).unwrap(), leibniz.blocks());
        }
        let caps = GpuCaps {
            shader_f64: false,
            shader_int64: false,
            requested: None,
        };
        let pi = MonteCarloPi::new((1 << 28) + 12_345, 9).unwrap();
        fold_equals_tree(pi.program(&caps).unwrap(), pi.blocks());
    }
}
