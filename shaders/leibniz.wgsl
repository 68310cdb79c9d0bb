// The Leibniz series: one workgroup per block of 2^16 terms, summed as positive pairs
// 8 / ((4j+1)(4j+3)) exactly as src/kernels/leibniz.rs does, Neumaier-compensated per invocation and
// combined with error-free additions across the workgroup. `real` is f64 or f32, set by the host.
// Output per block: (sum, compensation). Needs block.wgsl and compensated.wgsl.

struct Params {
    last_block: vec2<u32>,
    last_block_terms: u32,
    pad: u32,
}

@group(0) @binding(1) var<storage, read> params: Params;
@group(0) @binding(2) var<storage, read_write> out: array<real>;

const WORKGROUP: u32 = 256u;
const TERMS_PER_BLOCK: u32 = 65536u;

// The whole workgroup folds into invocation 0 (compensated.wgsl).
const REDUCE_DOWN_TO: u32 = 1u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let index = block_of(wg.x);
    let limit = block_length(index, params.last_block, params.last_block_terms, TERMS_PER_BLOCK);
    let block = block_as_real(index);
    let first_pair = block * real(TERMS_PER_BLOCK / 2u);

    var s: real = 0.0;
    var c: real = 0.0;
    let pairs = limit / 2u;
    for (var k = 0u; k < TERMS_PER_BLOCK / (2u * WORKGROUP); k++) {
        let p = t + WORKGROUP * k;
        if (p >= pairs) {
            break;
        }
        let q = 4.0 * (first_pair + real(p));
        let x = 8.0 / ((q + 1.0) * (q + 3.0));
        let sum = s + x;
        c += lost(s, x, sum);
        s = sum;
    }
    if (t == 0u && (limit & 1u) == 1u) {
        // An odd number of terms leaves the even term k = block * 2^16 + limit - 1 on its own: +4/(2k+1).
        let k = block * real(TERMS_PER_BLOCK) + real(limit - 1u);
        let x = 4.0 / (2.0 * k + 1.0);
        let sum = s + x;
        c += lost(s, x, sum);
        s = sum;
    }

    reduce_compensated(t, s, c);
    if (t == 0u) {
        out[2u * wg.x] = sums[0];
        out[2u * wg.x + 1u] = compensations[0];
    }
}
