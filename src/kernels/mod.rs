//! The built-in kernels. Each file holds the maths of one kernel and nothing about execution.

mod leibniz;
mod monte_carlo;
mod simpson;

pub use leibniz::{Leibniz, LeibnizEstimate};
pub(crate) use monte_carlo::BLOCK_SAMPLES;
pub use monte_carlo::{Hits, MonteCarloPi, PiEstimate};
pub use simpson::{Function, Integrand, Simpson, SimpsonEstimate, SimpsonPartial};

/// The largest element count of a floating-point kernel: indices up to 2^53 convert to `f64` exactly.
pub const MAX_FLOAT_ELEMENTS: u64 = 1 << 53;
