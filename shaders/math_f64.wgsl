// exp, sin, cos and tan in 64-bit floats (log, atan, asin, acos and atan2 in math_inverse.wgsl, on what the
// end of this piece defines). GLSL.std.450's Exp, Sin and Cos are 32-bit only, and f64
// transcendentals are unreliable across wgpu/naga backends, so hetero computes them with its own code:
// fdlibm's algorithms (Cody-Waite range reduction and the same minimax polynomials), in plain
// additions, multiplications and one division. Checked against the CPU's libm to within 2 ulp.

// 2^(+-b) where bit b of e is set, else 1.
fn hx_pow2_bit(e: i32, bit: i32, up: f64, down: f64, negative: bool) -> f64 {
    return select(f64(1.0), select(up, down, negative), (e & bit) != 0);
}

// 2^k, exactly, for -1074 <= k <= 1023: the product of 2^(+-2^i) over the bits of |k| (every partial
// product a power of two between 1 and 2^k), written out without a loop: a loop in every exp and log of
// an expression multiplies the work of the driver's compiler.
fn hx_pow2(k: i32) -> f64 {
    let e = abs(k);
    let n = k < 0;
    var r = hx_pow2_bit(e, 1024, f64(1.0), f64(0x1p-512), n) * hx_pow2_bit(e, 1024, f64(1.0), f64(0x1p-512), n);
    r = r * hx_pow2_bit(e, 512, f64(0x1p512), f64(0x1p-512), n);
    r = r * hx_pow2_bit(e, 256, f64(0x1p256), f64(0x1p-256), n);
    r = r * hx_pow2_bit(e, 128, f64(0x1p128), f64(0x1p-128), n);
    r = r * hx_pow2_bit(e, 64, f64(0x1p64), f64(0x1p-64), n);
    r = r * hx_pow2_bit(e, 32, f64(0x1p32), f64(0x1p-32), n);
    r = r * hx_pow2_bit(e, 16, f64(0x1p16), f64(0x1p-16), n);
    r = r * hx_pow2_bit(e, 8, f64(0x1p8), f64(0x1p-8), n);
    r = r * hx_pow2_bit(e, 4, f64(16.0), f64(0.0625), n);
    r = r * hx_pow2_bit(e, 2, f64(4.0), f64(0.25), n);
    return r * hx_pow2_bit(e, 1, f64(2.0), f64(0.5), n);
}

// v in [1, 2) and k with x = v 2^k, for a positive normal x: powers of two 2^512, 2^256, ..., 2^1 divided
// out or multiplied in where x lies past them (exact, and without a loop, frexp or a bit cast of f64,
// none of which every driver takes).
struct HxSplit {
    v: f64,
    k: f64,
}

fn hx_split_step(a: HxSplit, s: f64, up: f64, down: f64) -> HxSplit {
    if (a.v >= up) {
        return HxSplit(a.v * down, a.k + s);
    }
    if (a.v * up < 2.0) {
        return HxSplit(a.v * up, a.k - s);
    }
    return a;
}

fn hx_split(x: f64) -> HxSplit {
    var a = HxSplit(x, 0.0);
    a = hx_split_step(a, 512.0, f64(0x1p512), f64(0x1p-512));
    a = hx_split_step(a, 256.0, f64(0x1p256), f64(0x1p-256));
    a = hx_split_step(a, 128.0, f64(0x1p128), f64(0x1p-128));
    a = hx_split_step(a, 64.0, f64(0x1p64), f64(0x1p-64));
    a = hx_split_step(a, 32.0, f64(0x1p32), f64(0x1p-32));
    a = hx_split_step(a, 16.0, f64(0x1p16), f64(0x1p-16));
    a = hx_split_step(a, 8.0, f64(256.0), f64(0x1p-8));
    a = hx_split_step(a, 4.0, f64(16.0), f64(0.0625));
    a = hx_split_step(a, 2.0, f64(4.0), f64(0.25));
    return hx_split_step(a, 1.0, f64(2.0), f64(0.5));
}

fn hx_exp(x: f64) -> f64 {
    if (x != x) {
        return x;
    }
    if (x > 709.782712893383973096) {
        return hx_pow2(1023) * 2.0; // +inf
    }
    if (x < -745.13321910194110842) {
        return 0.0;
    }
    let ln2_hi: f64 = 6.93147180369123816490e-01;
    let ln2_lo: f64 = 1.90821492927058770002e-10;
    let inv_ln2: f64 = 1.44269504088896338700e+00;
    let k = floor(x * inv_ln2 + 0.5);
    let hi = x - k * ln2_hi; // exact: ln2_hi has 32 trailing zero bits and |k| < 2^11
    let lo = k * ln2_lo;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (1.66666666666666019037e-01 + t * (-2.77777777770155933842e-03 + t * (6.61375632143793436117e-05
        + t * (-1.65339022054652515390e-06 + t * 4.13813679705723846039e-08))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // Scale in two steps so that neither factor overflows or underflows on its own.
    let ki = i32(k);
    let k1 = ki / 2;
    return y * hx_pow2(k1) * hx_pow2(ki - k1);
}

// sin on [-pi/4, pi/4] of x + y (y the tail of the reduced argument).
fn hx_kernel_sin(x: f64, y: f64) -> f64 {
    let z = x * x;
    let v = z * x;
    let r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * (2.75573137070700676789e-06
        + z * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)));
    return x - ((z * (0.5 * y - v * r) - y) - v * -1.66666666666666324348e-01);
}

// cos on [-pi/4, pi/4] of x + y.
fn hx_kernel_cos(x: f64, y: f64) -> f64 {
    let z = x * x;
    let r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * (2.48015872894767294178e-05
        + z * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11)))));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + (z * r - x * y));
}

// x = n * pi/2 + (y0 + y1), |y0 + y1| <= pi/4, for |x| < 2^20 * pi/2 (fdlibm's medium-size reduction, with
// pi/2 in three parts of 33 bits so that n * part is exact).
struct HxReduced {
    n: i32,
    y0: f64,
    y1: f64,
}

fn hx_reduce(x: f64) -> HxReduced {
    let pio2_1: f64 = 1.57079632673412561417e+00;
    let pio2_2: f64 = 6.07710050630396597660e-11;
    let pio2_2t: f64 = 2.02226624879595063154e-21;
    let inv_pio2: f64 = 6.36619772367581382433e-01;
    let n = floor(x * inv_pio2 + 0.5);
    let r0 = x - n * pio2_1;
    let w0 = n * pio2_2;
    let r = r0 - w0;
    let w = n * pio2_2t - ((r0 - r) - w0);
    let y0 = r - w;
    let y1 = (r - y0) - w;
    return HxReduced(i32(n), y0, y1);
}

fn hx_sin(x: f64) -> f64 {
    let a = hx_reduce(x);
    switch (a.n & 3) {
        case 0: { return hx_kernel_sin(a.y0, a.y1); }
        case 1: { return hx_kernel_cos(a.y0, a.y1); }
        case 2: { return -hx_kernel_sin(a.y0, a.y1); }
        default: { return -hx_kernel_cos(a.y0, a.y1); }
    }
}

fn hx_cos(x: f64) -> f64 {
    let a = hx_reduce(x);
    switch (a.n & 3) {
        case 0: { return hx_kernel_cos(a.y0, a.y1); }
        case 1: { return -hx_kernel_sin(a.y0, a.y1); }
        case 2: { return -hx_kernel_cos(a.y0, a.y1); }
        default: { return hx_kernel_sin(a.y0, a.y1); }
    }
}

// tan x: the CPU's algorithm (src/math/mod.rs, fdlibm's k_tan.c) on hx_reduce's y0 + y1, -1/tan for odd n.
fn hx_tan(x: f64) -> f64 {
    if (x == 0.0 || x != x) {
        return x;
    }
    let a = hx_reduce(x);
    let odd = (a.n & 1) == 1;
    let negative = a.y0 < 0.0;
    let big = abs(a.y0) >= 0.6743354797363281;
    var xx = a.y0;
    var yy = a.y1;
    if (big) {
        let ay0 = select(a.y0, -a.y0, negative);
        let ay1 = select(a.y1, -a.y1, negative);
        xx = (0x1.921fb54442d18p-1 - ay0) + (0x1.1a62633145c07p-55 - ay1);
        yy = 0.0;
    }
    let z = xx * xx;
    let w = z * z;
    var r = 0x1.111111110fe7ap-3 + w * (0x1.664f48406d637p-6 + w * (0x1.d6d22c9560328p-9
        + w * (0x1.344d8f2f26501p-11 + w * (0x1.47e88a03792a6p-14 - w * 0x1.375cbdb605373p-16))));
    let v = z * (0x1.ba1ba1bb341fep-5 + w * (0x1.226e3e96e8493p-7 + w * (0x1.7dbc8fee08315p-10
        + w * (0x1.026f71a8d1068p-12 + w * (0x1.2b80f32f0a7e9p-14 + w * 0x1.b2a7074bf7ad4p-16)))));
    let s = z * xx;
    r = yy + z * (s * (r + v) + yy);
    r = r + 0x1.5555555555563p-2 * s;
    let ww = xx + r;
    if (big) {
        let iy = select(f64(1.0), f64(-1.0), odd);
        let near = iy - 2.0 * (xx - (ww * ww / (ww + iy) - r));
        return select(near, -near, negative);
    }
    if (!odd) {
        return ww;
    }
    // -1/(x + r), from 26-bit high parts whose products are exact.
    let pw = ww * 134217729.0;
    let wh = pw - (pw - ww);
    let vv = r - (wh - xx);
    let q = -1.0 / ww;
    let pq = q * 134217729.0;
    let th = pq - (pq - q);
    let ss = 1.0 + th * wh;
    return th + q * (ss + th * vv);
}

// The names the kernels call, whatever the precision (math_inverse.wgsl adds real_log, real_atan,
// real_asin, real_acos and real_atan2).
fn real_exp(x: f64) -> f64 { return hx_exp(x); }
fn real_sin(x: f64) -> f64 { return hx_sin(x); }
fn real_cos(x: f64) -> f64 { return hx_cos(x); }
fn real_tan(x: f64) -> f64 { return hx_tan(x); }

// What math_composed.wgsl needs of the precision: below REAL_EXP_SAFE, e^x is finite; the largest finite
// number; x >= 0 cut down to the grid of 2^-20 (for x < 32, where x^2 + 0.5625 is then exact), by floor: a
// driver may simplify (x + c) - c to x.
const REAL_EXP_SAFE: f64 = 709.0;
const REAL_LARGEST: f64 = 1.7976931348623157e308;
fn real_erf_split(x: f64) -> f64 { return floor(x * 0x1p20) * 0x1p-20; }

// What math_inverse.wgsl needs of the precision: infinity, made at run time (a constant cannot overflow);
// x = v 2^k with v in [1, 2); the smallest normal number, the factor that makes a subnormal normal and its
// power of two; ln 2, pi/2, atan(1/2) and atan(3/2) as a high part and a low one (k ln2_hi exact for
// |k| < 2^11); Veltkamp's splitter 2^27 + 1.
fn real_infinity() -> f64 { return hx_pow2(1023) * 2.0; }
fn real_split(x: f64) -> HxSplit { return hx_split(x); }
const REAL_SMALLEST_NORMAL: f64 = 2.2250738585072014e-308;
const REAL_SUBNORMAL_SCALE: f64 = 18014398509481984.0; // 2^54
const REAL_SUBNORMAL_SHIFT: f64 = 54.0;
const REAL_LN2_HI: f64 = 0x1.62e42fee00000p-1;
const REAL_LN2_LO: f64 = 0x1.a39ef35793c76p-33;
const REAL_PIO2_HI: f64 = 0x1.921fb54442d18p0;
const REAL_PIO2_LO: f64 = 0x1.1a62633145c07p-54;
const REAL_ATAN_HALF_HI: f64 = 0x1.dac670561bb4fp-2;
const REAL_ATAN_HALF_LO: f64 = 0x1.a2b7f222f65e2p-56;
const REAL_ATAN_THREE_HALVES_HI: f64 = 0x1.f730bd281f69bp-1;
const REAL_ATAN_THREE_HALVES_LO: f64 = 0x1.007887af0cbbdp-56;
const REAL_SPLITTER: f64 = 134217729.0;
