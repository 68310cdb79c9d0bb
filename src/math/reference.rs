//! Double-double references for the tests of hetero's math: about 100 bits, from exact transformations
//! and series, to measure each function's error in ulps.

/// A double-double number `hi + lo`, `|lo| ≤ ulp(hi)/2`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dd(pub(super) f64, pub(super) f64);

pub(super) fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let z = s - a;
    Dd(s, (a - (s - z)) + (b - z))
}

pub(super) fn two_product(a: f64, b: f64) -> Dd {
    let p = a * b;
    Dd(p, a.mul_add(b, -p))
}

impl Dd {
    pub(super) fn add(self, o: Dd) -> Dd {
        let s = two_sum(self.0, o.0);
        let t = s.1 + self.1 + o.1;
        two_sum(s.0, t)
    }
    pub(super) fn mul(self, o: Dd) -> Dd {
        let p = two_product(self.0, o.0);
        two_sum(p.0, p.1 + self.0 * o.1 + self.1 * o.0)
    }
    pub(super) fn div(self, d: f64) -> Dd {
        let q = self.0 / d;
        let p = two_product(q, d);
        two_sum(q, ((self.0 - p.0) - p.1 + self.1) / d)
    }
    pub(super) fn div_dd(self, d: Dd) -> Dd {
        let q = self.0 / d.0;
        let r = self.add(d.mul(Dd(-q, 0.0)));
        two_sum(q, r.0 / d.0)
    }
    pub(super) fn scale(self, f: f64) -> Dd {
        Dd(self.0 * f, self.1 * f)
    }
}

/// `eˣ` to about 100 bits, for |x| ≤ 709: `x = k·ln2 + r` in double-double, `e^(r/256)` by its Taylor
/// series, squared eight times, then scaled by `2^k`.
pub(super) fn exp_reference(x: f64) -> Dd {
    let (unscaled, k) = exp_reference_unscaled(x);
    unscaled.scale(2f64.powi(k))
}

/// [`exp_reference`] before the scaling, and `k`: near the subnormal range the scaled low part loses
/// its bits.
pub(super) fn exp_reference_unscaled(x: f64) -> (Dd, i32) {
    // ln 2 to 107 bits.
    let ln2 = Dd(
        f64::from_bits(0x3fe6_2e42_fefa_39ef),
        f64::from_bits(0x3c7a_bc9e_3b39_803f),
    );
    let k = (x / std::f64::consts::LN_2).round();
    let r = Dd(x, 0.0).add(ln2.mul(Dd(-k, 0.0))).scale(1.0 / 256.0);
    let mut term = Dd(1.0, 0.0);
    let mut sum = Dd(1.0, 0.0);
    for n in 1..=16 {
        term = term.mul(r).div(n as f64);
        sum = sum.add(term);
    }
    for _ in 0..8 {
        sum = sum.mul(sum);
    }
    (sum, k as i32)
}

/// `|computed − reference|` in units of the last place of the reference.
pub(super) fn ulps(computed: f64, reference: Dd) -> f64 {
    let ulp = {
        let r = reference.0.abs();
        f64::from_bits(r.to_bits() + 1) - r
    };
    ((computed - reference.0) - reference.1).abs() / ulp
}

/// The largest error of `f` in ulps over `points`, against `reference`, and where it is.
pub(super) fn worst(points: &[f64], f: fn(f64) -> f64, reference: impl Fn(f64) -> Dd) -> (f64, f64) {
    points
        .iter()
        .map(|&x| (ulps(f(x), reference(x)), x))
        .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
}

/// [`worst`] for a function of two arguments: the largest error over `pairs` and the pair where it is.
pub(super) fn worst2(
    pairs: impl IntoIterator<Item = (f64, f64)>,
    f: fn(f64, f64) -> f64,
    reference: impl Fn(f64, f64) -> Dd,
) -> (f64, f64, f64) {
    pairs
        .into_iter()
        .map(|(a, b)| (ulps(f(a, b), reference(a, b)), a, b))
        .fold((0.0, 0.0, 0.0), |w, e| if e.0 > w.0 { e } else { w })
}

/// `count` numbers spread over `[lo, hi)`, from a linear congruential generator seeded with `seed`.
pub(crate) fn sample(count: usize, lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// `ln x` to about 100 bits: the C library's value `y` refined by one Newton step,
/// `y + (x·e^(−y) − 1)`, with `e^(−y)` from [`exp_reference_unscaled`].
pub(super) fn log_reference(x: f64) -> Dd {
    if (x - 1.0).abs() < 1e-3 {
        // Near 1, where ln x is tiny, its series in f = x − 1 (exact): Σ (−1)^(n+1) fⁿ/n.
        let f = Dd(x - 1.0, 0.0);
        let (mut power, mut sum) = (f, Dd(0.0, 0.0));
        for n in 1..=12 {
            let term = power.div(n as f64);
            sum = sum.add(if n % 2 == 1 { term } else { term.scale(-1.0) });
            power = power.mul(f);
        }
        return sum;
    }
    let y = libm::log(x);
    let (e, k) = exp_reference_unscaled(-y);
    // x·2^k in two exact steps (x·2^k is near 1).
    let scaled = x * 2f64.powi(k / 2) * 2f64.powi(k - k / 2);
    let d = Dd(scaled, 0.0).mul(e).add(Dd(-1.0, 0.0));
    Dd(y, 0.0).add(d)
}

/// `(sin x, cos x)` to about 100 bits: `x − n·π/2` summed exactly (π/2 to 200 bits in four doubles,
/// each product split exactly), then Taylor series in double-double.
pub(super) fn sin_cos_reference(x: f64) -> (Dd, Dd) {
    let pio2 = [
        f64::from_bits(0x3ff9_21fb_5444_2d18),
        f64::from_bits(0x3c91_a626_3314_5c07),
        f64::from_bits(0xb91f_1976_b7ed_8fbc),
        f64::from_bits(0x35b4_cf98_e804_177d),
    ];
    let n = (x * std::f64::consts::FRAC_2_PI).round();
    let mut exact = crate::ExactSum::of(x);
    for part in pio2 {
        let p = two_product(-n, part);
        exact.add(p.0);
        exact.add(p.1);
    }
    let hi = exact.value();
    exact.add(-hi);
    let r = Dd(hi, exact.value());
    let r2 = r.mul(r);
    let (mut sin, mut cos) = (r, Dd(1.0, 0.0));
    let (mut sin_term, mut cos_term) = (r, Dd(1.0, 0.0));
    for k in 1..=14 {
        sin_term = sin_term.mul(r2).div(-((2 * k) * (2 * k + 1)) as f64);
        cos_term = cos_term.mul(r2).div(-((2 * k - 1) * (2 * k)) as f64);
        sin = sin.add(sin_term);
        cos = cos.add(cos_term);
    }
    let neg = |d: Dd| Dd(-d.0, -d.1);
    match (n as i64).rem_euclid(4) {
        0 => (sin, cos),
        1 => (cos, neg(sin)),
        2 => (neg(sin), neg(cos)),
        _ => (neg(cos), sin),
    }
}
