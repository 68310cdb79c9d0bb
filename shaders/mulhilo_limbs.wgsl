// The 32x32 -> 64-bit product from 16-bit limbs: core WGSL has no 64-bit integers and no multiply-high.

// The full product a * b as (high word, low word).
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let a_lo = a & 0xffffu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xffffu;
    let b_hi = b >> 16u;
    let ll = a_lo * b_lo;
    let hl = a_hi * b_lo;
    let lh = a_lo * b_hi;
    let hh = a_hi * b_hi;
    // Neither sum can wrap: hl, lh <= (2^16 - 1)^2 leaves room for a 16-bit addend.
    let t = hl + (ll >> 16u);
    let w = (t & 0xffffu) + lh;
    return vec2<u32>(hh + (t >> 16u) + (w >> 16u), a * b);
}
