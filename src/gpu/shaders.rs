//! The WGSL sources hetero ships, for kernels of one's own to build on.

/// Philox4x32-10 in 32-bit arithmetic: `fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>` and
/// `fn mulhilo(a: u32, b: u32) -> vec2<u32>` (the 64-bit product as (high, low)).
pub const PHILOX: &str = include_str!("../../shaders/philox.wgsl");

/// The Monte Carlo π kernel (needs [`PHILOX`] before it).
pub const MONTE_CARLO_PI: &str = include_str!("../../shaders/monte_carlo_pi.wgsl");
