// The dispatch header of the shader interface (binding 0) and helpers the built-in kernels share.
// `real` is aliased by the host to f32 or f64.

struct Dispatch {
    first_block: vec2<u32>, // (low word, high word) of the dispatch's first block
    block_count: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> dispatch: Dispatch;

// The 64-bit index of the block workgroup `wg` computes, as (low word, high word).
fn block_of(wg: u32) -> vec2<u32> {
    let lo = dispatch.first_block.x + wg;
    return vec2<u32>(lo, dispatch.first_block.y + select(0u, 1u, lo < wg));
}

// How many elements block `index` has: `full`, except the problem's last block, which has `last_length`.
fn block_length(index: vec2<u32>, last_block: vec2<u32>, last_length: u32, full: u32) -> u32 {
    return select(full, last_length, all(index == last_block));
}

// The block index as a float: exact in f64 below 2^53.
fn block_as_real(index: vec2<u32>) -> real {
    return real(index.y) * 4294967296.0 + real(index.x);
}

// The rounding error of a + b, given s = fl(a + b) (Neumaier's branch on magnitudes).
fn lost(a: real, b: real, s: real) -> real {
    return select((b - s) + a, (a - s) + b, abs(a) >= abs(b));
}
