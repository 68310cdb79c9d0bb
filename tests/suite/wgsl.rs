//! Every WGSL program hetero generates parses and validates (naga, wgpu's shader compiler), with no adapter:
//! each kernel's program for every combination of the device capabilities it reads (64-bit floats, 64-bit
//! integers, a precision asked for), and expressions using every function of the language.

use hetero::expr::Expr;
use hetero::gpu::{GpuCaps, GpuKernel, Precision};
use hetero::kernels::{Function, Leibniz, MonteCarloIntegral, MonteCarloPi, Simpson};
use hetero::{Kernel, Partial};

/// Every capability set a device can offer, with and without a precision asked for.
fn every_caps() -> Vec<GpuCaps> {
    let mut all = Vec::new();
    for shader_f64 in [false, true] {
        for shader_int64 in [false, true] {
            for requested in [None, Some(Precision::F32), Some(Precision::F64)] {
                all.push(GpuCaps {
                    shader_f64,
                    shader_int64,
                    requested,
                });
            }
        }
    }
    all
}

/// Validates `kernel`'s program for every capability set it accepts; the number validated.
fn validate<K: Kernel>(name: &str, kernel: &K) -> usize
where
    K::Partial: Partial,
{
    let Some(gpu) = kernel.gpu() else {
        panic!("{name} has no GPU program")
    };
    let mut validated = 0;
    for caps in every_caps() {
        validated += validate_program(name, gpu, &caps) as usize;
    }
    assert!(validated > 0, "{name}: no capability set gave a program");
    validated
}

/// Whether `gpu` gave a program for `caps` (it may refuse, as for f64 asked of a device without it);
/// panics, naming the line, where the program does not validate.
fn validate_program<P>(name: &str, gpu: &dyn GpuKernel<Partial = P>, caps: &GpuCaps) -> bool {
    let Ok(program) = gpu.program(caps) else {
        return false;
    };
    let source = &program.wgsl.source;
    let module = naga::front::wgsl::parse_str(source).unwrap_or_else(|e| {
        panic!("{name} with {caps:?}: {}", e.emit_to_string(source));
    });
    let mut capabilities = naga::valid::Capabilities::empty();
    if caps.shader_f64 {
        capabilities |= naga::valid::Capabilities::FLOAT64;
    }
    if caps.shader_int64 {
        capabilities |= naga::valid::Capabilities::SHADER_INT64;
    }
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), capabilities)
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name} with {caps:?}: {}", e.emit_to_string(source)));
    assert!(
        module.entry_points.iter().any(|e| e.name == program.wgsl.entry_point),
        "{name}: no entry point {}",
        program.wgsl.entry_point
    );
    true
}

pub(crate) fn every_wgsl_program_validates() {
    let mut validated = 0;
    validated += validate("pi", &MonteCarloPi::new(1 << 20, 7).unwrap());
    validated += validate("leibniz", &Leibniz::new(1 << 20).unwrap());
    let functions = [
        Function::Exp,
        Function::Sin,
        Function::Cos,
        Function::gauss(0.3, 0.7).unwrap(),
        Function::Pi,
        Function::poly(5).unwrap(),
    ];
    for f in functions {
        validated += validate(
            &format!("simpson {}", f.name()),
            &Simpson::new(f, 0.0, 1.0, 1 << 12).unwrap(),
        );
    }
    // Every function of the expression language, in one and in three dimensions.
    let one = "exp(x) + log(x + 2) + log2(x + 2) + log10(x + 2) + log1p(x) + expm1(x) + sqrt(x) + cbrt(x) \
               + sin(x) + cos(x) + tan(x) + asin(x / 2) + acos(x / 2) + atan(x) + atan2(x, 2) + sinh(x) \
               + cosh(x) + tanh(x) + erf(x) + erfc(x) + abs(x) + min(x, 0.5) + max(x, 0.5) + pow(x + 1, 2.5) \
               + hypot(x, 1) + x^3 + x^-2 + 2^x";
    validated += validate("simpson expr", &Simpson::expr(one, 0.6, 1.0, 1 << 12).unwrap());
    // Jumps, where no point of the interval is near one (the GPU refuses a jump inside it).
    let steps = "floor(x) + ceil(x) + (x > 0.05) * (x <= 2) + (x >= 0) - (x < -1)";
    validated += validate("simpson steps", &Simpson::expr(steps, 0.1, 0.9, 1 << 12).unwrap());
    let three = Expr::parse("exp(-x*y) * cos(z) + (x^2 + y^2 < 5) * sqrt(z + 1)", 3).unwrap();
    validated += validate(
        "montecarlo expr",
        &MonteCarloIntegral::new(three, &[(0.0, 1.0); 3], 1 << 16, 1).unwrap(),
    );
    assert!(validated >= 20, "{validated} programs validated");
}
