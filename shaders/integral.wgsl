// Monte Carlo integration of an expression over a box: one workgroup per block of 2^14 points. Invocation
// t takes points t, t + 256, ... of its block, draws each from the Philox stream as
// src/kernels/integral.rs documents, evaluates `point_value` (the expression, generated with the box as
// `BOX_LO`, `BOX_WIDTH` and `DIMS`) and keeps Neumaier sums of f and f². Each block writes (sum,
// compensation) of f, then of f². `real`, `real_exp`, `real_sin`, `real_cos` come from the precision's
// prelude, `lost` from block.wgsl, `philox4x32_10` from a Philox piece.

struct Params {
    key: vec2<u32>,         // [seed mod 2^32, seed div 2^32]
    last_block: vec2<u32>,  // index of the problem's last block
    last_block_points: u32,
}

@group(0) @binding(1) var<storage, read> params: Params;
@group(0) @binding(2) var<storage, read_write> out: array<real>;

const WORKGROUP: u32 = 256u;
const POINTS_PER_BLOCK: u32 = 16384u;
const CALLS: u32 = (DIMS + 1u) / 2u;

var<workgroup> sums_f: array<real, 256>;
var<workgroup> compensations_f: array<real, 256>;
var<workgroup> sums_q: array<real, 256>;
var<workgroup> compensations_q: array<real, 256>;

// (v · c) mod 2^64 for a 64-bit v = (low, high) and c < 2^16.
fn times_small(v: vec2<u32>, c: u32) -> vec2<u32> {
    let low_part = (v.x & 0xffffu) * c;
    let high_part = (v.x >> 16u) * c;
    let low = v.x * c;
    let carry = (high_part + (low_part >> 16u)) >> 16u;
    return vec2<u32>(low, v.y * c + carry);
}

// v + a for a 64-bit v and a 32-bit a.
fn plus(v: vec2<u32>, a: u32) -> vec2<u32> {
    let low = v.x + a;
    return vec2<u32>(low, v.y + select(0u, 1u, low < a));
}

// u = floor((hi·2^32 + lo) / 2^11) · 2^-53, in [0, 1).
fn unit(lo: u32, hi: u32) -> real {
    return (real(hi) * 2097152.0 + real(lo >> 11u)) * real(1.1102230246251565e-16);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let index = block_of(wg.x);
    let limit = block_length(index, params.last_block, params.last_block_points, POINTS_PER_BLOCK);
    // The block's first point, block · 2^14, as (low, high).
    let first = vec2<u32>(index.x << 14u, (index.y << 14u) | (index.x >> 18u));

    var s: real = 0.0;
    var c: real = 0.0;
    var sq: real = 0.0;
    var cq: real = 0.0;
    for (var k = 0u; k < POINTS_PER_BLOCK / WORKGROUP; k++) {
        let l = t + WORKGROUP * k;
        if (l >= limit) {
            break;
        }
        let call0 = times_small(plus(first, l), CALLS);
        var x: array<real, DIMS>;
        for (var m = 0u; m < CALLS; m++) {
            let call = plus(call0, m);
            let r = philox4x32_10(vec4<u32>(call.x, call.y, 0u, 0u), params.key);
            x[2u * m] = BOX_LO[2u * m] + BOX_WIDTH[2u * m] * unit(r.x, r.y);
            if (2u * m + 1u < DIMS) {
                x[2u * m + 1u] = BOX_LO[2u * m + 1u] + BOX_WIDTH[2u * m + 1u] * unit(r.z, r.w);
            }
        }
        let y = point_value(x);
        let sum = s + y;
        c += lost(s, y, sum);
        s = sum;
        let y2 = y * y;
        let sum2 = sq + y2;
        cq += lost(sq, y2, sum2);
        sq = sum2;
    }

    sums_f[t] = s;
    compensations_f[t] = c;
    sums_q[t] = sq;
    compensations_q[t] = cq;
    workgroupBarrier();
    for (var stride = 128u; stride >= 1u; stride >>= 1u) {
        if (t < stride) {
            let a = sums_f[t];
            let b = sums_f[t + stride];
            let sum = a + b;
            compensations_f[t] += compensations_f[t + stride] + lost(a, b, sum);
            sums_f[t] = sum;
            let a2 = sums_q[t];
            let b2 = sums_q[t + stride];
            let sum2 = a2 + b2;
            compensations_q[t] += compensations_q[t + stride] + lost(a2, b2, sum2);
            sums_q[t] = sum2;
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        out[4u * wg.x] = sums_f[0];
        out[4u * wg.x + 1u] = compensations_f[0];
        out[4u * wg.x + 2u] = sums_q[0];
        out[4u * wg.x + 3u] = compensations_q[0];
    }
}
