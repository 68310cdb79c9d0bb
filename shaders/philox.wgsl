// Philox4x32-10 (Random123): the generator of src/rng.rs, in 32-bit arithmetic only.
// WGSL has no 64-bit integers and no multiply-high, so the 32x32 -> 64-bit products are built from
// 16-bit limbs. Checked against the CPU by the Monte Carlo tests, which demand equal hit counts.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

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

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var r = 0u; r < 10u; r++) {
        let p0 = mulhilo(PHILOX_M0, c.x);
        let p1 = mulhilo(PHILOX_M1, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
        k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
    }
    return c;
}
