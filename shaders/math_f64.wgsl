// exp, sin and cos in 64-bit floats. GLSL.std.450's Exp, Sin and Cos are 32-bit only, and f64
// transcendentals are unreliable across wgpu/naga backends, so hetero computes them with its own code:
// fdlibm's algorithms (Cody-Waite range reduction and the same minimax polynomials), in plain
// additions, multiplications and one division. Checked against the CPU's libm to within 2 ulp.

// 2^k, exactly, for -1074 <= k <= 1023, by binary powering (every partial product is a power of two).
fn hx_pow2(k: i32) -> f64 {
    var result: f64 = 1.0;
    var base: f64 = select(f64(2.0), f64(0.5), k < 0);
    var e = abs(k);
    while (e > 0) {
        if ((e & 1) == 1) {
            result = result * base;
        }
        base = base * base;
        e = e >> 1u;
    }
    return result;
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

// The names the kernels call, whatever the precision.
fn real_exp(x: f64) -> f64 { return hx_exp(x); }
fn real_sin(x: f64) -> f64 { return hx_sin(x); }
fn real_cos(x: f64) -> f64 { return hx_cos(x); }
