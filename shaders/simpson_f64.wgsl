// Simpson prelude for f64: x_i = a + i h from the integer index, as on the CPU.

fn x_at(slot: u32, block: f64, l: u32) -> f64 {
    // block * 2^16 + l is exact in f64 below 2^53.
    return params.lo + (block * 65536.0 + f64(l)) * params.h;
}
