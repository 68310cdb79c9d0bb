//! The one error type of hetero, and its `Result` alias.

/// Everything that can go wrong when building or running a kernel.
///
/// Every fallible function in the library returns this type; the command line maps it to one line on
/// stderr and a non-zero exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter of a kernel or of the engine is out of its domain (zero samples, a NaN bound, σ ≤ 0…).
    #[error("invalid {what}: {why}")]
    InvalidParameter {
        /// The parameter, as a user would name it.
        what: &'static str,
        /// What is wrong with the value given.
        why: String,
    },
    /// A block range that is not inside `0..kernel.blocks()`.
    #[error("block range {start}..{end} is not inside 0..{blocks}")]
    InvalidRange {
        /// First block asked for.
        start: u64,
        /// One past the last block asked for.
        end: u64,
        /// How many blocks the kernel has.
        blocks: u64,
    },
    /// A kernel with no blocks at all was asked to produce a result.
    #[error("the kernel has no work: it has zero blocks")]
    EmptyKernel,
    /// A worker panicked while computing a block; the run was stopped and nothing is returned for it.
    #[error("a worker of the {backend} backend panicked: {message}")]
    WorkerPanicked {
        /// The backend whose worker panicked.
        backend: &'static str,
        /// The panic message, when it was a string.
        message: String,
    },
    /// No GPU adapter could be opened: none is installed, or the one asked for does not exist.
    #[error("{0}")]
    NoGpu(String),
    /// The GPU reported an error: a shader that does not compile, out of memory, a lost device, a failed
    /// readback.
    #[error("GPU: {0}")]
    Gpu(String),
    /// The kernel cannot run the way it was asked to (no GPU program, or a precision the device lacks).
    #[error("{0}")]
    Unsupported(String),
    /// The operating system refused to start a thread or a thread pool.
    #[error("could not start worker threads: {0}")]
    Threads(String),
    /// A run was stopped before its first blocks were done, or its kernel cannot report a result for the
    /// blocks that were (see [`Kernel::finish_prefix`](crate::Kernel::finish_prefix)).
    #[error("stopped after {completed} of {blocks} blocks, before a partial result could be reported")]
    Interrupted {
        /// Blocks completed, from the first.
        completed: u64,
        /// Blocks of the whole problem.
        blocks: u64,
    },
    /// An invariant of hetero itself did not hold: a bug to report.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `Result` with hetero's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Self {
        Error::InvalidParameter { what, why: why.into() }
    }

    /// Turns a panic payload into [`Error::WorkerPanicked`].
    pub(crate) fn from_panic(backend: &'static str, payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "(a panic payload that is not a string)".to_owned()
        };
        Error::WorkerPanicked { backend, message }
    }
}
