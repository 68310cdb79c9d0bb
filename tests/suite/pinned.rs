//! Results of this version, pinned bit for bit.
//!
//! The cross-backend tests prove that every backend, thread count and processor gives the serial oracle's
//! bits; these prove that the oracle itself has not moved. A change to a kernel's arithmetic (an inner loop,
//! the order of a sum, the built-in `exp`, `sin` or `cos`) that changes any bit fails here: results users have
//! recorded, with their reproducibility stamps, would no longer be reproduced. If the change is meant, update
//! the values below and say in the release notes which results changed and why.

use hetero::kernels::{Function, Leibniz, MonteCarloPi, Simpson};
use hetero::{Backend, Engine};

fn engine() -> Engine {
    Engine::with_threads(2).expect("the test machine can start two threads")
}

pub(crate) fn simpson_results_are_pinned() {
    // (integrand, a, b, intervals, bits of the value, bits of the error estimate)
    let cases = [
        (
            Function::Exp,
            0.0,
            1.0,
            100_000,
            0x3ffb7e151628aed4_u64,
            0x3bc788e27a5489ae_u64,
        ),
        (
            Function::Exp,
            -700.0,
            700.0,
            1_000_003,
            0x7f0d945df4f8ebab,
            0x7c3650258b51eaf6,
        ),
        (
            Function::Sin,
            0.0,
            100.0,
            100_000,
            0x3fc19f8902668079,
            0x3ccb8fc3faa1334a,
        ),
        (Function::Cos, -3.0, 3.0, 65_536, 0x3fd210386db6d55b, 0x3c0667accccccccd),
        (
            Function::gauss(0.5, 0.1).unwrap(),
            0.0,
            1.0,
            100_000,
            0x3fd00adb7f442d0e,
            0x3bac03b7fd9160ff,
        ),
        (Function::Pi, 0.0, 1.0, 200_000, 0x400921fb54442d18, 0x3bef83fa0d0069cc),
        (
            Function::poly(3).unwrap(),
            0.0,
            2.0,
            1000,
            0x4010000000000000,
            0x3c39f5b0dd4667db,
        ),
    ];
    let engine = engine();
    for (f, a, b, n, value, error) in cases {
        let kernel = Simpson::new(f, a, b, n).unwrap();
        for backend in [Backend::Serial, Backend::Rayon] {
            let got = engine.run(&kernel, backend).unwrap().output;
            assert_eq!(
                (got.value.to_bits(), got.error_estimate.to_bits()),
                (value, error),
                "Simpson {f:?} on [{a}, {b}] with {n} intervals ({backend}): value {:e}, error estimate {:e} \
                 are no longer this version's results",
                got.value,
                got.error_estimate,
            );
        }
    }
}

pub(crate) fn leibniz_results_are_pinned() {
    let cases = [
        (1, 0x4010000000000000_u64),
        (7, 0x400a4518aea22ff4),
        (100_003, 0x4009220092674091),
        ((1 << 20) + 1, 0x400921fbd4442518),
    ];
    let engine = engine();
    for (terms, value) in cases {
        let kernel = Leibniz::new(terms).unwrap();
        for backend in [Backend::Serial, Backend::Rayon] {
            let got = engine.run(&kernel, backend).unwrap().output.value;
            assert_eq!(got.to_bits(), value, "Leibniz with {terms} terms ({backend}): {got:e}");
        }
    }
}

pub(crate) fn monte_carlo_hit_counts_are_pinned() {
    // The stream is a public contract: these counts can never change.
    let engine = engine();
    for (samples, seed, hits) in [(1_000_000, 42, 785_856), (999_999, 7, 785_280)] {
        let kernel = MonteCarloPi::new(samples, seed).unwrap();
        for backend in [Backend::Serial, Backend::Rayon] {
            let got = engine.run(&kernel, backend).unwrap().output.hits;
            assert_eq!(got, hits, "{samples} samples, seed {seed} ({backend})");
        }
    }
}
