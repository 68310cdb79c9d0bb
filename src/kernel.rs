//! The [`Kernel`] trait: a computation cut into blocks fixed by the problem, and the fixed order in which
//! the blocks' partial results are combined.
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

use std::borrow::Cow;
use std::ops::Range;

use crate::gpu::{GpuCaps, GpuProgram};
use crate::{Error, Result};

/// The partial result of one block or of a range of blocks.
///
/// `combine` must be associative: `a.combine(b).combine(c)` and `a.combine(b.combine(c))` must describe the
/// same result. Backends always combine in the fixed pairwise-tree order (see the [module](self) docs), so
/// where it is only approximately associative the result is still reproducible, but ranges split differently
/// (across MPI ranks, or CPU and GPU) may then differ in rounding. Integer counts and
/// [`ExactSum`](crate::ExactSum) are exactly associative.
pub trait Partial: Send + Sized {
    /// Combines the partial of a range with the partial of the range that immediately follows it.
    fn combine(self, right: Self) -> Self;
}

impl Partial for u64 {
    fn combine(self, right: Self) -> Self {
        self + right
    }
}

/// Per-block results kept in block order: combining concatenates. For kernels that map rather than reduce.
impl<T: Send> Partial for Vec<T> {
    fn combine(mut self, right: Self) -> Self {
        self.extend(right);
        self
    }
}

impl Partial for crate::ExactSum {
    fn combine(mut self, right: Self) -> Self {
        self.merge(&right);
        self
    }
}

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

    /// The GPU program that computes this kernel's blocks, for a device with capabilities `caps`
    /// ([`crate::gpu`] documents the shader interface). Kernels without one run on the CPU backends only:
    /// the default says so.
    fn gpu(&self, caps: &GpuCaps) -> Result<GpuProgram<'_, Self::Partial>> {
        let _ = caps;
        Err(Error::Unsupported(format!(
            "the kernel '{}' has no GPU program",
            self.name()
        )))
    }

    /// Combines blocks `range` in the fixed order on the calling thread: the reference every backend
    /// must reproduce. Returns `None` for an empty range.
    fn reduce_serial(&self, range: Range<u64>) -> Option<Self::Partial> {
        let mut fold = TreeFold::new();
        for index in range {
            fold.push(self.block(index));
        }
        fold.finish()
    }
}

/// A compute shader that a kernel carries for the GPU backend.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WgslProgram {
    /// The WGSL source.
    pub source: Cow<'static, str>,
    /// The name of its `@compute` entry point.
    pub entry_point: Cow<'static, str>,
}

impl WgslProgram {
    /// A program from its source and entry point.
    pub fn new(source: impl Into<Cow<'static, str>>, entry_point: impl Into<Cow<'static, str>>) -> Self {
        WgslProgram {
            source: source.into(),
            entry_point: entry_point.into(),
        }
    }
}

/// Where the pairwise tree splits a range of `len ≥ 2` blocks: after the largest power of two below `len`.
///
/// A range of 2^k blocks is a perfect binary tree; any other range is a perfect tree on its left and the
/// rest on its right. This is the shape [`TreeFold`] builds when fed left to right, so a recursive
/// divide-and-conquer backend and a streaming one combine in the same order.
///
/// ```
/// use hetero::kernel::split_point;
/// assert_eq!(split_point(2), 1);
/// assert_eq!(split_point(4), 2);
/// assert_eq!(split_point(5), 4);
/// assert_eq!(split_point(12), 8);
/// ```
pub fn split_point(len: u64) -> u64 {
    debug_assert!(len >= 2);
    1 << (63 - (len - 1).leading_zeros())
}

/// Streams partials left to right and combines them in the pairwise-tree order of [`split_point`],
/// holding at most 64 partials at once.
///
/// ```
/// use hetero::kernel::TreeFold;
/// # use hetero::Partial;
/// # struct Show(String);
/// # impl Partial for Show {
/// #     fn combine(self, r: Self) -> Self { Show(format!("({} {})", self.0, r.0)) }
/// # }
/// let mut fold = TreeFold::new();
/// for i in 0..5 {
///     fold.push(Show(i.to_string()));
/// }
/// assert_eq!(fold.finish().unwrap().0, "(((0 1) (2 3)) 4)");
/// ```
pub struct TreeFold<P> {
    /// Completed perfect subtrees, sizes strictly decreasing from bottom to top.
    stack: Vec<(u64, P)>,
}

impl<P: Partial> Default for TreeFold<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Partial> TreeFold<P> {
    /// An empty fold.
    pub fn new() -> Self {
        TreeFold { stack: Vec::new() }
    }

    /// Appends the partial of the next block.
    pub fn push(&mut self, partial: P) {
        let mut node = (1u64, partial);
        while let Some((size, _)) = self.stack.last() {
            if *size != node.0 {
                break;
            }
            let Some((size, left)) = self.stack.pop() else {
                break;
            };
            node = (size * 2, left.combine(node.1));
        }
        self.stack.push(node);
    }

    /// The combination of everything pushed, or `None` if nothing was.
    pub fn finish(mut self) -> Option<P> {
        let mut acc = self.stack.pop()?.1;
        while let Some((_, left)) = self.stack.pop() {
            acc = left.combine(acc);
        }
        Some(acc)
    }
}

/// A partial that records the shape of the tree that combined it, for the unit tests of everything that
/// combines partials.
#[cfg(test)]
pub(crate) mod shapes {
    use super::{Partial, TreeFold, split_point};

    /// Block `i` is `"i"`; combining writes `"(left right)"`.
    #[derive(Debug, PartialEq)]
    pub(crate) struct Shape(pub(crate) String);

    impl Partial for Shape {
        fn combine(self, right: Self) -> Self {
            Shape(format!("({} {})", self.0, right.0))
        }
    }

    /// The pairwise tree over blocks `lo..hi`, built by recursion on [`split_point`].
    pub(crate) fn tree(lo: u64, hi: u64) -> String {
        if hi - lo == 1 {
            return lo.to_string();
        }
        let mid = lo + split_point(hi - lo);
        format!("({} {})", tree(lo, mid), tree(mid, hi))
    }

    /// Blocks `range` streamed through a [`TreeFold`] (an empty shape for an empty range).
    pub(crate) fn folded(range: std::ops::Range<u64>) -> Shape {
        let mut fold = TreeFold::new();
        range.for_each(|i| fold.push(Shape(i.to_string())));
        fold.finish().unwrap_or(Shape(String::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::shapes::{Shape, tree};
    use super::*;

    #[test]
    fn streaming_fold_builds_the_recursive_tree() {
        for len in 1..70u64 {
            let mut fold = TreeFold::new();
            for i in 0..len {
                fold.push(Shape(i.to_string()));
            }
            assert_eq!(fold.finish().map(|s| s.0), Some(tree(0, len)), "len {len}");
        }
        assert!(TreeFold::<Shape>::new().finish().is_none());
    }

    #[test]
    fn split_points() {
        let expected = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1 << 40, 1 << 39)];
        for (len, mid) in expected {
            assert_eq!(split_point(len), mid, "len {len}");
        }
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }
}
