// Workgroup-wide compensated sums, for kernels whose invocations each hold a Neumaier pair (s, c):
// error-free additions fold invocation t + stride into t, strides halving from 128 down to the kernel's
// REDUCE_DOWN_TO. Invocation t then holds the combined pair of every invocation congruent to t modulo
// REDUCE_DOWN_TO. Needs `lost` (block.wgsl) and a workgroup of 256 invocations.

var<workgroup> sums: array<real, 256>;
var<workgroup> compensations: array<real, 256>;

fn reduce_compensated(t: u32, s: real, c: real) {
    sums[t] = s;
    compensations[t] = c;
    workgroupBarrier();
    for (var stride = 128u; stride >= REDUCE_DOWN_TO; stride >>= 1u) {
        if (t < stride) {
            let a = sums[t];
            let b = sums[t + stride];
            let sum = a + b;
            compensations[t] += compensations[t + stride] + lost(a, b, sum);
            sums[t] = sum;
        }
        workgroupBarrier();
    }
}
