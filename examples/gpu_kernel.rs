//! A kernel of one's own, on the CPU and on the GPU with the same answer: Monte Carlo volume of the unit
//! ball in 3-D, on hetero's Philox stream, with an exact integer test in Rust and in WGSL.
//!
//! Run with `cargo run --release --example gpu_kernel`. Without a GPU adapter it runs the CPU part and says
//! why it skips the rest (or fails, with `HETERO_REQUIRE_GPU=1`).

use hetero::gpu::{GpuCaps, GpuKernel, GpuProgram, Precision, shaders};
use hetero::rng::{counter_for_call, key_from_seed, philox4x32_10};
use hetero::{Backend, Engine, Kernel, WgslProgram};

/// Samples per block: 64 invocations × 256 samples.
const BLOCK: u64 = 1 << 14;

/// Call `i` of the stream gives one point (r0, r1, r2) of the cube [0, 2^32)³; it is inside the ball iff
/// r0² + r1² + r2² < 2^64. The volume of the ball is 8 · hits / N.
struct Ball {
    samples: u64,
    seed: u64,
}

impl Kernel for Ball {
    type Partial = u64;
    type Output = (u64, f64);

    fn name(&self) -> &str {
        "ball"
    }
    fn blocks(&self) -> u64 {
        self.samples.div_ceil(BLOCK)
    }
    fn block(&self, index: u64) -> u64 {
        let key = key_from_seed(self.seed);
        let first = index * BLOCK;
        (first..(first + BLOCK).min(self.samples))
            .filter(|&i| {
                let r = philox4x32_10(counter_for_call(i), key);
                let square = |w: u32| u128::from(w) * u128::from(w);
                square(r[0]) + square(r[1]) + square(r[2]) < 1 << 64
            })
            .count() as u64
    }
    fn finish(&self, hits: u64) -> (u64, f64) {
        (hits, 8.0 * hits as f64 / self.samples as f64)
    }
    fn elements(&self) -> u64 {
        self.samples
    }

    fn gpu(&self) -> Option<&dyn GpuKernel<Partial = u64>> {
        Some(self)
    }
}

impl GpuKernel for Ball {
    type Partial = u64;

    fn program(&self, _caps: &GpuCaps) -> hetero::Result<GpuProgram<'_, u64>> {
        let key = key_from_seed(self.seed);
        let params = vec![key[0], key[1], self.samples as u32, (self.samples >> 32) as u32];
        let source = format!("{}\n{BALL_WGSL}", shaders::PHILOX);
        Ok(GpuProgram::new(
            WgslProgram::new(source, "ball"),
            Precision::Exact,
            params,
            1,
            |_, words| u64::from(words[0]),
        ))
    }
}

const BALL_WGSL: &str = r"
struct Dispatch { first_block: vec2<u32>, block_count: u32, pad: u32 }
struct Params { key: vec2<u32>, samples: vec2<u32> }
@group(0) @binding(0) var<uniform> dispatch: Dispatch;
@group(0) @binding(1) var<storage, read> params: Params;
@group(0) @binding(2) var<storage, read_write> hits: array<u32>;

var<workgroup> counts: array<u32, 64>;

// (hi, lo) + (hi, lo) -> (hi, lo, carry out of 64 bits)
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec3<u32> {
    let lo = a.y + b.y;
    let hi1 = a.x + b.x;
    let hi = hi1 + select(0u, 1u, lo < a.y);
    return vec3<u32>(hi, lo, select(0u, 1u, hi1 < a.x || hi < hi1));
}

@compute @workgroup_size(64)
fn ball(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    // First sample of the block: (first_block + wg.x) * 2^14, as (low, high) words.
    let block_lo = dispatch.first_block.x + wg.x;
    let block_hi = dispatch.first_block.y + select(0u, 1u, block_lo < wg.x);
    let first_lo = block_lo << 14u;
    let first_hi = (block_hi << 14u) | (block_lo >> 18u);
    var count = 0u;
    for (var k = 0u; k < 256u; k++) {
        let i_lo = first_lo | (t + 64u * k);
        let beyond = first_hi > params.samples.y || (first_hi == params.samples.y && i_lo >= params.samples.x);
        if (beyond) {
            break;
        }
        let r = philox4x32_10(vec4<u32>(i_lo, first_hi, 0u, 0u), params.key);
        let xy = add64(mulhilo(r.x, r.x), mulhilo(r.y, r.y));
        let xyz = add64(xy.xy, mulhilo(r.z, r.z));
        count += select(0u, 1u, xy.z == 0u && xyz.z == 0u);
    }
    counts[t] = count;
    workgroupBarrier();
    for (var s = 32u; s > 0u; s >>= 1u) {
        if (t < s) {
            counts[t] += counts[t + s];
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        hits[wg.x] = counts[0];
    }
}
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new()?;
    let ball = Ball {
        samples: 20_000_003,
        seed: 7,
    };
    let cpu = engine.run(&ball, Backend::Rayon)?;
    let exact = 4.0 / 3.0 * std::f64::consts::PI;
    println!(
        "CPU (rayon): {} hits, volume {:.6} (exact {exact:.6}), {:?}",
        cpu.output.0, cpu.output.1, cpu.elapsed
    );

    match engine.gpu() {
        Ok(gpu) => {
            let run = engine.run(&ball, Backend::Gpu)?;
            println!(
                "GPU ({}): {} hits, volume {:.6}, {:?}",
                gpu.name(),
                run.output.0,
                run.output.1,
                run.elapsed
            );
            if run.output.0 != cpu.output.0 {
                return Err(format!("GPU counted {} hits, CPU {}", run.output.0, cpu.output.0).into());
            }
            println!("identical hit counts");
        }
        Err(e) if std::env::var("HETERO_REQUIRE_GPU").is_ok_and(|v| v == "1") => return Err(e.into()),
        Err(e) => println!("skipping the GPU part: {e}"),
    }
    Ok(())
}
