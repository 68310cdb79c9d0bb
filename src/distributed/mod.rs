//! Several processes on one answer: the block range split into balanced contiguous ranges, one per MPI rank,
//! each rank running its local backend, the partials combined exactly.
//!
//! [`Wire`] is how a partial travels between processes, and [`rank_range`] how blocks are split; both are
//! plain Rust. The MPI part, `Cluster`, needs the `mpi` cargo feature and a system MPI.

use std::ops::Range;

use crate::kernels::{Hits, SimpsonPartial};
use crate::{ExactSum, Partial};

/// The blocks of `rank` among `ranks`: contiguous, in rank order, sizes differing by at most one.
///
/// ```
/// use hetero::distributed::rank_range;
/// assert_eq!(rank_range(10, 0, 3), 0..3);
/// assert_eq!(rank_range(10, 1, 3), 3..6);
/// assert_eq!(rank_range(10, 2, 3), 6..10);
/// assert_eq!(rank_range(2, 3, 4), 1..2);
/// ```
pub fn rank_range(blocks: u64, rank: usize, ranks: usize) -> Range<u64> {
    let at = |r: usize| (u128::from(blocks) * r as u128 / ranks.max(1) as u128) as u64;
    at(rank)..at(rank + 1)
}

/// A partial that can travel between processes as a fixed number of 64-bit words.
pub trait Wire: Partial {
    /// Words of every encoding of this type.
    const WORDS: usize;
    /// Whether combining two partials is adding their words (wrapping), so that an MPI sum-allreduce
    /// combines them. Integer counts are; floating partials are gathered and combined in rank order.
    const SUMMABLE: bool = false;
    /// The encoding, [`Self::WORDS`] words long.
    fn to_words(&self) -> Vec<u64>;
    /// The partial `words` encodes, or `None` if they are not an encoding.
    fn from_words(words: &[u64]) -> Option<Self>;
}

impl Wire for u64 {
    const WORDS: usize = 1;
    const SUMMABLE: bool = true;
    fn to_words(&self) -> Vec<u64> {
        vec![*self]
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        words.first().copied()
    }
}

impl Wire for Hits {
    const WORDS: usize = 2;
    const SUMMABLE: bool = true;
    fn to_words(&self) -> Vec<u64> {
        vec![self.hits, self.samples]
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        match words {
            [hits, samples] => Some(Hits {
                hits: *hits,
                samples: *samples,
            }),
            _ => None,
        }
    }
}

impl Wire for ExactSum {
    const WORDS: usize = ExactSum::WORDS;
    fn to_words(&self) -> Vec<u64> {
        ExactSum::to_words(self)
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        ExactSum::from_words(words)
    }
}

impl Wire for SimpsonPartial {
    const WORDS: usize = 4 * ExactSum::WORDS;
    fn to_words(&self) -> Vec<u64> {
        [&self.ends, &self.odd, &self.even2, &self.even0]
            .into_iter()
            .flat_map(|s| s.to_words())
            .collect()
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        if words.len() != Self::WORDS {
            return None;
        }
        let mut parts = words.chunks_exact(ExactSum::WORDS).map(ExactSum::from_words);
        Some(SimpsonPartial {
            ends: parts.next()??,
            odd: parts.next()??,
            even2: parts.next()??,
            even0: parts.next()??,
        })
    }
}

/// What one rank did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RankReport {
    /// The rank.
    pub rank: usize,
    /// Its blocks, `first .. end`.
    pub blocks: (u64, u64),
    /// Its wall time, in seconds.
    pub seconds: f64,
}

#[cfg(feature = "mpi")]
mod cluster;

#[cfg(feature = "mpi")]
pub use cluster::{Cluster, DistributedRun};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_tile_the_blocks() {
        for blocks in [0u64, 1, 2, 7, 100, u64::MAX] {
            for ranks in 1..9 {
                let mut next = 0;
                for rank in 0..ranks {
                    let r = rank_range(blocks, rank, ranks);
                    assert_eq!(r.start, next);
                    assert!(r.end - r.start - blocks / ranks as u64 <= 1);
                    next = r.end;
                }
                assert_eq!(next, blocks);
            }
        }
    }

    #[test]
    fn partials_round_trip() {
        let hits = Hits {
            hits: 3,
            samples: u64::MAX,
        };
        assert_eq!(Hits::from_words(&hits.to_words()), Some(hits));
        let simpson = SimpsonPartial {
            ends: ExactSum::of(1.0),
            odd: ExactSum::of(-2.5),
            even2: ExactSum::of(1e-300),
            even0: ExactSum::of(f64::NEG_INFINITY),
        };
        assert_eq!(SimpsonPartial::from_words(&simpson.to_words()), Some(simpson));
        assert!(SimpsonPartial::from_words(&[0; 5]).is_none());
    }
}
