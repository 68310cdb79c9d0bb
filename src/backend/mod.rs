//! Execution strategies. Each one computes the partial of a block range in the fixed pairwise-tree order
//! of [`crate::kernel`], so all of them return the same bits.

pub(crate) mod hybrid;
pub(crate) mod parallel;
pub(crate) mod serial;
pub(crate) mod threaded;

use std::fmt;
use std::str::FromStr;

/// Where a kernel runs.
///
/// ```
/// use hetero::Backend;
/// assert_eq!("cpu".parse::<Backend>(), Ok(Backend::Rayon));
/// assert_eq!(Backend::Threads.to_string(), "threads");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Backend {
    /// One thread, blocks in order: the oracle every other backend is checked against.
    Serial,
    /// The calling thread and the engine's rayon pool share the blocks, each taking its next subtree of
    /// the fixed tree as it finishes the last; the run never waits for a pool thread that wakes too late
    /// to help, so a small job costs about a serial run while the pool sleeps.
    Rayon,
    /// One OS thread per task; each sends `(block index, partial)` over a channel and the calling thread
    /// reduces them in block order.
    Threads,
    /// WGSL compute shaders through wgpu, one workgroup per block; partials read back and combined in the
    /// same fixed order.
    Gpu,
    /// The GPU and the rayon pool at once, on disjoint block ranges handed out as they finish; the ranges
    /// are subtrees of the fixed tree, so the result is the bits of a single-backend run.
    Hybrid,
}

impl Backend {
    /// Every backend, in the order reports list them.
    pub const ALL: [Backend; 5] = [
        Backend::Serial,
        Backend::Rayon,
        Backend::Threads,
        Backend::Gpu,
        Backend::Hybrid,
    ];

    /// The CPU backends.
    pub const CPU: [Backend; 3] = [Backend::Serial, Backend::Rayon, Backend::Threads];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Serial => "serial",
            Backend::Rayon => "rayon",
            Backend::Threads => "threads",
            Backend::Gpu => "gpu",
            Backend::Hybrid => "hybrid",
        }
    }

    /// Whether the backend needs a GPU.
    pub fn uses_gpu(self) -> bool {
        matches!(self, Backend::Gpu | Backend::Hybrid)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown backend name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend '{0}': expected serial, rayon, threads, cpu (= rayon), gpu or hybrid")]
pub struct UnknownBackend(pub String);

impl FromStr for Backend {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "serial" => Ok(Backend::Serial),
            "rayon" | "cpu" => Ok(Backend::Rayon),
            "threads" => Ok(Backend::Threads),
            "gpu" => Ok(Backend::Gpu),
            "hybrid" => Ok(Backend::Hybrid),
            _ => Err(UnknownBackend(s.to_owned())),
        }
    }
}
