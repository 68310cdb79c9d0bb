//! The WGSL sources hetero ships, for kernels of one's own to build on.

/// The dispatch header of the shader interface (`struct Dispatch` at binding 0), `fn block_of(wg: u32) ->
/// vec2<u32>` (the 64-bit index of a workgroup's block), `fn block_length` (a block's element count, the
/// last block's being shorter), `fn block_as_real` (the index as a float) and `fn lost(a, b, s)` (the rounding error of a
/// compensated addition, on the `real` type the program aliases).
pub const BLOCK: &str = include_str!("../shaders/block.wgsl");

/// Workgroup-wide compensated sums: `fn reduce_compensated(t, s, c)` over 256 invocations, down to the
/// stride the program's `const REDUCE_DOWN_TO: u32` names (needs [`BLOCK`]).
pub const COMPENSATED: &str = include_str!("../shaders/compensated.wgsl");

/// Philox4x32-10 in 32-bit arithmetic, its products built from 16-bit limbs (any device): `fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>` and
/// `fn mulhilo(a: u32, b: u32) -> vec2<u32>` (the 64-bit product as (high, low)).
pub const PHILOX: &str = concat!(
    include_str!("../shaders/mulhilo_limbs.wgsl"),
    include_str!("../shaders/philox.wgsl")
);

/// The same two functions as [`PHILOX`], with the products in native 64-bit integers: for devices with
/// `SHADER_INT64` ([`GpuCaps::shader_int64`](crate::gpu::GpuCaps::shader_int64)), where they cost one
/// multiplication instead of five and a dozen shifts, masks and additions.
pub const PHILOX_INT64: &str = concat!(
    include_str!("../shaders/mulhilo_int64.wgsl"),
    include_str!("../shaders/philox.wgsl")
);

/// The Monte Carlo π kernel (needs [`BLOCK`] and [`PHILOX`] or [`PHILOX_INT64`] before it).
pub(crate) const MONTE_CARLO_PI: &str = include_str!("../shaders/monte_carlo_pi.wgsl");

/// The math piece of `precision`: [`MATH_F64`] or [`MATH_F32`].
pub(crate) fn math_for(precision: crate::program::Precision) -> &'static str {
    if precision == crate::program::Precision::F64 {
        MATH_F64
    } else {
        MATH_F32
    }
}

/// The Monte Carlo integral kernel (needs [`BLOCK`], a Philox piece, a prelude defining `real_exp`,
/// `real_sin`, `real_cos`, and the generated `DIMS`, `BOX_LO`, `BOX_WIDTH` and `point_value`).
pub(crate) const INTEGRAL: &str = include_str!("../shaders/integral.wgsl");

/// `real_exp`, `real_log`, `real_sin`, `real_cos`, `real_tan`, `real_asin`, `real_acos`, `real_atan` and
/// `real_atan2` on `f64` (fdlibm's algorithms; the trigonometric ones for |x| up to 2^20·π/2), with what
/// [`MATH_COMPOSED`] needs of the precision. It needs `alias real = f64;` before it, as
/// [`assemble`](crate::gpu::assemble) writes.
pub const MATH_F64: &str = concat!(
    include_str!("../shaders/math_f64.wgsl"),
    include_str!("../shaders/math_inverse.wgsl")
);

/// The same functions on `f32`: `exp`, `sin`, `cos` and `tan` by Cephes' algorithms (`sin` and `cos` for |x|
/// up to 8192), the others by the `f64` algorithms with their coefficients rounded to `f32` (written once
/// for `real`, in one file with [`MATH_F64`]'s), with what [`MATH_COMPOSED`] needs of the precision. It
/// needs `alias real = f32;` before it.
pub const MATH_F32: &str = concat!(
    include_str!("../shaders/math_f32.wgsl"),
    include_str!("../shaders/math_inverse.wgsl")
);

/// `real_log2`, `real_log10`, `real_log1p`, `real_expm1`, `real_cbrt`, `real_sinh`, `real_cosh`,
/// `real_tanh`, `real_erf`, `real_erfc`, `real_hypot` and `real_pow`, written once for `real` on the math
/// piece of either precision ([`MATH_F64`] or [`MATH_F32`], which must come with it).
pub const MATH_COMPOSED: &str = include_str!("../shaders/math_composed.wgsl");

/// The Leibniz kernel, for `real` = `f64` or `f32` (needs [`BLOCK`] and [`COMPENSATED`]).
pub(crate) const LEIBNIZ: &str = include_str!("../shaders/leibniz.wgsl");

/// The Simpson kernel body; it needs [`BLOCK`], [`COMPENSATED`], a precision prelude ([`SIMPSON_F64`] or [`SIMPSON_F32`]) and its math.
pub(crate) const SIMPSON: &str = include_str!("../shaders/simpson.wgsl");

/// The Simpson prelude for `f64`.
pub(crate) const SIMPSON_F64: &str = include_str!("../shaders/simpson_f64.wgsl");

/// The Simpson prelude for `f32`.
pub(crate) const SIMPSON_F32: &str = include_str!("../shaders/simpson_f32.wgsl");
