// Composite Simpson: one workgroup per block of 2^16 points. Invocation t takes points t, t + 256, ...
// of its block; blocks and strides are multiples of 4, so every point of an invocation has the same
// weight class, t mod 4: 0 = interior points = 0 (mod 4), 2 = points = 2 (mod 4), 1 and 3 = odd points.
// The reduction keeps the classes apart, and each block writes (sum, compensation) for classes 0..3.
// The two end points are left to the host. `real`, `x_at` and the hx_* functions come from the
// precision's prelude, the block helpers and `lost` from block.wgsl, `reduce_compensated` from
// compensated.wgsl.

struct Params {
    lo: real,
    h: real,
    x0: real,
    sigma: real,
    last_block: vec2<u32>,
    last_block_points: u32,
    power: u32,
}

// The integrand, numbered as in src/kernels/simpson/integrands.rs (6: an expression, generated as
// `user_integrand`): a pipeline-overridable constant, so that each integrand's pipeline holds its own
// code and no per-point branch.
override FUNCTION: u32 = 0u;

@group(0) @binding(1) var<storage, read> params: Params;
@group(0) @binding(2) var<storage, read_write> out: array<real>;

const WORKGROUP: u32 = 256u;
const POINTS_PER_BLOCK: u32 = 65536u;

// Strides stay multiples of 4, so invocation t only ever absorbs invocations of its own class
// (compensated.wgsl).
const REDUCE_DOWN_TO: u32 = 4u;

// x^k by binary powering.
fn powi(x: real, k: u32) -> real {
    var result: real = 1.0;
    var base = x;
    var e = k;
    while (e > 0u) {
        if ((e & 1u) == 1u) {
            result = result * base;
        }
        base = base * base;
        e = e >> 1u;
    }
    return result;
}

// The built-in integrands.
fn integrand(x: real) -> real {
    switch (FUNCTION) {
        case 0u: { return real_exp(x); }
        case 1u: { return real_sin(x); }
        case 2u: { return real_cos(x); }
        case 3u: {
            let z = (x - params.x0) / params.sigma;
            return real_exp(-0.5 * z * z);
        }
        case 4u: { return 4.0 / (1.0 + x * x); }
        case 5u: { return powi(x, params.power); }
        default: { return user_integrand(x); }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let index = block_of(wg.x);
    let is_first = all(index == vec2<u32>(0u, 0u));
    let is_last = all(index == params.last_block);
    let limit = block_length(index, params.last_block, params.last_block_points, POINTS_PER_BLOCK);
    let block = block_as_real(index);

    var s: real = 0.0;
    var c: real = 0.0;
    for (var k = 0u; k < POINTS_PER_BLOCK / WORKGROUP; k++) {
        let l = t + WORKGROUP * k;
        if (l >= limit) {
            break;
        }
        if ((is_first && l == 0u) || (is_last && l == limit - 1u)) {
            continue;
        }
        let y = integrand(x_at(wg.x, block, l));
        let sum = s + y;
        c += lost(s, y, sum);
        s = sum;
    }

    reduce_compensated(t, s, c);
    if (t < 4u) {
        out[8u * wg.x + 2u * t] = sums[t];
        out[8u * wg.x + 2u * t + 1u] = compensations[t];
    }
}
