// Simpson prelude for f32: f32 cannot hold point indices above 2^24, so the host computes each block's
// first point a + (block * 2^16) h in f64 and passes it as an unevaluated sum hi + lo of two f32s
// (binding 3); within the block, x = hi + (lo + l h) with l < 2^16 exact.

@group(0) @binding(3) var<storage, read> bases: array<vec2<f32>>;

fn x_at(slot: u32, block: f32, l: u32) -> f32 {
    let base = bases[slot];
    return base.x + (base.y + f32(l) * params.h);
}
