//! The MPI side of [`crate::distributed`]: one process per rank, results combined on rank 0.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use mpi::Threading;
use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};

use super::{RankReport, Wire, rank_checkpoint, rank_range};
use crate::checkpoint::{self, PartialResult, Resumable};
use crate::control::Control;
use crate::gpu::GpuReport;
use crate::tree::append;
use crate::{Backend, Engine, Error, Kernel, Result, Run};

/// This process's place among the MPI ranks. Create one, once, at the start of the program.
pub struct Cluster {
    // Dropping the universe finalizes MPI, so it lives as long as the cluster.
    _universe: Universe,
    world: SimpleCommunicator,
}

/// A run combined over every rank, as rank 0 sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct DistributedRun<T> {
    /// The combined result: bit for bit what a single process computes.
    pub run: Run<T>,
    /// Each rank's blocks and time, in rank order.
    pub ranks: Vec<RankReport>,
}

impl Cluster {
    /// Initializes MPI (only the main thread calls MPI; worker threads compute).
    pub fn init() -> Result<Self> {
        let (universe, _) = mpi::initialize_with_threading(Threading::Funneled)
            .ok_or_else(|| Error::Unsupported("MPI is already initialized in this process".to_owned()))?;
        let world = universe.world();
        Ok(Cluster {
            _universe: universe,
            world,
        })
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    /// How many ranks there are.
    pub fn size(&self) -> usize {
        self.world.size() as usize
    }

    /// Makes sure every rank is about to run the same problem with the same hetero, before any work:
    /// each rank passes the identity of its problem (a hash of hetero's version, the kernel and its
    /// parameters: [`problem_id`](super::problem_id)), or `None` when it could not get as far as a problem (bad input on that
    /// rank alone). One collective of one word per rank; afterwards every rank knows the same thing, so
    /// all of them fail together, with the same error, rather than one waiting for the others forever or
    /// the ranks combining parts of different problems.
    pub fn agree(&self, identity: Option<u64>) -> Result<()> {
        let all = self.identities(identity);
        if let Some(rank) = all.iter().position(Option::is_none) {
            return Err(Error::Distributed(format!(
                "rank {rank} of {} could not start its part (its own error says why); no rank ran",
                self.size()
            )));
        }
        if let Some(rank) = all.iter().position(|id| *id != all[0]) {
            return Err(Error::Distributed(format!(
                "rank {rank} was started with a different problem or hetero version than rank 0; every rank \
                 must run the same command (only --backend and --threads may differ); no rank ran",
            )));
        }
        Ok(())
    }

    /// Every rank's identity as [`Cluster::agree`] exchanges them, in rank order (`None` for a rank that
    /// could not start): what a rank that failed needs to know to tell whether every rank failed alike.
    pub fn identities(&self, identity: Option<u64>) -> Vec<Option<u64>> {
        // 0 means "no problem"; identities are made odd so that none is 0.
        let mine = identity.map_or(0, |id| id | 1);
        let mut all = vec![0u64; self.size()];
        self.world.all_gather_into(&mine, &mut all[..]);
        all.into_iter().map(|id| (id != 0).then_some(id)).collect()
    }

    /// Stops every rank with exit code `code`: the way out when one rank cannot go on, since the others
    /// would wait for it in the next collective.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }

    /// Runs `kernel`, each rank on its [`rank_range`] with `backend`, and combines the partials on rank 0:
    /// summable ones (integer counts) by an allreduce, the others gathered and combined in rank order.
    /// Rank 0 gets `Some`, the other ranks `None`.
    ///
    /// An error on any rank is printed by that rank and aborts every rank: MPI cannot finish a collective
    /// that one rank has left.
    ///
    /// Each rank watches `control`: a rank whose stop flag is raised (mpiexec passes Ctrl-C on to every
    /// rank) stops between chunks, and the ranks then combine the part of the blocks done without a gap
    /// from block 0 (every block of the ranks before the first one that stopped, and that rank's own
    /// prefix): rank 0's result is then exactly the smaller problem those blocks make up, marked
    /// interrupted, as in a single process.
    pub fn run<K>(
        &self,
        engine: &Engine,
        kernel: &K,
        backend: Backend,
        control: &Control,
    ) -> Option<DistributedRun<K::Output>>
    where
        K: Kernel,
        K::Partial: Wire,
    {
        let start = Instant::now();
        let range = rank_range(kernel.blocks(), self.rank(), self.size());
        let driven = match engine.drive(kernel, backend, range, control) {
            Ok(driven) => driven,
            Err(e) => self.fail(&e),
        };
        self.combine(
            engine,
            kernel,
            backend,
            start,
            (driven.partial, driven.completed, driven.gpu),
        )
    }

    /// [`run`](Self::run), with each rank saving its range's progress to a checkpoint file of its own
    /// ([`rank_checkpoint`]) every `every` and when stopped, and resuming from it: run again on as many
    /// ranks, the command computes only what is missing, to the same bits. A checkpoint that does not fit
    /// (another problem, or another rank count) is an error on that rank, which stops every rank before
    /// any work.
    pub fn run_checkpointed<K>(
        &self,
        engine: &Engine,
        kernel: &K,
        backend: Backend,
        control: &Control,
        checkpoint: &Path,
        every: Duration,
    ) -> Option<DistributedRun<K::Output>>
    where
        K: Resumable,
    {
        let start = Instant::now();
        let path = rank_checkpoint(checkpoint, self.rank(), self.size());
        let range = rank_range(kernel.blocks(), self.rank(), self.size());
        let resumed = PartialResult::new(kernel, range).and_then(|fresh| PartialResult::resume(&path, fresh, kernel));
        let begun = match resumed.and_then(|r| r.write(&path).map(|()| r)) {
            Ok(begun) => begun,
            Err(e) => self.fail(&e),
        };
        // Every rank knows its checkpoint before any computes: one that cannot start stops them all.
        self.all_ok();
        let mut save = |result: &PartialResult| result.write(&path);
        let advanced = checkpoint::advance(engine, kernel, backend.into(), begun, control, every, &mut save);
        let (result, session) = match advanced {
            Ok(advanced) => advanced,
            Err(e) => self.fail(&e),
        };
        if let Some(e) = session.failure {
            self.fail(&e);
        }
        let partial = match result.partial(kernel) {
            Ok(partial) => partial,
            Err(e) => self.fail(&e),
        };
        let done = result.done();
        self.combine(
            engine,
            kernel,
            backend,
            start,
            (partial, done.end - done.start, session.gpu),
        )
    }

    /// Waits until every rank has reached this point (a rank that failed before it has aborted them all).
    fn all_ok(&self) {
        self.world.barrier();
    }

    /// Combines each rank's `local` (its partial, the blocks it covers from its range's start, its GPU
    /// report) on rank 0, as [`run`](Self::run) describes.
    fn combine<K>(
        &self,
        engine: &Engine,
        kernel: &K,
        backend: Backend,
        start: Instant,
        local: (Option<K::Partial>, u64, Option<GpuReport>),
    ) -> Option<DistributedRun<K::Output>>
    where
        K: Kernel,
        K::Partial: Wire,
    {
        let (rank, size) = (self.rank(), self.size());
        let range = rank_range(kernel.blocks(), rank, size);
        let (partial, done, report) = local;
        let seconds = start.elapsed().as_secs_f64();

        // The blocks done without a gap from block 0: whole ranks up to the first that stopped short,
        // and that one's own prefix. The ranks after it contribute nothing.
        let mut completed = vec![0u64; size];
        self.world.all_gather_into(&done, &mut completed[..]);
        let short = (0..size).find(|&r| {
            let theirs = rank_range(kernel.blocks(), r, size);
            completed[r] < theirs.end - theirs.start
        });
        let prefix = match short {
            Some(r) => rank_range(kernel.blocks(), r, size).start + completed[r],
            None => kernel.blocks(),
        };
        let partial = match short {
            Some(r) if rank > r => None,
            _ => partial,
        };

        // [present, words…]: a rank with no blocks sends zeros.
        let width = K::Partial::WORDS + 1;
        let mut local = vec![0u64; width];
        if let Some(p) = &partial {
            local[0] = 1;
            local[1..].copy_from_slice(&p.to_words());
        }
        let root = self.world.process_at_rank(0);
        let timing = [range.start, range.end, seconds.to_bits()];
        let mut combined = None;
        if K::Partial::SUMMABLE {
            let mut total = vec![0u64; width];
            self.world
                .all_reduce_into(&local[..], &mut total[..], SystemOperation::sum());
            if total[0] > 0 {
                combined = Some(K::Partial::from_words(&total[1..]).unwrap_or_else(|| self.corrupt()));
            }
        } else if rank == 0 {
            let mut all = vec![0u64; width * size];
            root.gather_into_root(&local[..], &mut all[..]);
            for slot in all.chunks_exact(width).filter(|slot| slot[0] == 1) {
                let part = K::Partial::from_words(&slot[1..]).unwrap_or_else(|| self.corrupt());
                append(&mut combined, part);
            }
        } else {
            root.gather_into(&local[..]);
        }

        if rank != 0 {
            root.gather_into(&timing[..]);
            return None;
        }
        let mut timings = vec![0u64; 3 * size];
        root.gather_into_root(&timing[..], &mut timings[..]);
        let ranks = timings
            .chunks_exact(3)
            .enumerate()
            .map(|(rank, t)| RankReport {
                rank,
                blocks: (t[0], t[1]),
                seconds: f64::from_bits(t[2]),
            })
            .collect();
        let interrupted = prefix < kernel.blocks();
        let Some(total) = combined else {
            let error = match interrupted {
                true => Error::Interrupted {
                    completed: 0,
                    blocks: kernel.blocks(),
                },
                false => Error::EmptyKernel,
            };
            self.fail(&error)
        };
        let (output, elements) = if interrupted {
            let output = kernel.finish_prefix(total, prefix).unwrap_or_else(|| {
                self.fail(&Error::Interrupted {
                    completed: prefix,
                    blocks: kernel.blocks(),
                })
            });
            (output, kernel.elements_in(prefix))
        } else {
            (kernel.finish(total), kernel.elements())
        };
        Some(DistributedRun {
            run: Run {
                output,
                backend,
                threads: engine.threads_for(backend),
                blocks: kernel.blocks(),
                completed: prefix,
                interrupted,
                elements,
                elapsed: start.elapsed(),
                gpu: report,
                split: None,
            },
            ranks,
        })
    }

    fn fail(&self, error: &Error) -> ! {
        // A line that cannot be written is dropped: the abort below still stops every rank.
        let line = format!("hetero: error on rank {} of {}: {error}", self.rank(), self.size());
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        // The line is in the pipe to the process manager, which forwards it asynchronously; an abort at
        // once can make it kill every rank before it has read the pipe, and the message is lost. A pause
        // on this already failing path lets it through.
        let _ = std::io::stderr().flush();
        std::thread::sleep(std::time::Duration::from_millis(250));
        self.abort(1)
    }

    fn corrupt(&self) -> ! {
        self.fail(&Error::Unsupported(
            "a rank sent a partial that does not decode".to_owned(),
        ))
    }
}
