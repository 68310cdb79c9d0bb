//! The fixed combination tree: how partial results combine ([`Partial`]), the shape every backend combines
//! them in ([`split_point`], [`TreeFold`]). A leaf of the library: it knows nothing of kernels or backends.

/// The partial result of one block or of a range of blocks.
///
/// `combine` must be associative: `a.combine(b).combine(c)` and `a.combine(b.combine(c))` must describe the
/// same result. Backends always combine in the fixed pairwise-tree order (see the [`kernel`](crate::kernel) module docs), so
/// where it is only approximately associative the result is still reproducible, but ranges split differently
/// (across MPI ranks, or CPU and GPU) may then differ in rounding. Integer counts and
/// [`ExactSum`](crate::exact::ExactSum) are exactly associative.
pub trait Partial: Send + Sized {
    /// Combines the partial of a range with the partial of the range that immediately follows it.
    fn combine(self, right: Self) -> Self;
}

/// Combines `right`, the partial of the range that follows `total`'s, onto the end of `total` (which
/// becomes `right` when it is still empty): how partials of consecutive ranges are gathered in order.
pub(crate) fn append<P: Partial>(total: &mut Option<P>, right: P) {
    *total = Some(match total.take() {
        Some(left) => left.combine(right),
        None => right,
    });
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

impl Partial for crate::exact::ExactSum {
    fn combine(mut self, right: Self) -> Self {
        self.merge(&right);
        self
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
/// The blocks of `rank` among `ranks`: contiguous, in rank order, sizes differing by at most one.
///
/// ```
/// use hetero::distributed::rank_range;
/// assert_eq!(rank_range(10, 0, 3), 0..3);
/// assert_eq!(rank_range(10, 1, 3), 3..6);
/// assert_eq!(rank_range(10, 2, 3), 6..10);
/// assert_eq!(rank_range(2, 3, 4), 1..2);
/// ```
pub fn rank_range(blocks: u64, rank: usize, ranks: usize) -> std::ops::Range<u64> {
    let at = |r: usize| (u128::from(blocks) * r as u128 / ranks.max(1) as u128) as u64;
    at(rank)..at(rank + 1)
}

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
