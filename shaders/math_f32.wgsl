// exp, sin and cos in 32-bit floats with the Cephes algorithms (about 1 ulp; log and atan below), so that the f32 error bound
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

// ln x in f32: the f64 algorithm (math_f64.wgsl) with its coefficients rounded to f32 and ln 2 split for
// f32 (k * LN2_HI exact for |k| < 2^8).
fn hx_logf(x: f32) -> f32 {
    let inf = ldexp(1.0, 127) * 2.0;
    if (x != x || x == inf) {
        return x;
    }
    if (x < 0.0) {
        return inf - inf; // NaN
    }
    if (x == 0.0) {
        return -inf;
    }
    var v = x;
    var k: f32 = 0.0;
    if (v < 1.17549435e-38) {
        v = v * 33554432.0; // 2^25
        k = -25.0;
    }
    let split = frexp(v);
    var m = split.fract * 2.0;
    k = k + f32(split.exp - 1);
    let past_from = m >= 1.0 + 398458.0 / 1048576.0;
    let past_to = m >= 1.0 + 440402.0 / 1048576.0;
    if (m > 1.41421356) {
        m = m * 0.5;
        k = k + 1.0;
    }
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (0.4000000059604645 + w * (0.22222198546 + w * 0.15313838422298431));
    let t2 = z * (0.6666666865348816 + w * (0.2857142984867096 + w * (0.18183572590351105
        + w * 0.14798198640346527)));
    let r = t2 + t1;
    let k_hi = k * 0x1.62e3p-1;
    let k_lo = k * 0x1.2fefa2p-17;
    let half_f2 = 0.5 * f * f;
    let first = k_hi - ((half_f2 - (s * (half_f2 + r) + k_lo)) - f);
    let second = k_hi - ((s * (f - r) - k_lo) - f);
    return select(second, first, past_from && !past_to);
}

// atan x in f32: the f64 algorithm (math_f64.wgsl) with its constants rounded to f32 (the reduction
// points' atan split into f32 parts).
fn hx_atanf(x: f32) -> f32 {
    if (x != x || x == 0.0) {
        return x;
    }
    let t = abs(x);
    if (t > 7.378697629483821e19) {
        return select(1.0, -1.0, x < 0.0) * 0x1.921fb6p0;
    }
    var r = x;
    var hi: f32 = 0.0;
    var lo: f32 = 0.0;
    let small = t < 0.4375;
    if (!small) {
        if (t < 0.6875) {
            r = (2.0 * t - 1.0) / (2.0 + t);
            hi = 0x1.dac67p-2;
            lo = 0x1.586ed4p-28;
        } else if (t < 1.1875) {
            r = (t - 1.0) / (t + 1.0);
            hi = 0x1.921fb6p-1;
            lo = -0x1.777a5cp-26;
        } else if (t < 2.4375) {
            r = (t - 1.5) / (1.0 + 1.5 * t);
            hi = 0x1.f730bep-1;
            lo = -0x1.afc12cp-26;
        } else {
            r = -1.0 / t;
            hi = 0x1.921fb6p0;
            lo = -0x1.777a5cp-25;
        }
    }
    let z = r * r;
    let w = z * z;
    let s1 = z * (0.33333333333332932 + w * (0.14285714272503466 + w * (0.090908871334365066
        + w * (0.066610731373875312 + w * (0.049768779946159324 + w * 0.016285820115365782)))));
    let s2 = w * (-0.19999999999876483 + w * (-0.11111110405462356 + w * (-0.076918762050448300
        + w * (-0.058335701337905735 - w * 0.036531572744216916))));
    let sum = s1 + s2;
    if (small) {
        return r - r * sum;
    }
    let magnitude = hi - ((r * sum - lo) - r);
    return select(magnitude, -magnitude, x < 0.0);
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

// t P(t) / Q(t), fdlibm's rational approximation for asin and acos (e_asin.c).
fn hx_asin_rationalf(t: f32) -> f32 {
    let p = t * (0.16666666666666666 + t * (-0.32556581862240092 + t * (0.20121253213486293 + t * (-0.040055534500679411 + t * (7.9153499428981453e-4 + t * (3.4793310759602117e-5))))));
    let q = 1.0 + t * (-2.4033949117344142 + t * (2.0209457602335057 + t * (-0.68828397160545329 + t * (0.077038150555901935))));
    return p / q;
}

// The high half of u (Veltkamp's split): its square is exact.
fn hx_high_partf(u: f32) -> f32 {
    let p = u * 4097.0;
    return p - (p - u);
}

// asin x: the CPU's algorithm (src/math/mod.rs, fdlibm's e_asin.c).
fn hx_asinf(x: f32) -> f32 {
    let ax = abs(x);
    if (x != x || ax > 1.0) {
        return (x - x) / (x - x);
    }
    if (ax < 0.5) {
        return x + x * hx_asin_rationalf(x * x);
    }
    let t = (1.0 - ax) * 0.5;
    let r = hx_asin_rationalf(t);
    let s = sqrt(t);
    var v: f32;
    if (ax >= 0.975) {
        v = 1.57079632679489655800 - (2.0 * (s + s * r) - -4.37113883e-8);
    } else {
        let w = hx_high_partf(s);
        let c = (t - w * w) / (s + w);
        let p = 2.0 * s * r - (-4.37113883e-8 - 2.0 * c);
        let q = 0.78539816339744830962 - 2.0 * w;
        v = 0.78539816339744830962 - (p - q);
    }
    return select(v, -v, x < 0.0);
}

// acos x: the CPU's algorithm (src/math/mod.rs, fdlibm's e_acos.c).
fn hx_acosf(x: f32) -> f32 {
    let ax = abs(x);
    if (x != x || ax > 1.0) {
        return (x - x) / (x - x);
    }
    if (x == 1.0) {
        return 0.0;
    }
    if (ax < 0.5) {
        let r = hx_asin_rationalf(x * x);
        return 1.57079632679489655800 - (x - (-4.37113883e-8 - x * r));
    }
    if (x < 0.0) {
        let z = (1.0 + x) * 0.5;
        let s = sqrt(z);
        let w = hx_asin_rationalf(z) * s - -4.37113883e-8;
        return 3.14159265358979311600 - 2.0 * (s + w);
    }
    let z = (1.0 - x) * 0.5;
    let s = sqrt(z);
    let high = hx_high_partf(s);
    let c = (z - high * high) / (s + high);
    return 2.0 * (high + (hx_asin_rationalf(z) * s + c));
}

// atan2(y, x): the CPU's rules (src/math/mod.rs, fdlibm's e_atan2.c) around atan of |y/x|.
fn hx_atan2f(y: f32, x: f32) -> f32 {
    if (x != x || y != y) {
        return x + y;
    }
    // The sign of a zero from its bits: a driver's division by zero need not give the infinity whose sign
    // IEEE division would.
    let below = y < 0.0 || (y == 0.0 && (bitcast<u32>(y) >> 31u) == 1u);
    let left = x < 0.0 || (x == 0.0 && (bitcast<u32>(x) >> 31u) == 1u);
    let ay = abs(y);
    let ax = abs(x);
    let pi: f32 = 3.14159265358979311600;
    if (ay == 0.0 && ax == 0.0) {
        return select(y, select(pi, -pi, below), left);
    }
    let inf = ldexp(1.0, 127) * 2.0;
    if (ay == inf && ax == inf) {
        let corner: f32 = select(f32(0.78539816339744830962), f32(2.35619449019234492885), left);
        return select(corner, -corner, below);
    }
    // x = ±0 (y is not): ±π/2, as the steep case below returns, without dividing by zero (a driver may
    // not give the infinity that IEEE division would).
    if (ax == 0.0) {
        let half_pi: f32 = 1.57079632679489661923;
        return select(half_pi, -half_pi, below);
    }
    let ratio = ay / ax;
    var z = hx_atanf(ratio);
    let steep = ratio > 1152921504606846976.0;
    if (steep) {
        z = 1.57079632679489655800;
    }
    if (left && ratio < 8.673617379884035e-19) {
        z = 0.0;
    }
    if (steep || !left) {
        return select(z, -z, below);
    }
    return select(pi - (z - -8.74227766e-8), (z - -8.74227766e-8) - pi, below);
}

// The names the kernels call, whatever the precision.
fn real_exp(x: f32) -> f32 { return hx_expf(x); }
fn real_sin(x: f32) -> f32 { return hx_sinf(x); }
fn real_cos(x: f32) -> f32 { return hx_cosf(x); }
fn real_log(x: f32) -> f32 { return hx_logf(x); }
fn real_atan(x: f32) -> f32 { return hx_atanf(x); }
fn real_tan(x: f32) -> f32 { return hx_tanf(x); }
fn real_asin(x: f32) -> f32 { return hx_asinf(x); }
fn real_acos(x: f32) -> f32 { return hx_acosf(x); }
fn real_atan2(y: f32, x: f32) -> f32 { return hx_atan2f(y, x); }

// What math_composed.wgsl needs of the precision: below REAL_EXP_SAFE, e^x is finite; the largest finite
// number; x >= 0 cut down to the grid of 2^-5 (for x < 32, where x^2 + 0.5625 is then exact), by floor: a
// driver may simplify (x + c) - c to x.
const REAL_EXP_SAFE: f32 = 88.0;
const REAL_LARGEST: f32 = 3.4028234663852886e38;
fn real_erf_split(x: f32) -> f32 { return floor(x * 32.0) * 0.03125; }
