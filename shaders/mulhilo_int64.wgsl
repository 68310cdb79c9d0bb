// The 32x32 -> 64-bit product in native 64-bit integers, for devices with SHADER_INT64 (most GPUs then
// multiply 32x32 -> 64 in one instruction).

// The full product a * b as (high word, low word).
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let p = u64(a) * u64(b);
    return vec2<u32>(u32(p >> 32u), u32(p));
}
