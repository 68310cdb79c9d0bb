// Monte Carlo pi: one workgroup per block of 2^16 samples, exact integer hit test, one u32 count per block.
// The stream and the hit test are those of src/kernels/monte_carlo.rs; block.wgsl, a mulhilo piece
// (mulhilo_limbs.wgsl or mulhilo_int64.wgsl) and philox.wgsl are prepended.

struct Params {
    key: vec2<u32>,         // [seed mod 2^32, seed div 2^32]
    last_block: vec2<u32>,  // index of the problem's last block
    last_block_samples: u32,
}

@group(0) @binding(1) var<storage, read> params: Params;
@group(0) @binding(2) var<storage, read_write> hits: array<u32>;

const WORKGROUP: u32 = 256u;
const SAMPLES_PER_BLOCK: u32 = 65536u;

var<workgroup> counts: array<u32, 256>;

// x^2 + y^2 < 2^64, exactly: y^2 < 2^64, so it is x^2 <= !(y^2), compared as (high, low) pairs.
fn is_hit(x: u32, y: u32) -> u32 {
    let xx = mulhilo(x, x);
    let yy = ~mulhilo(y, y);
    return select(0u, 1u, xx.x < yy.x || (xx.x == yy.x && xx.y <= yy.y));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let index = block_of(wg.x);
    let lo = index.x;
    let hi = index.y;
    let limit = block_length(index, params.last_block, params.last_block_samples, SAMPLES_PER_BLOCK);
    // Call index of the block's first sample pair: block * 2^15, as (low, high).
    let call_lo = lo << 15u;
    let call_hi = (hi << 15u) | (lo >> 17u);

    var count = 0u;
    for (var k = 0u; k < SAMPLES_PER_BLOCK / (2u * WORKGROUP); k++) {
        let local_call = t + WORKGROUP * k;
        if (2u * local_call >= limit) {
            break;
        }
        let r = philox4x32_10(vec4<u32>(call_lo | local_call, call_hi, 0u, 0u), params.key);
        count += is_hit(r.x, r.y);
        if (2u * local_call + 1u < limit) {
            count += is_hit(r.z, r.w);
        }
    }

    counts[t] = count;
    workgroupBarrier();
    for (var s = WORKGROUP / 2u; s > 0u; s >>= 1u) {
        if (t < s) {
            counts[t] += counts[t + s];
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        hits[wg.x] = counts[0];
    }
}
