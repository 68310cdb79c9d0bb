//! The rayon backend: a fork-join recursion over the pairwise tree, on a pool built once per engine.
//!
//! The recursion splits exactly where [`split_point`] says, so the tree, and therefore the result, is the
//! one the serial fold builds; rayon only decides which thread computes which subtree.

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rayon::ThreadPool;

use crate::kernel::split_point;
use crate::{Error, Kernel, Partial, Result};

pub(crate) fn reduce<K: Kernel>(pool: &ThreadPool, kernel: &K, range: Range<u64>) -> Result<Option<K::Partial>> {
    if range.is_empty() {
        return Ok(None);
    }
    // One block has nothing to share: computing it here saves waking the pool, the whole cost of a tiny job.
    let inline = range.end - range.start == 1;
    catch_unwind(AssertUnwindSafe(|| {
        if inline {
            kernel.block(range.start)
        } else {
            pool.install(|| subtree(kernel, range.start, range.end))
        }
    }))
    .map(Some)
    .map_err(|p| Error::from_panic("rayon", p))
}

fn subtree<K: Kernel>(kernel: &K, lo: u64, hi: u64) -> K::Partial {
    if hi - lo == 1 {
        return kernel.block(lo);
    }
    let mid = lo + split_point(hi - lo);
    let (left, right) = rayon::join(|| subtree(kernel, lo, mid), || subtree(kernel, mid, hi));
    left.combine(right)
}
