//! Cutting a block range into chunks that are whole subtrees of its fixed combination tree, and putting
//! their partials back together in that tree's order.
//!
//! A chunk handed to a worker is always a *node* of the pairwise tree of [`split_point`] over the whole
//! range. The partial a backend returns for a chunk is that node's value, so reassembling the chunks by
//! walking the tree from the root gives exactly the bits of a single run over the whole range, whatever
//! the partial's `combine` is (even a plain `f64` sum), and however chunks were shared between workers.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::tree::{Partial, append, split_point};
use crate::{Error, Result};

/// The largest node of the tree over `0..len` that starts at `offset` and has at most `max` blocks
/// (at least one block; `offset < len`).
///
/// ```text
/// len 12: (((0 1) (2 3)) ((4 5) (6 7))) ((8 9) (10 11))
/// node_at(12, 0, 100) = 12, node_at(12, 4, 100) = 4, node_at(12, 8, 3) = 2
/// ```
pub(crate) fn node_at(len: u64, offset: u64, max: u64) -> u64 {
    debug_assert!(offset < len);
    let (mut lo, mut hi) = (0, len);
    loop {
        if lo == offset && hi - lo <= max.max(1) {
            return hi - lo;
        }
        let mid = lo + split_point(hi - lo);
        if offset < mid {
            hi = mid;
        } else {
            lo = mid;
        }
    }
}

/// Partials of finished chunks, keyed by their first block relative to the start of the range.
pub(crate) struct Chunks<P> {
    len: u64,
    done: BTreeMap<u64, (u64, P)>,
}

impl<P: Partial> Chunks<P> {
    /// No chunk yet, of a range of `len` blocks.
    pub(crate) fn new(len: u64) -> Self {
        Chunks {
            len,
            done: BTreeMap::new(),
        }
    }

    /// Records the partial of the chunk `range` (relative offsets), a node from [`node_at`].
    pub(crate) fn insert(&mut self, range: Range<u64>, partial: P) {
        self.done.insert(range.start, (range.end, partial));
    }

    /// Blocks in the range.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Blocks in recorded chunks.
    pub(crate) fn blocks(&self) -> u64 {
        self.done
            .values()
            .zip(self.done.keys())
            .map(|((end, _), start)| end - start)
            .sum()
    }

    /// The end of the longest run of recorded chunks from offset 0.
    pub(crate) fn prefix_end(&self) -> u64 {
        let mut end = 0;
        for (&start, (stop, _)) in &self.done {
            if start != end {
                break;
            }
            end = *stop;
        }
        end
    }

    /// The partial of the whole range, combined in its tree order; every block must be recorded.
    pub(crate) fn assemble(mut self) -> Result<Option<P>> {
        if self.len == 0 {
            return Ok(None);
        }
        let len = self.len;
        self.node(0, len).map(Some)
    }

    /// The partial of the recorded prefix `0..prefix_end()`, combined left to right, and its end.
    /// Used when a run stops early: every partial computed so far that joins up with the start is kept.
    pub(crate) fn assemble_prefix(self) -> (Option<P>, u64) {
        let end = self.prefix_end();
        let mut total: Option<P> = None;
        for (start, (_, partial)) in self.done {
            if start >= end {
                break;
            }
            append(&mut total, partial);
        }
        (total, end)
    }

    fn node(&mut self, lo: u64, hi: u64) -> Result<P> {
        if let Some((end, _)) = self.done.get(&lo)
            && *end == hi
            && let Some((_, partial)) = self.done.remove(&lo)
        {
            return Ok(partial);
        }
        if hi - lo == 1 {
            return Err(Error::Internal(format!("block {lo} of the range was never computed")));
        }
        let mid = lo + split_point(hi - lo);
        let left = self.node(lo, mid)?;
        let right = self.node(mid, hi)?;
        Ok(left.combine(right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::shapes::{Shape, folded, tree};

    #[test]
    fn nodes_start_where_asked_and_respect_the_limit() {
        assert_eq!(node_at(12, 0, 100), 12);
        assert_eq!(node_at(12, 0, 11), 8);
        assert_eq!(node_at(12, 4, 100), 4);
        assert_eq!(node_at(12, 8, 3), 2);
        assert_eq!(node_at(12, 8, 4), 4);
        assert_eq!(node_at(7, 6, 5), 1);
        assert_eq!(node_at(1, 0, 0), 1);
    }

    /// Chunks of any sizes, handed out left to right or by two interleaved workers, reassemble into the
    /// same tree as one pass over the range.
    #[test]
    fn any_chunking_reassembles_the_tree() {
        for len in 1..80u64 {
            for pattern in [[1, 1], [3, 1], [2, 7], [64, 1], [5, 16]] {
                let mut chunks = Chunks::new(len);
                let mut offset = 0;
                let mut turn = 0;
                while offset < len {
                    let size = node_at(len, offset, pattern[turn % 2]);
                    let partial = folded(offset..offset + size).0;
                    assert_eq!(partial, tree(offset, offset + size), "chunk {offset}+{size} of {len}");
                    chunks.insert(offset..offset + size, Shape(partial));
                    offset += size;
                    turn += 1;
                }
                assert_eq!(chunks.blocks(), len);
                let whole = chunks.assemble().ok().flatten().map(|s| s.0);
                assert_eq!(whole, Some(tree(0, len)), "len {len}, pattern {pattern:?}");
            }
        }
    }

    #[test]
    fn a_missing_block_is_an_error_and_the_prefix_is_kept() {
        let mut chunks = Chunks::new(8);
        chunks.insert(0..2, Shape("a".into()));
        chunks.insert(2..3, Shape("b".into()));
        chunks.insert(4..8, Shape("c".into()));
        assert_eq!(chunks.prefix_end(), 3);
        let (prefix, end) = chunks.assemble_prefix();
        assert_eq!((prefix.map(|s| s.0), end), (Some("(a b)".to_owned()), 3));

        let mut gap = Chunks::new(4);
        gap.insert(0..2, Shape("a".into()));
        assert!(gap.assemble().is_err());
    }
}
