// ln, atan, asin, acos and atan2, written once for `real` on the math piece of either precision
// (math_f64.wgsl or math_f32.wgsl, which comes before this piece): the CPU's algorithms (src/math/,
// fdlibm's), their coefficients rounded to the precision, and from the precision's piece what depends on
// it (real_infinity, real_split, the subnormal scaling, the high and low parts of ln 2, pi/2, atan(1/2)
// and atan(3/2), Veltkamp's splitter).

// ln x (fdlibm's e_log.c): x = 2^k (1 + f), sqrt(2)/2 <= 1 + f < sqrt(2), s = f / (2 + f), a minimax
// polynomial in s^2, and fdlibm's two forms chosen by the top bits of m.
fn real_log(x: real) -> real {
    let inf = real_infinity();
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
    var k = real(0.0);
    if (v < REAL_SMALLEST_NORMAL) {
        v = v * REAL_SUBNORMAL_SCALE;
        k = -REAL_SUBNORMAL_SHIFT;
    }
    let split = real_split(v);
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
    let k_hi = k * REAL_LN2_HI;
    let k_lo = k * REAL_LN2_LO;
    let half_f2 = 0.5 * f * f;
    let first = k_hi - ((half_f2 - (s * (half_f2 + r) + k_lo)) - f);
    let second = k_hi - ((s * (f - r) - k_lo) - f);
    return select(second, first, past_from && !past_to);
}

// atan x (fdlibm's s_atan.c): |x| below 7/16 directly, else reduced around 0.5, 1, 1.5 or infinity and
// the reduction point's atan added in two parts.
fn real_atan(x: real) -> real {
    if (x != x || x == 0.0) {
        return x;
    }
    let t = abs(x);
    if (t > 7.378697629483821e19) {
        return select(REAL_PIO2_HI, -REAL_PIO2_HI, x < 0.0); // pi/2 (its low part is below half an ulp)
    }
    var r = x;
    var hi = real(0.0);
    var lo = real(0.0);
    let small = t < 0.4375;
    if (!small) {
        if (t < 0.6875) {
            r = (2.0 * t - 1.0) / (2.0 + t);
            hi = REAL_ATAN_HALF_HI;
            lo = REAL_ATAN_HALF_LO;
        } else if (t < 1.1875) {
            r = (t - 1.0) / (t + 1.0);
            hi = REAL_PIO2_HI * 0.5;
            lo = REAL_PIO2_LO * 0.5;
        } else if (t < 2.4375) {
            r = (t - 1.5) / (1.0 + 1.5 * t);
            hi = REAL_ATAN_THREE_HALVES_HI;
            lo = REAL_ATAN_THREE_HALVES_LO;
        } else {
            r = -1.0 / t;
            hi = REAL_PIO2_HI;
            lo = REAL_PIO2_LO;
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

// t P(t) / Q(t), fdlibm's rational approximation for asin and acos (e_asin.c).
fn hx_asin_rational(t: real) -> real {
    let p = t * (0x1.5555555555555p-3 + t * (-0x1.4d61203eb6f7dp-2 + t * (0x1.9c1550e884455p-3
        + t * (-0x1.48228b5688f3bp-5 + t * (0x1.9efe07501b288p-11 + t * 0x1.23de10dfdf709p-15)))));
    let q = 1.0 + t * (-0x1.33a271c8a2d4bp+1 + t * (0x1.02ae59c598ac8p+1 + t * (-0x1.6066c1b8d0159p-1
        + t * 0x1.3b8c5b12e9282p-4)));
    return p / q;
}

// The high half of u (Veltkamp's split): its square is exact.
fn hx_high_part(u: real) -> real {
    let p = u * REAL_SPLITTER;
    return p - (p - u);
}

// asin x (fdlibm's e_asin.c).
fn real_asin(x: real) -> real {
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
    var v: real;
    if (ax >= 0.975) {
        v = REAL_PIO2_HI - (2.0 * (s + s * r) - REAL_PIO2_LO);
    } else {
        let w = hx_high_part(s);
        let c = (t - w * w) / (s + w);
        let p = 2.0 * s * r - (REAL_PIO2_LO - 2.0 * c);
        let q = REAL_PIO2_HI * 0.5 - 2.0 * w;
        v = REAL_PIO2_HI * 0.5 - (p - q);
    }
    return select(v, -v, x < 0.0);
}

// acos x (fdlibm's e_acos.c).
fn real_acos(x: real) -> real {
    let ax = abs(x);
    if (x != x || ax > 1.0) {
        return (x - x) / (x - x);
    }
    if (x == 1.0) {
        return 0.0;
    }
    if (ax < 0.5) {
        let r = hx_asin_rational(x * x);
        return REAL_PIO2_HI - (x - (REAL_PIO2_LO - x * r));
    }
    if (x < 0.0) {
        let z = (1.0 + x) * 0.5;
        let s = sqrt(z);
        let w = hx_asin_rational(z) * s - REAL_PIO2_LO;
        return REAL_PIO2_HI * 2.0 - 2.0 * (s + w);
    }
    let z = (1.0 - x) * 0.5;
    let s = sqrt(z);
    let high = hx_high_part(s);
    let c = (z - high * high) / (s + high);
    return 2.0 * (high + (hx_asin_rational(z) * s + c));
}

// atan2(y, x) (fdlibm's e_atan2.c): the quadrant's rules around atan of |y/x|.
fn real_atan2(y: real, x: real) -> real {
    if (x != x || y != y) {
        return x + y;
    }
    // The sign of a zero from its bits (through f32, which keeps it): a driver's division by zero need
    // not give the infinity whose sign IEEE division would.
    let below = y < 0.0 || (y == 0.0 && (bitcast<u32>(f32(y)) >> 31u) == 1u);
    let left = x < 0.0 || (x == 0.0 && (bitcast<u32>(f32(x)) >> 31u) == 1u);
    let ay = abs(y);
    let ax = abs(x);
    let pi = REAL_PIO2_HI * 2.0;
    if (ay == 0.0 && ax == 0.0) {
        return select(y, select(pi, -pi, below), left);
    }
    let inf = real_infinity();
    if (ay == inf && ax == inf) {
        let corner = select(REAL_PIO2_HI * 0.5, real(0x1.2d97c7f3321d2p1), left);
        return select(corner, -corner, below);
    }
    // x = ±0 (y is not): ±π/2, as the steep case below returns, without dividing by zero (a driver may
    // not give the infinity that IEEE division would).
    if (ax == 0.0) {
        return select(REAL_PIO2_HI, -REAL_PIO2_HI, below);
    }
    let ratio = ay / ax;
    var z = real_atan(ratio);
    let steep = ratio > 1152921504606846976.0;
    if (steep) {
        z = REAL_PIO2_HI;
    }
    if (left && ratio < 8.673617379884035e-19) {
        z = 0.0;
    }
    if (steep || !left) {
        return select(z, -z, below);
    }
    let pi_lo = REAL_PIO2_LO * 2.0;
    return select(pi - (z - pi_lo), (z - pi_lo) - pi, below);
}
