// exp, log, sin, cos, tan, asin, acos and atan in 64-bit floats. GLSL.std.450's Exp, Sin and Cos are 32-bit only, and f64
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

// ln x: the CPU's algorithm (src/math/mod.rs, fdlibm's e_log.c): x = 2^k (1 + f), sqrt(2)/2 <= 1 + f < sqrt(2),
// s = f / (2 + f), a minimax polynomial in s^2, and fdlibm's two forms chosen by the top bits of m.
fn hx_log(x: f64) -> f64 {
    let inf = hx_pow2(1023) * 2.0;
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
    var k: f64 = 0.0;
    if (v < 2.2250738585072014e-308) {
        v = v * 18014398509481984.0; // 2^54
        k = -54.0;
    }
    let split = hx_split(v);
    var m = split.v;
    k = k + split.k;
    let past_from = m >= 1.0 + 398458.0 / 1048576.0;
    let past_to = m >= 1.0 + 440402.0 / 1048576.0;
    if (m > 1.4142135623730951) {
        m = m * 0.5;
        k = k + 1.0;
    }
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (0x1.999999997fa04p-2 + w * (0x1.c71c51d8e78afp-3 + w * 0x1.39a09d078c69fp-3));
    let t2 = z * (0x1.5555555555593p-1 + w * (0x1.2492494229359p-2 + w * (0x1.7466496cb03dep-3
        + w * 0x1.2f112df3e5244p-3)));
    let r = t2 + t1;
    let k_hi = k * 0x1.62e42fee00000p-1;
    let k_lo = k * 0x1.a39ef35793c76p-33;
    let half_f2 = 0.5 * f * f;
    let first = k_hi - ((half_f2 - (s * (half_f2 + r) + k_lo)) - f);
    let second = k_hi - ((s * (f - r) - k_lo) - f);
    return select(second, first, past_from && !past_to);
}

// atan x: the CPU's algorithm (src/math/mod.rs, fdlibm's s_atan.c): |x| below 7/16 directly, else reduced
// around 0.5, 1, 1.5 or infinity and the reduction point's atan added in two parts.
fn hx_atan(x: f64) -> f64 {
    if (x != x || x == 0.0) {
        return x;
    }
    let t = abs(x);
    if (t > 7.378697629483821e19) {
        let limit: f64 = 0x1.921fb54442d18p0; // pi/2 (its low part is below half an ulp)
        return select(limit, -limit, x < 0.0);
    }
    var r = x;
    var hi: f64 = 0.0;
    var lo: f64 = 0.0;
    let small = t < 0.4375;
    if (!small) {
        if (t < 0.6875) {
            r = (2.0 * t - 1.0) / (2.0 + t);
            hi = 0x1.dac670561bb4fp-2;
            lo = 0x1.a2b7f222f65e2p-56;
        } else if (t < 1.1875) {
            r = (t - 1.0) / (t + 1.0);
            hi = 0x1.921fb54442d18p-1;
            lo = 0x1.1a62633145c07p-55;
        } else if (t < 2.4375) {
            r = (t - 1.5) / (1.0 + 1.5 * t);
            hi = 0x1.f730bd281f69bp-1;
            lo = 0x1.007887af0cbbdp-56;
        } else {
            r = -1.0 / t;
            hi = 0x1.921fb54442d18p0;
            lo = 0x1.1a62633145c07p-54;
        }
    }
    let z = r * r;
    let w = z * z;
    let s1 = z * (0x1.555555555550dp-2 + w * (0x1.24924920083ffp-3 + w * (0x1.745cdc54c206ep-4
        + w * (0x1.10d66a0d03d51p-4 + w * (0x1.97b4b24760debp-5 + w * 0x1.0ad3ae322da11p-6)))));
    let s2 = w * (-0x1.999999998ebc4p-3 + w * (-0x1.c71c6fe231671p-4 + w * (-0x1.3b0f2af749a6dp-4
        + w * (-0x1.dde2d52defd9ap-5 - w * 0x1.2b4442c6a6c2fp-5))));
    let sum = s1 + s2;
    if (small) {
        return r - r * sum;
    }
    let magnitude = hi - ((r * sum - lo) - r);
    return select(magnitude, -magnitude, x < 0.0);
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

// t P(t) / Q(t), fdlibm's rational approximation for asin and acos (e_asin.c).
fn hx_asin_rational(t: f64) -> f64 {
    let p = t * (0x1.5555555555555p-3 + t * (-0x1.4d61203eb6f7dp-2 + t * (0x1.9c1550e884455p-3 + t * (-0x1.48228b5688f3bp-5 + t * (0x1.9efe07501b288p-11 + t * (0x1.23de10dfdf709p-15))))));
    let q = 1.0 + t * (-0x1.33a271c8a2d4bp+1 + t * (0x1.02ae59c598ac8p+1 + t * (-0x1.6066c1b8d0159p-1 + t * (0x1.3b8c5b12e9282p-4))));
    return p / q;
}

// The high half of u (Veltkamp's split): its square is exact.
fn hx_high_part(u: f64) -> f64 {
    let p = u * 134217729.0;
    return p - (p - u);
}

// asin x: the CPU's algorithm (src/math/mod.rs, fdlibm's e_asin.c).
fn hx_asin(x: f64) -> f64 {
    let ax = abs(x);
    if (x != x || ax > 1.0) {
        return (x - x) / (x - x);
    }
    if (ax < 0.5) {
        return x + x * hx_asin_rational(x * x);
    }
    let t = (1.0 - ax) * 0.5;
    let r = hx_asin_rational(t);
    let s = sqrt(t);
    var v: f64;
    if (ax >= 0.975) {
        v = 0x1.921fb54442d18p0 - (2.0 * (s + s * r) - 0x1.1a62633145c07p-54);
    } else {
        let w = hx_high_part(s);
        let c = (t - w * w) / (s + w);
        let p = 2.0 * s * r - (0x1.1a62633145c07p-54 - 2.0 * c);
        let q = 0x1.921fb54442d18p-1 - 2.0 * w;
        v = 0x1.921fb54442d18p-1 - (p - q);
    }
    return select(v, -v, x < 0.0);
}

// acos x: the CPU's algorithm (src/math/mod.rs, fdlibm's e_acos.c).
fn hx_acos(x: f64) -> f64 {
    let ax = abs(x);
    if (x != x || ax > 1.0) {
        return (x - x) / (x - x);
    }
    if (x == 1.0) {
        return 0.0;
    }
    if (ax < 0.5) {
        let r = hx_asin_rational(x * x);
        return 0x1.921fb54442d18p0 - (x - (0x1.1a62633145c07p-54 - x * r));
    }
    if (x < 0.0) {
        let z = (1.0 + x) * 0.5;
        let s = sqrt(z);
        let w = hx_asin_rational(z) * s - 0x1.1a62633145c07p-54;
        return 0x1.921fb54442d18p1 - 2.0 * (s + w);
    }
    let z = (1.0 - x) * 0.5;
    let s = sqrt(z);
    let high = hx_high_part(s);
    let c = (z - high * high) / (s + high);
    return 2.0 * (high + (hx_asin_rational(z) * s + c));
}

// atan2(y, x): the CPU's rules (src/math/mod.rs, fdlibm's e_atan2.c) around atan of |y/x|.
fn hx_atan2(y: f64, x: f64) -> f64 {
    if (x != x || y != y) {
        return x + y;
    }
    // The sign of a zero from its bits (through f32, which keeps it): a driver's division by zero need
    // not give the infinity whose sign IEEE division would.
    let below = y < 0.0 || (y == 0.0 && (bitcast<u32>(f32(y)) >> 31u) == 1u);
    let left = x < 0.0 || (x == 0.0 && (bitcast<u32>(f32(x)) >> 31u) == 1u);
    let ay = abs(y);
    let ax = abs(x);
    let pi: f64 = 0x1.921fb54442d18p1;
    if (ay == 0.0 && ax == 0.0) {
        return select(y, select(pi, -pi, below), left);
    }
    let inf = hx_pow2(1023) * 2.0;
    if (ay == inf && ax == inf) {
        let corner: f64 = select(f64(0x1.921fb54442d18p-1), f64(0x1.2d97c7f3321d2p1), left);
        return select(corner, -corner, below);
    }
    // x = ±0 (y is not): ±π/2, as the steep case below returns, without dividing by zero (a driver may
    // not give the infinity that IEEE division would).
    if (ax == 0.0) {
        let half_pi: f64 = 0x1.921fb54442d18p0;
        return select(half_pi, -half_pi, below);
    }
    let ratio = ay / ax;
    var z = hx_atan(ratio);
    let steep = ratio > 1152921504606846976.0;
    if (steep) {
        z = 0x1.921fb54442d18p0;
    }
    if (left && ratio < 8.673617379884035e-19) {
        z = 0.0;
    }
    if (steep || !left) {
        return select(z, -z, below);
    }
    return select(pi - (z - 0x1.1a62633145c07p-53), (z - 0x1.1a62633145c07p-53) - pi, below);
}

// The names the kernels call, whatever the precision.
fn real_exp(x: f64) -> f64 { return hx_exp(x); }
fn real_sin(x: f64) -> f64 { return hx_sin(x); }
fn real_cos(x: f64) -> f64 { return hx_cos(x); }
fn real_log(x: f64) -> f64 { return hx_log(x); }
fn real_atan(x: f64) -> f64 { return hx_atan(x); }
fn real_tan(x: f64) -> f64 { return hx_tan(x); }
fn real_asin(x: f64) -> f64 { return hx_asin(x); }
fn real_acos(x: f64) -> f64 { return hx_acos(x); }
fn real_atan2(y: f64, x: f64) -> f64 { return hx_atan2(y, x); }

// What math_composed.wgsl needs of the precision: below REAL_EXP_SAFE, e^x is finite; the largest finite
// number; x >= 0 cut down to the grid of 2^-20 (for x < 32, where x^2 + 0.5625 is then exact), by floor: a
// driver may simplify (x + c) - c to x.
const REAL_EXP_SAFE: f64 = 709.0;
const REAL_LARGEST: f64 = 1.7976931348623157e308;
fn real_erf_split(x: f64) -> f64 { return floor(x * 0x1p20) * 0x1p-20; }
