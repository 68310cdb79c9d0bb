// exp, sin, cos and tan in 32-bit floats with the Cephes algorithms (about 1 ulp; log, atan, asin, acos and
// atan2 in math_inverse.wgsl, on what the end of this piece defines), so that the f32 error bound
// does not depend on how a driver implements its builtins (WGSL only promises an absolute error of 2^-11
// for sin and cos).

fn hx_expf(x: f32) -> f32 {
    if (x != x) {
        return x;
    }
    if (x > 88.72283905206835) {
        return ldexp(1.0, 127) * 2.0; // +inf
    }
    if (x < -103.27892990343185) {
        return 0.0;
    }
    let z = floor(1.44269504088896341 * x + 0.5);
    let r = (x - z * 0.693359375) - z * -2.12194440e-4;
    let r2 = r * r;
    let p = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r
        + 1.6666665459e-1) * r + 5.0000001201e-1) * r2 + r + 1.0;
    return ldexp(p, i32(z));
}

fn hx_sin_poly_f(x: f32, z: f32) -> f32 {
    return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * x + x;
}

fn hx_cos_poly_f(z: f32) -> f32 {
    return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}

// |x| = j * pi/4 + r with j even, |r| <= pi/4, for |x| <= 8192: (octant j mod 8, r).
struct HxOctant {
    j: u32,
    r: f32,
}

fn hx_octant(ax: f32) -> HxOctant {
    var j = u32(1.27323954473516 * ax);
    var y = f32(j);
    if ((j & 1u) == 1u) {
        j += 1u;
        y += 1.0;
    }
    let r = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
    return HxOctant(j & 7u, r);
}

fn hx_sinf(x: f32) -> f32 {
    let o = hx_octant(abs(x));
    var j = o.j;
    var negative = x < 0.0;
    if (j > 3u) {
        negative = !negative;
        j -= 4u;
    }
    let z = o.r * o.r;
    let y = select(hx_sin_poly_f(o.r, z), hx_cos_poly_f(z), j == 1u || j == 2u);
    return select(y, -y, negative);
}

fn hx_cosf(x: f32) -> f32 {
    let o = hx_octant(abs(x));
    var j = o.j;
    var negative = false;
    if (j > 3u) {
        negative = !negative;
        j -= 4u;
    }
    if (j > 1u) {
        negative = !negative;
    }
    let z = o.r * o.r;
    let y = select(hx_cos_poly_f(z), hx_sin_poly_f(o.r, z), j == 1u || j == 2u);
    return select(y, -y, negative);
}

// tan x in f32: Cephes' tanf on hx_octant's reduction (about 3 ulp), -1/tan in odd quadrants.
fn hx_tanf(x: f32) -> f32 {
    if (x == 0.0 || x != x) {
        return x;
    }
    let o = hx_octant(abs(x));
    let z = o.r * o.r;
    var y = o.r;
    if (abs(o.r) > 1e-4) {
        y = (((((9.38540185543e-3 * z + 3.11992232697e-3) * z + 2.44301354525e-2) * z + 5.34112807005e-2) * z
            + 1.33387994085e-1) * z + 3.33331568548e-1) * z * o.r + o.r;
    }
    if ((o.j & 2u) == 2u) {
        y = -1.0 / y;
    }
    return select(y, -y, x < 0.0);
}

// The names the kernels call, whatever the precision (math_inverse.wgsl adds real_log, real_atan,
// real_asin, real_acos and real_atan2).
fn real_exp(x: f32) -> f32 { return hx_expf(x); }
fn real_sin(x: f32) -> f32 { return hx_sinf(x); }
fn real_cos(x: f32) -> f32 { return hx_cosf(x); }
fn real_tan(x: f32) -> f32 { return hx_tanf(x); }

// What math_composed.wgsl needs of the precision: below REAL_EXP_SAFE, e^x is finite; the largest finite
// number; x >= 0 cut down to the grid of 2^-5 (for x < 32, where x^2 + 0.5625 is then exact), by floor: a
// driver may simplify (x + c) - c to x.
const REAL_EXP_SAFE: f32 = 88.0;
const REAL_LARGEST: f32 = 3.4028234663852886e38;
fn real_erf_split(x: f32) -> f32 { return floor(x * 32.0) * 0.03125; }

// What math_inverse.wgsl needs of the precision: infinity, made at run time (a constant cannot overflow);
// x = v 2^k with v in [1, 2); the smallest normal number, the factor that makes a subnormal normal and its
// power of two; ln 2, pi/2, atan(1/2) and atan(3/2) split into f32 parts (k ln2_hi exact for |k| < 2^8);
// Veltkamp's splitter 2^12 + 1.
fn real_infinity() -> f32 {
    let inf = ldexp(1.0, 127) * 2.0;
    return inf;
}
struct HxSplitF {
    v: f32,
    k: f32,
}
fn real_split(x: f32) -> HxSplitF {
    let split = frexp(x);
    return HxSplitF(split.fract * 2.0, f32(split.exp - 1));
}
const REAL_SMALLEST_NORMAL: f32 = 1.17549435e-38;
const REAL_SUBNORMAL_SCALE: f32 = 33554432.0; // 2^25
const REAL_SUBNORMAL_SHIFT: f32 = 25.0;
const REAL_LN2_HI: f32 = 0x1.62e3p-1;
const REAL_LN2_LO: f32 = 0x1.2fefa2p-17;
const REAL_PIO2_HI: f32 = 0x1.921fb6p0;
const REAL_PIO2_LO: f32 = -0x1.777a5cp-25;
const REAL_ATAN_HALF_HI: f32 = 0x1.dac67p-2;
const REAL_ATAN_HALF_LO: f32 = 0x1.586ed4p-28;
const REAL_ATAN_THREE_HALVES_HI: f32 = 0x1.f730bep-1;
const REAL_ATAN_THREE_HALVES_LO: f32 = -0x1.afc12cp-26;
const REAL_SPLITTER: f32 = 4097.0;
