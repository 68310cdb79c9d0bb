// log2, log10, log1p, expm1, cbrt, sinh, cosh, tanh, erf, erfc, hypot and pow, composed of the precision's
// own real_exp and real_log (math_f64.wgsl or math_f32.wgsl, whichever comes before this piece), the exact
// builtins and arithmetic, written once for `real`. Each one's error is a sum of its parts' (with F the
// ulps of real_exp and real_log, D of a division, A of an addition or product); the largest, erfc's
// 2F + D + 2A plus the approximations' own, stays within the 16 ulps that src/expr/bound.rs allows them
// with F = 4, D = 3, A = 1. pow's error grows with |y ln x| (see real_pow).

// log2 x = ln x · log2 e: F + A.
fn real_log2(x: real) -> real {
    return real_log(x) * real(0x1.71547652b82fep0);
}

// log10 x = ln x · log10 e: F + A.
fn real_log10(x: real) -> real {
    return real_log(x) * real(0x1.bcb7b1526e50ep-2);
}

// ln(1 + x): on [-1/2, 1], 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + ... + s^32/33) with s = x / (2 + x),
// |s| <= 1/3 (the first term left out is below 10^-17 of the sum), within D + 2A and the series' few
// units; elsewhere ln(1 + x), where 1 + x is exact (x < -1/2) or its rounding moves the logarithm by less
// than an ulp (x > 1). (Goldberg's ln(u) x / (u - 1), u = 1 + x, is not used: a driver may simplify
// (1 + x) - 1 to x.)
fn real_log1p(x: real) -> real {
    if (x >= real(-0.5) && x <= real(1.0)) {
        let s = x / (real(2.0) + x);
        let z = s * s;
        var p = real(0x1.f07c1f07c1f08p-6);
        p = real(0x1.0842108421084p-5) + z * p;
        p = real(0x1.1a7b9611a7b96p-5) + z * p;
        p = real(0x1.2f684bda12f68p-5) + z * p;
        p = real(0x1.47ae147ae147bp-5) + z * p;
        p = real(0x1.642c8590b2164p-5) + z * p;
        p = real(0x1.8618618618618p-5) + z * p;
        p = real(0x1.af286bca1af28p-5) + z * p;
        p = real(0x1.e1e1e1e1e1e1ep-5) + z * p;
        p = real(0x1.1111111111111p-4) + z * p;
        p = real(0x1.3b13b13b13b14p-4) + z * p;
        p = real(0x1.745d1745d1746p-4) + z * p;
        p = real(0x1.c71c71c71c71cp-4) + z * p;
        p = real(0x1.2492492492492p-3) + z * p;
        p = real(0x1.999999999999ap-3) + z * p;
        p = real(0x1.5555555555555p-2) + z * p;
        let t = real(2.0) * s;
        return t + t * (z * p);
    }
    return real_log(real(1.0) + x);
}

// (e^x - 1 - x) / x^2 = 1/2! + x/3! + ... + x^20/22!, by Horner's rule: the Taylor series, whose first
// term left out is below 10^-20 of the sum on [-1/2, 5/4).
fn hx_expm1_series(x: real) -> real {
    var p = real(0x1.0ce396db7f853p-70);
    p = real(0x1.71b8ef6dcf572p-66) + x * p;
    p = real(0x1.e542ba4020225p-62) + x * p;
    p = real(0x1.2f49b46814157p-57) + x * p;
    p = real(0x1.6827863b97d97p-53) + x * p;
    p = real(0x1.952c77030ad4ap-49) + x * p;
    p = real(0x1.ae7f3e733b81fp-45) + x * p;
    p = real(0x1.ae7f3e733b81fp-41) + x * p;
    p = real(0x1.93974a8c07c9dp-37) + x * p;
    p = real(0x1.6124613a86d09p-33) + x * p;
    p = real(0x1.1eed8eff8d898p-29) + x * p;
    p = real(0x1.ae64567f544e4p-26) + x * p;
    p = real(0x1.27e4fb7789f5cp-22) + x * p;
    p = real(0x1.71de3a556c734p-19) + x * p;
    p = real(0x1.a01a01a01a01ap-16) + x * p;
    p = real(0x1.a01a01a01a01ap-13) + x * p;
    p = real(0x1.6c16c16c16c17p-10) + x * p;
    p = real(0x1.1111111111111p-7) + x * p;
    p = real(0x1.5555555555555p-5) + x * p;
    p = real(0x1.5555555555555p-3) + x * p;
    return real(0.5) + x * p;
}

// e^x - 1: x + x^2 (the series) on [-1/2, 5/4), where e^x - 1 would cancel; e^x - 1 elsewhere, within
// 2.6 F + A (e^x / |e^x - 1| is at most 2.6 there).
fn real_expm1(x: real) -> real {
    if (x >= real(-0.5) && x < real(1.25)) {
        return x + (x * x) * hx_expm1_series(x);
    }
    return real_exp(x) - real(1.0);
}

// sinh x: for |x| < 1 its Taylor series to x^21/21!; above, (e^|x| - 1/e^|x|) / 2 (within 1.31 (F + D) + A,
// 1.31 being the most the difference cancels), and (e^(|x|/2) / 2) · e^(|x|/2) where e^|x| would
// overflow.
fn real_sinh(x: real) -> real {
    let a = abs(x);
    var v: real;
    if (a < real(1.0)) {
        let z = a * a;
        var p = real(0x1.71b8ef6dcf572p-66);
        p = real(0x1.2f49b46814157p-57) + z * p;
        p = real(0x1.952c77030ad4ap-49) + z * p;
        p = real(0x1.ae7f3e733b81fp-41) + z * p;
        p = real(0x1.6124613a86d09p-33) + z * p;
        p = real(0x1.ae64567f544e4p-26) + z * p;
        p = real(0x1.71de3a556c734p-19) + z * p;
        p = real(0x1.a01a01a01a01ap-13) + z * p;
        p = real(0x1.1111111111111p-7) + z * p;
        p = real(0x1.5555555555555p-3) + z * p;
        v = a + (a * z) * p;
    } else if (a > REAL_EXP_SAFE) {
        let h = real_exp(real(0.5) * a);
        v = (real(0.5) * h) * h;
    } else {
        let e = real_exp(a);
        v = real(0.5) * (e - real(1.0) / e);
    }
    return select(v, -v, x < real(0.0));
}

// cosh x = (e^|x| + 1/e^|x|) / 2, within F + D + 2A; (e^(|x|/2) / 2) · e^(|x|/2) where e^|x| would
// overflow.
fn real_cosh(x: real) -> real {
    let a = abs(x);
    if (a > REAL_EXP_SAFE) {
        let h = real_exp(real(0.5) * a);
        return (real(0.5) * h) * h;
    }
    let e = real_exp(a);
    return real(0.5) * (e + real(1.0) / e);
}

// tanh x: m / (m + 2) with m = e^(2|x|) - 1 from the series below |x| = 0.55, 1 - 2 / (e^(2|x|) + 1)
// above (no cancellation past 0.55), 1 from |x| = 20 on (where tanh rounds to 1 in either precision).
fn real_tanh(x: real) -> real {
    let a = abs(x);
    var v: real;
    if (a < real(0.55)) {
        let m = real_expm1(real(2.0) * a);
        v = m / (m + real(2.0));
    } else if (a < real(20.0)) {
        v = real(1.0) - real(2.0) / (real_exp(real(2.0) * a) + real(1.0));
    } else {
        v = real(1.0);
    }
    return select(v, -v, x < real(0.0));
}

// erfc |x| for 1.25 <= |x| < 28: fdlibm's e^(-z^2 - 0.5625) · e^((z - x)(z + x) + R/S) / x (s_erf.c), with z
// = x cut to the precision's coarse grid (real_erf_split) so that -z^2 - 0.5625 is exact.
fn hx_erfc_far(a: real) -> real {
    let s = real(1.0) / (a * a);
    var r: real;
    var q: real;
    if (a < real(2.857142857142857)) {
        r = real(-9.86494403484714822705e-03) + s * (real(-6.93858572707181764372e-01) + s * (real(-1.05586262253232909814e+01)
            + s * (real(-6.23753324503260060396e+01) + s * (real(-1.62396669462573470355e+02) + s * (real(-1.84605092906711035994e+02)
            + s * (real(-8.12874355063065934246e+01) + s * real(-9.81432934416914548592e+00)))))));
        q = real(1.0) + s * (real(1.96512716674392571292e+01) + s * (real(1.37657754143519042600e+02) + s * (real(4.34565877475229228821e+02)
            + s * (real(6.45387271733267880336e+02) + s * (real(4.29008140027567833386e+02) + s * (real(1.08635005541779435134e+02)
            + s * (real(6.57024977031928170135e+00) + s * real(-6.04244152148580987438e-02))))))));
    } else {
        r = real(-9.86494292470009928597e-03) + s * (real(-7.99283237680523006574e-01) + s * (real(-1.77579549177547519889e+01)
            + s * (real(-1.60636384855821916062e+02) + s * (real(-6.37566443368389627722e+02) + s * (real(-1.02509513161107724954e+03)
            + s * real(-4.83519191608651397019e+02))))));
        q = real(1.0) + s * (real(3.03380607434824582924e+01) + s * (real(3.25792512996573918826e+02) + s * (real(1.53672958608443695994e+03)
            + s * (real(3.19985821950859553908e+03) + s * (real(2.55305040643316442583e+03) + s * (real(4.74528541206955367215e+02)
            + s * real(-2.24409524465858183362e+01)))))));
    }
    let z = real_erf_split(a);
    return real_exp(-z * z - real(0.5625)) * real_exp((z - a) * (z + a) + r / q) / a;
}

// (erf(|x|) - 0.845062911510467529297) for 0.84375 <= |x| < 1.25: fdlibm's P(s)/Q(s), s = |x| - 1.
fn hx_erf_near_one(a: real) -> real {
    let s = a - real(1.0);
    let p = real(-2.36211856075265944077e-03) + s * (real(4.14856118683748331666e-01) + s * (real(-3.72207876035701323847e-01)
        + s * (real(3.18346619901161753674e-01) + s * (real(-1.10894694282396677476e-01) + s * (real(3.54783043256182359371e-02)
        + s * real(-2.16637559486879084300e-03))))));
    let q = real(1.0) + s * (real(1.06420880400844228286e-01) + s * (real(5.40397917702171048937e-01) + s * (real(7.18286544141962662868e-02)
        + s * (real(1.26171219808761642112e-01) + s * (real(1.36370839120290507362e-02) + s * real(1.19844998467991074170e-02))))));
    return p / q;
}

// (erf(x) - x) / x for |x| < 0.84375: fdlibm's R(x^2).
fn hx_erf_small(x: real) -> real {
    let z = x * x;
    let r = real(1.28379167095512558561e-01) + z * (real(-3.25042107247001499370e-01) + z * (real(-2.84817495755985104766e-02)
        + z * (real(-5.77027029648944159157e-03) + z * real(-2.37630166566501626084e-05))));
    let s = real(1.0) + z * (real(3.97917223959155352819e-01) + z * (real(6.50222499887672944485e-02) + z * (real(5.08130628187576562776e-03)
        + z * (real(1.32494738004321644526e-04) + z * real(-3.96022827877536812320e-06)))));
    return r / s;
}

// The error function: fdlibm's method (s_erf.c) on its four ranges.
fn real_erf(x: real) -> real {
    let a = abs(x);
    if (a < real(0.84375)) {
        return x + x * hx_erf_small(x);
    }
    var v: real;
    if (a < real(1.25)) {
        v = real(8.45062911510467529297e-01) + hx_erf_near_one(a);
    } else if (a < real(6.0)) {
        v = real(1.0) - hx_erfc_far(a);
    } else {
        v = real(1.0);
    }
    return select(v, -v, x < real(0.0));
}

// 1 - erf x: fdlibm's method (s_erf.c), without the cancellation of 1 - erf x for large x.
fn real_erfc(x: real) -> real {
    let a = abs(x);
    if (a < real(0.84375)) {
        let y = x * hx_erf_small(x);
        if (x < real(0.25)) {
            return real(1.0) - (x + y);
        }
        return real(0.5) - ((x - real(0.5)) + y);
    }
    var v: real;
    if (a < real(1.25)) {
        v = real(1.54937088489532470703e-01) - hx_erf_near_one(a);
    } else if (a < real(28.0)) {
        v = hx_erfc_far(a);
    } else {
        v = real(0.0);
    }
    return select(v, real(2.0) - v, x < real(0.0));
}

// The real cube root: e^(ln|x| / 3) (relative error below 2^-42 in f64, 2^-17 in f32), then one Newton
// step, y - (y - |x| / y^2) / 3, which squares that error and adds (D + A) / 3 + A.
fn real_cbrt(x: real) -> real {
    let a = abs(x);
    if (a == real(0.0) || a > REAL_LARGEST) {
        return x;
    }
    var y = real_exp(real_log(a) * real(0x1.5555555555555p-2));
    y = y - (y - a / (y * y)) * real(0x1.5555555555555p-2);
    return select(y, -y, x < real(0.0));
}

// sqrt(x^2 + y^2) as m sqrt(1 + (n/m)^2), m and n the larger and smaller of |x| and |y|: no overflow or
// underflow on the way; within (3D + 5A) / 4 + D.
fn real_hypot(x: real, y: real) -> real {
    let m = max(abs(x), abs(y));
    let n = min(abs(x), abs(y));
    if (m == real(0.0) || m > REAL_LARGEST) {
        return m;
    }
    let r = n / m;
    return m * sqrt(real(1.0) + r * r);
}

// x^y: e^(y ln |x|), the sign of x^y for x < 0 and an integer y, NaN for x < 0 and any other y; 1 where y
// = 0 or x = 1. ln |x| and the product carry F + A ulps of y ln |x| into the exponent, which moves x^y by
// |y ln x| (F + A) ulps of it: the error is F + A + |y ln x| (F + A).
fn real_pow(x: real, y: real) -> real {
    if (y == real(0.0) || x == real(1.0)) {
        return real(1.0);
    }
    var v = real_exp(y * real_log(abs(x)));
    if (x < real(0.0)) {
        if (floor(y) != y) {
            return sqrt(real(-1.0) + real(0.0) * x);
        }
        let half = real(0.5) * y;
        v = select(v, -v, floor(half) != half);
    }
    return v;
}
