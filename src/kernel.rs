//! The [`Kernel`] trait: a computation cut into blocks fixed by the problem, and the fixed order in which
//! the blocks' partial results are combined; and what a kernel implements for the layers above it, here
//! so that kernels import only downwards: [`Verify`] for the agreement rules and stamps
//! ([`crate::validate`]), [`Resumable`] for saved partial results ([`crate::checkpoint`]).
//!
//! # The contract
//!
//! A kernel has [`Kernel::blocks`] blocks, a number that depends on the problem alone (never on the machine or
//! the thread count). [`Kernel::block`] computes the partial result of one block, a pure function of the
//! kernel and the block index. Partials are combined by [`Partial::combine`], which must be associative;
//! [`Kernel::finish`] turns the combined partial into the kernel's output.
//!
//! Every backend combines the partials of a block range `lo..hi` in one fixed shape, the **pairwise tree**
//! of [`split_point`]: a range of `len` blocks splits after the largest power of two strictly below `len`.
//! So even a partial whose `combine` is only approximately associative (a plain `f64` sum, say) gives the
//! same bits on every backend and thread count. The built-in kernels go further: their partials are integer
//! counts or [`ExactSum`](crate::ExactSum)s, whose combination is exactly associative, so the result of a
//! range also equals the combination of any split of it into sub-ranges (how the GPU, the hybrid split and
//! MPI ranks share work).
//!
//! # Implementing a kernel
//!
//! ```
//! use hetero::{Backend, Engine, Kernel, Partial};
//!
//! /// The sum of the integers 0..n, in blocks of 1000.
//! struct Triangle { n: u64 }
//!
//! struct Total(u64);
//! impl Partial for Total {
//!     fn combine(self, right: Self) -> Self { Total(self.0 + right.0) }
//! }
//!
//! impl Kernel for Triangle {
//!     type Partial = Total;
//!     type Output = u64;
//!     fn name(&self) -> &str { "triangle" }
//!     fn blocks(&self) -> u64 { self.n.div_ceil(1000) }
//!     fn block(&self, index: u64) -> Total {
//!         let lo = index * 1000;
//!         Total((lo..(lo + 1000).min(self.n)).sum())
//!     }
//!     fn finish(&self, total: Total) -> u64 { total.0 }
//!     fn elements(&self) -> u64 { self.n }
//! }
//!
//! let engine = Engine::with_threads(3)?;
//! let run = engine.run(&Triangle { n: 1_000_001 }, Backend::Threads)?;
//! assert_eq!(run.output, 1_000_000 * 1_000_001 / 2);
//! # Ok::<(), hetero::Error>(())
//! ```

use std::ops::Range;

use crate::Result;
pub use crate::program::GpuKernel;
use crate::program::Precision;
pub use crate::tree::{Partial, TreeFold, split_point};
use crate::wire::Wire;

/// A computation cut into blocks fixed by the problem; see the [module](self) docs for the contract.
///
/// Required: [`name`](Kernel::name), [`blocks`](Kernel::blocks), [`block`](Kernel::block) and
/// [`finish`](Kernel::finish). The rest is provided.
///
/// Implementers must make `block(i)` a pure function of the kernel and `i`: it is called from many threads,
/// in any order, possibly more than once (validation recomputes blocks), and its results must not depend on
/// which thread or backend calls it. Memory should not grow with the problem size: a block computes its
/// elements on the fly.
pub trait Kernel: Sync {
    /// The partial result of a block or range of blocks.
    type Partial: Partial;
    /// What [`finish`](Kernel::finish) makes of the combined partial of all blocks.
    type Output;

    /// A short name for reports (`"pi"`, `"simpson"`, …).
    fn name(&self) -> &str;

    /// How many blocks the problem has. Must depend on the problem alone.
    fn blocks(&self) -> u64;

    /// The partial result of block `index`, for `index < self.blocks()`.
    fn block(&self, index: u64) -> Self::Partial;

    /// Turns the combined partial of every block into the output.
    fn finish(&self, total: Self::Partial) -> Self::Output;

    /// The output of a run stopped early, from the combined partial of its first `blocks` blocks (fewer
    /// than [`blocks`](Kernel::blocks)), so that what was computed is not lost. A kernel whose first blocks
    /// form a smaller problem of their own returns that problem's output: the built-in ones do (Monte
    /// Carlo's first samples, the series' first terms, Simpson's rule on the covered part of the interval).
    /// The default, `None`, means a prefix has no output of its own.
    fn finish_prefix(&self, total: Self::Partial, blocks: u64) -> Option<Self::Output> {
        let _ = (total, blocks);
        None
    }

    /// How many elements (samples, points, terms) the whole problem has: the unit of throughput.
    /// Defaults to the number of blocks.
    fn elements(&self) -> u64 {
        self.blocks()
    }

    /// How many elements the first `blocks` blocks hold: what a run stopped after them computed. Defaults
    /// to their share of [`elements`](Kernel::elements); a kernel whose blocks hold a fixed number of
    /// elements (the last one fewer) says so exactly.
    fn elements_in(&self, blocks: u64) -> u64 {
        let share = u128::from(self.elements()) * u128::from(blocks) / u128::from(self.blocks().max(1));
        share as u64
    }

    /// What the dispatcher's cost model files this kernel's measured costs under: kernels whose blocks
    /// cost differently must have different keys (Simpson's key names its built-in integrand), unless
    /// their [`cost_scale`](Kernel::cost_scale)s say by how much (every expression shares one key per
    /// kernel). Defaults to [`name`](Kernel::name).
    fn cost_key(&self) -> String {
        self.name().to_owned()
    }

    /// The work of one element relative to other kernels of the same [`cost_key`](Kernel::cost_key),
    /// in units of the key's choosing: the model predicts this kernel's time per block as the one it
    /// measured on a kernel of the same key, times the ratio of their scales, so that one calibration
    /// serves every kernel of the key (every expression, of any dimension, predicted from what its
    /// operations cost). 1 by default: kernels of a key cost alike.
    fn cost_scale(&self) -> f64 {
        1.0
    }

    /// This kernel's GPU program, if it has one: a kernel that implements [`GpuKernel`] returns
    /// `Some(self)`. The default, `None`, keeps the kernel on the CPU backends (the GPU ones refuse it).
    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = Self::Partial>> {
        None
    }
}

/// What the rules compare of a result: its exact identity and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// Words that are equal exactly when the results are (counts, or the bits of floats).
    pub exact: Vec<u64>,
    /// The value, in the kernel's unit, for the size of a difference.
    pub value: f64,
}

/// A kernel whose results the agreement rules can check.
pub trait Verify: Kernel {
    /// The measure of a partial (of one block or a range).
    fn measure_partial(&self, partial: &Self::Partial) -> Measure;
    /// The measure of an output.
    fn measure_output(&self, output: &Self::Output) -> Measure;
    /// How far a result the GPU computed in `precision` may lie from the exact one, covering any subset
    /// of the blocks as well as the whole; `None` when it must be equal.
    fn gpu_allowance(&self, precision: Precision) -> Option<f64>;
    /// The problem `output` answers, in one canonical line (floats as their bits): what [`stamp`](crate::validate::stamp) hashes
    /// besides the result.
    fn stamp_line(&self, output: &Self::Output) -> String;
    /// Whether `output` can be trusted as a number: an error ([`Error::NotFinite`](crate::Error::NotFinite)) naming why when it
    /// is not (an integral beyond the `f64` range, an integrand that is not finite somewhere). The
    /// default trusts every output.
    fn check(&self, output: &Self::Output) -> Result<()> {
        let _ = output;
        Ok(())
    }
}

/// A kernel whose partial results can be saved, resumed and merged.
///
/// Its partials must combine **exactly** associatively (integer counts, [`ExactSum`](crate::ExactSum)s), so
/// that a range computed in pieces combines to the same bits as in one run; the built-in kernels' do.
pub trait Resumable: Kernel<Partial: Wire> {
    /// The problem in one canonical line: the kernel's name, then every parameter that decides a block's
    /// partial as `key=value` (floats as their bits), so that two kernels with equal lines have equal
    /// blocks. `None` when the problem cannot be named (a Simpson integrand that is a Rust closure).
    fn problem(&self) -> Option<String>;
}

/// Combines blocks `range` of `kernel` in the fixed order on the calling thread: the reference every
/// backend reproduces, and what the serial backend and each rayon chunk run. `None` for an empty range.
pub(crate) fn reduce_serial<K: Kernel + ?Sized>(kernel: &K, range: Range<u64>) -> Option<K::Partial> {
    let mut fold = TreeFold::new();
    for index in range {
        fold.push(kernel.block(index));
    }
    fold.finish()
}
