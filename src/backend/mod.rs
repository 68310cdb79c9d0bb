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

/// What the engine, the dispatcher and the reports know of a backend besides its code. Registering a
/// backend is its variant of [`Backend`], one row of [`REGISTRY`], and one arm in the engine's `one_pass`
/// that calls its `reduce`.
struct Registration {
    backend: Backend,
    /// The name used on the command line and in reports.
    name: &'static str,
    /// Other names it answers to.
    aliases: &'static [&'static str],
    /// Whether it needs a GPU device.
    gpu: bool,
    /// Whether it runs on the engine's worker threads (its thread count is the engine's, else 1).
    pool: bool,
    /// Whether it computes one block per worker thread at once, so that a run costs as much as a multiple
    /// of the thread count (the dispatcher's cost width).
    block_per_thread: bool,
}

/// Every backend, in the order reports list them.
const REGISTRY: [Registration; 5] = [
    Registration {
        backend: Backend::Serial,
        name: "serial",
        aliases: &[],
        gpu: false,
        pool: false,
        block_per_thread: false,
    },
    Registration {
        backend: Backend::Rayon,
        name: "rayon",
        aliases: &["cpu"],
        gpu: false,
        pool: true,
        block_per_thread: true,
    },
    Registration {
        backend: Backend::Threads,
        name: "threads",
        aliases: &[],
        gpu: false,
        pool: true,
        block_per_thread: true,
    },
    Registration {
        backend: Backend::Gpu,
        name: "gpu",
        aliases: &[],
        gpu: true,
        pool: false,
        block_per_thread: false,
    },
    Registration {
        backend: Backend::Hybrid,
        name: "hybrid",
        aliases: &[],
        gpu: true,
        pool: true,
        block_per_thread: false,
    },
];

impl Backend {
    /// Every backend, in the order reports list them.
    pub const ALL: [Backend; 5] = [
        REGISTRY[0].backend,
        REGISTRY[1].backend,
        REGISTRY[2].backend,
        REGISTRY[3].backend,
        REGISTRY[4].backend,
    ];

    /// The CPU backends.
    pub const CPU: [Backend; 3] = [Backend::Serial, Backend::Rayon, Backend::Threads];

    fn registration(self) -> &'static Registration {
        // Every variant has its row: `REGISTRY` lists them in declaration order.
        &REGISTRY[self as usize]
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        self.registration().name
    }

    /// Whether the backend needs a GPU.
    pub fn uses_gpu(self) -> bool {
        self.registration().gpu
    }

    /// Whether the backend runs on the engine's worker threads (else on one thread, or the GPU's).
    pub fn uses_pool(self) -> bool {
        self.registration().pool
    }

    /// Whether the backend computes one block per worker thread at once: a run of fewer blocks than
    /// threads leaves workers idle, so it costs as much as a multiple of the thread count.
    pub(crate) fn block_per_thread(self) -> bool {
        self.registration().block_per_thread
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
        let wanted = s.to_ascii_lowercase();
        REGISTRY
            .iter()
            .find(|r| r.name == wanted || r.aliases.contains(&wanted.as_str()))
            .map(|r| r.backend)
            .ok_or_else(|| UnknownBackend(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_lists_every_backend_in_order_and_names_round_trip() {
        for (i, registration) in REGISTRY.iter().enumerate() {
            assert_eq!(registration.backend as usize, i, "{}", registration.name);
            assert_eq!(registration.name.parse::<Backend>(), Ok(registration.backend));
            for alias in registration.aliases {
                assert_eq!(alias.parse::<Backend>(), Ok(registration.backend));
            }
        }
        assert_eq!(Backend::ALL.len(), REGISTRY.len());
        assert!("nope".parse::<Backend>().is_err());
        assert_eq!("RAYON".parse::<Backend>(), Ok(Backend::Rayon));
    }
}
