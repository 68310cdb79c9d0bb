//! Several processes on one answer: the block range split into balanced contiguous ranges, one per MPI rank,
//! each rank running its local backend, the partials combined exactly.
//!
//! [`Wire`] is how a partial travels between processes, and [`rank_range`] how blocks are split; both are
//! plain Rust. The MPI part, `Cluster`, needs the `mpi` cargo feature and a system MPI.

use std::path::{Path, PathBuf};

pub use crate::tree::rank_range;
pub use crate::wire::Wire;

/// The checkpoint file of `rank` among `ranks` for a distributed run given `path`: `path` with
/// `.rank-R-of-N` added, so that each rank saves its own range.
///
/// ```
/// use std::path::Path;
/// use hetero::distributed::rank_checkpoint;
/// assert_eq!(rank_checkpoint(Path::new("run.ckpt"), 2, 4), Path::new("run.ckpt.rank-2-of-4"));
/// ```
pub fn rank_checkpoint(path: &Path, rank: usize, ranks: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".rank-{rank}-of-{ranks}"));
    PathBuf::from(name)
}

/// The identity of a problem for `Cluster::agree` (feature `mpi`): the first 64 bits of SHA-256 over hetero's version
/// and `description` (the kernel and its parameters, in any canonical form the ranks share).
///
/// ```
/// use hetero::distributed::problem_id;
/// assert_eq!(problem_id("pi samples=1000000 seed=42"), problem_id("pi samples=1000000 seed=42"));
/// assert_ne!(problem_id("pi samples=1000000 seed=42"), problem_id("pi samples=2000000 seed=42"));
/// ```
pub fn problem_id(description: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(format!("hetero {}\n", env!("CARGO_PKG_VERSION")))
        .chain_update(description)
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// What one rank did.
#[derive(Clone, Debug, serde::Serialize)]
#[non_exhaustive]
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
}
