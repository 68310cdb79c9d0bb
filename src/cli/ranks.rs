//! The MPI ranks of a `--distributed` command. A process started by an MPI launcher with `--distributed`
//! joins the other ranks before anything can fail, so that a failure on one rank (bad input given to it
//! alone, a different problem) reaches every rank through one exchange, and all of them stop with an error
//! instead of waiting for each other forever.

use std::cell::Cell;

/// This process's place among the ranks, and whether the ranks have agreed on the problem yet.
pub(super) struct Ranks {
    #[cfg(feature = "mpi")]
    cluster: hetero::distributed::Cluster,
    agreed: Cell<bool>,
}

/// This process's rank when an MPI launcher started it (MPICH and Intel MPI set PMI_RANK, Open MPI
/// OMPI_COMM_WORLD_RANK); `None` otherwise.
pub(super) fn launcher_rank() -> Option<String> {
    ["PMI_RANK", "OMPI_COMM_WORLD_RANK"]
        .iter()
        .find_map(|name| std::env::var(name).ok())
}

impl Ranks {
    /// Joins the ranks when this process is one of several started with `--distributed`; `None`
    /// otherwise, or when MPI cannot start (the command then says why when it gets to the run).
    pub(super) fn join() -> Option<Ranks> {
        let distributed = std::env::args_os().any(|arg| arg == "--distributed");
        if !distributed || launcher_rank().is_none() {
            return None;
        }
        #[cfg(feature = "mpi")]
        {
            hetero::distributed::Cluster::init().ok().map(|cluster| Ranks {
                cluster,
                agreed: Cell::new(false),
            })
        }
        #[cfg(not(feature = "mpi"))]
        {
            None
        }
    }

    /// The cluster, once the ranks have agreed that `identity` is the problem every one of them runs.
    #[cfg(feature = "mpi")]
    pub(super) fn agree(&self, identity: u64) -> hetero::Result<&hetero::distributed::Cluster> {
        self.agreed.set(true);
        self.cluster.agree(Some(identity))?;
        Ok(&self.cluster)
    }

    /// Tells the other ranks that this one cannot run (unless they already agreed on a problem, in
    /// which case a failing rank aborts them itself). Returns whether this rank should print its own
    /// error: not when every rank failed, where rank 0 alone speaks for all (they were given the same
    /// bad input).
    pub(super) fn leave_failed(&self) -> bool {
        if self.agreed.replace(true) {
            return true;
        }
        #[cfg(feature = "mpi")]
        {
            let all = self.cluster.identities(None);
            all.iter().any(Option::is_some) || self.cluster.rank() == 0
        }
        #[cfg(not(feature = "mpi"))]
        {
            true
        }
    }
}
