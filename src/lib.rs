//! # hetero
//!
//! A compute engine whose results do not depend on where they were computed.
//!
//! A [`Kernel`] is cut into blocks fixed by the problem, never by the machine; each block yields a partial
//! result, and partials combine in one fixed order ([`kernel`] explains the pairwise tree). The built-in
//! kernels' partials are integer counts or [`ExactSum`]s, so combination is exact, and the Monte Carlo kernel
//! draws from Philox4x32-10 ([`rng`]), a counter-based generator, so its result is a pure function of
//! `(seed, N)`. Serial, rayon and threads backends, with any thread count and any split of the block range,
//! therefore return **the same bits**.
//!
//! ```
//! use hetero::{Backend, Engine, kernels::{Function, Leibniz, MonteCarloPi, Simpson}};
//!
//! let engine = Engine::new()?;
//!
//! let pi = engine.run(&MonteCarloPi::new(10_000_000, 42)?, Backend::Rayon)?;
//! assert!((pi.output.value - std::f64::consts::PI).abs() < 5.0 * pi.output.std_error);
//!
//! let simpson = Simpson::new(Function::Exp, 0.0, 1.0, 1000)?;
//! let serial = engine.run(&simpson, Backend::Serial)?;
//! let threads = engine.run(&simpson, Backend::Threads)?;
//! assert_eq!(serial.output.value.to_bits(), threads.output.value.to_bits());
//! assert!((serial.output.value - (std::f64::consts::E - 1.0)).abs() < 1e-12);
//!
//! let leibniz = engine.run(&Leibniz::new(1_000_000)?, Backend::Rayon)?;
//! assert!((leibniz.output.value - std::f64::consts::PI).abs() < leibniz.output.bound);
//! # Ok::<(), hetero::Error>(())
//! ```
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod backend;
pub mod checkpoint;
mod control;
pub mod dispatch;
pub mod distributed;
mod domain;
mod engine;
mod error;
mod exact;
pub mod expr;
pub mod gpu;
mod integrand;
pub mod integrate;
pub mod kernel;
pub mod kernels;
pub mod math;
mod points;
mod program;
pub mod report;
pub mod rng;
mod schedule;
mod shaders;
mod simd;
pub mod singular;
// The numbers people type, parsed and written as the command line and Python do: their front ends'
// shared helpers, not part of the library's interface.
#[doc(hidden)]
pub mod size;
pub mod sum;
pub mod target;
mod tree;
pub mod validate;
mod wire;

pub use backend::hybrid::Split;
pub use backend::{Backend, UnknownBackend};
pub use control::{Control, Progress};
pub use dispatch::Choice;
pub use engine::{Engine, EngineBuilder, MAX_THREADS, Run};
pub use error::{Error, GpuError, GpuErrorKind, Result};
pub use exact::ExactSum;
pub use kernel::{GpuKernel, Kernel, Partial};
pub use program::WgslProgram;
pub use simd::{SimdLevel, simd_level};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
