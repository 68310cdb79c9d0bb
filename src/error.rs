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
    /// An expression ([`crate::expr`]) that does not parse: an unknown name, a wrong number of arguments,
    /// unbalanced parentheses, an empty text.
    #[error("{message}{}{hint}", at_column(*.column))]
    Expression {
        /// What is wrong.
        message: String,
        /// Where, counted in characters from 1, when it is at one place.
        column: Option<usize>,
        /// What would be right, after the column (`"; the functions are …"`), or empty.
        hint: String,
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
    /// No GPU adapter could be opened: none is installed, or the one asked for does not exist (its kind is
    /// [`GpuErrorKind::NoAdapter`]).
    #[error("{0}")]
    NoGpu(#[source] GpuError),
    /// The GPU reported an error while running: out of memory, a lost device, a shader that does not
    /// compile, a failed readback; [`GpuError::kind`] tells which.
    #[error("GPU: {0}")]
    Gpu(#[source] GpuError),
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
    /// The MPI ranks cannot run together: one could not start, or they were given different problems.
    #[error("{0}")]
    Distributed(String),
    /// A calibration or comparison was stopped through its [`Control`](crate::Control) before it was done;
    /// what it had completed is kept where it says so.
    #[error("stopped during {0}")]
    Stopped(String),
    /// A result that cannot be trusted as a number: beyond the `f64` range, or made of values that are
    /// not finite. Reported instead of an infinite or NaN value.
    #[error("{0}")]
    NotFinite(String),
    /// A saved partial result ([`crate::checkpoint`]) that cannot be used: corrupt or truncated, of another
    /// problem, format or version of hetero, or results that do not fit together (overlaps, gaps).
    #[error("{0}")]
    PartialResult(String),
    /// A time limit ended a run before it had anything to report (its first run or block was not done).
    #[error("{0}")]
    TimeLimit(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// An invariant of hetero itself did not hold: a bug to report.
    #[error("internal error: {0}")]
    Internal(String),
}

/// ` at column N`, or nothing.
fn at_column(column: Option<usize>) -> String {
    column.map(|c| format!(" at column {c}")).unwrap_or_default()
}

/// What kind of GPU failure a [`GpuError`] is, to act on without reading its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GpuErrorKind {
    /// No adapter at all, or a device that could not be created on it.
    NoAdapter,
    /// The adapter asked for (by index or name) is not among those found.
    UnknownAdapter,
    /// The device ran out of memory for buffers or a dispatch.
    OutOfMemory,
    /// The device was lost (driver reset, hang detection, unplugged).
    DeviceLost,
    /// The driver rejected a shader or a pipeline (it does not compile or does not validate).
    ShaderRejected,
    /// Results could not be read back (mapping the staging buffer failed).
    MapFailed,
    /// The device did not finish a dispatch in time.
    Timeout,
    /// Any other error the device reported.
    Other,
}

/// A GPU failure: its [`kind`](GpuError::kind), what hetero was doing, and the driver's own error where
/// there is one (as its [`source`](std::error::Error::source)).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct GpuError {
    kind: GpuErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl GpuError {
    /// An error of `kind`, described by `message`.
    pub fn new(kind: GpuErrorKind, message: impl Into<String>) -> Self {
        GpuError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same error, caused by `source`.
    pub fn with_source(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        GpuError {
            source: Some(Box::new(source)),
            ..self
        }
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> GpuErrorKind {
        self.kind
    }

    /// What hetero was doing and what went wrong, in one line.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// `Result` with hetero's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// [`Error::InvalidRange`] unless `range` lies inside `0..blocks`.
pub(crate) fn check_range(range: &std::ops::Range<u64>, blocks: u64) -> Result<()> {
    if range.start > range.end || range.end > blocks {
        return Err(Error::InvalidRange {
            start: range.start,
            end: range.end,
            blocks,
        });
    }
    Ok(())
}

impl Error {
    /// Whether the error is the caller's input, not a failure while running: what the command line
    /// answers with exit code 2 and Python with `ValueError`. Bad parameters, expressions that do not
    /// parse, a kernel that cannot run the way it was asked, a saved partial result that does not fit the
    /// problem, and an adapter name that names none.
    ///
    /// ```
    /// use hetero::{Error, kernels::MonteCarloPi};
    ///
    /// assert!(MonteCarloPi::new(0, 1).unwrap_err().is_bad_input());
    /// assert!(!Error::NotFinite("an integral beyond the f64 range".into()).is_bad_input());
    /// ```
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::InvalidParameter { .. }
            | Error::InvalidRange { .. }
            | Error::EmptyKernel
            | Error::Unsupported(_)
            | Error::Expression { .. }
            | Error::PartialResult(_) => true,
            Error::NoGpu(e) => e.kind() == GpuErrorKind::UnknownAdapter,
            _ => false,
        }
    }

    /// Shorthand for [`Error::Gpu`] of a [`GpuError`] of `kind`.
    pub(crate) fn gpu(kind: GpuErrorKind, message: impl Into<String>) -> Self {
        Error::Gpu(GpuError::new(kind, message))
    }

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
