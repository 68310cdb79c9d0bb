//! Philox4x32-10, the counter-based generator behind every random number in hetero.
//!
//! Philox (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011) maps a
//! 128-bit counter and a 64-bit key to 128 random bits through ten rounds of multiply-and-xor. Because the
//! output is a pure function of `(counter, key)`, any part of a random stream can be computed by any thread,
//! process or device without communication, which is what lets every backend produce the same Monte Carlo
//! result. The implementation reproduces the Random123 known-answer vectors (see the tests below); the
//! WGSL copy in `shaders/` is checked against this one.

/// First round multiplier of Philox4x32.
pub(crate) const PHILOX_M0: u32 = 0xD251_1F53;
/// Second round multiplier of Philox4x32.
pub(crate) const PHILOX_M1: u32 = 0xCD9E_8D57;
/// Weyl increment of the first key word (the golden ratio).
pub(crate) const PHILOX_W0: u32 = 0x9E37_79B9;
/// Weyl increment of the second key word (√3 − 1).
pub(crate) const PHILOX_W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = u64::from(a) * u64::from(b);
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(PHILOX_M0, c[0]);
    let (hi1, lo1) = mulhilo(PHILOX_M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with ten rounds: 128 random bits for one `(counter, key)`.
///
/// # Examples
///
/// The first Random123 known-answer vector:
///
/// ```
/// use hetero::rng::philox4x32_10;
/// assert_eq!(
///     philox4x32_10([0, 0, 0, 0], [0, 0]),
///     [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
/// );
/// ```
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for _ in 0..9 {
        c = round(c, k);
        k = [k[0].wrapping_add(PHILOX_W0), k[1].wrapping_add(PHILOX_W1)];
    }
    round(c, k)
}

/// Philox4x32-10 on `L` counters at once, `[lo[l], hi[l], 0, 0]` with one key: the same numbers as
/// [`philox4x32_10`] lane by lane, written lane-wise so that the compiler maps it onto vector units.
#[inline(always)]
pub(crate) fn philox4x32_10_lanes<const L: usize>(lo: [u32; L], hi: [u32; L], key: [u32; 2]) -> [[u32; L]; 4] {
    let mut c = [lo, hi, [0; L], [0; L]];
    let mut k = key;
    for r in 0..10 {
        let mut next = [[0u32; L]; 4];
        for l in 0..L {
            let p0 = u64::from(PHILOX_M0) * u64::from(c[0][l]);
            let p1 = u64::from(PHILOX_M1) * u64::from(c[2][l]);
            next[0][l] = (p1 >> 32) as u32 ^ c[1][l] ^ k[0];
            next[1][l] = p1 as u32;
            next[2][l] = (p0 >> 32) as u32 ^ c[3][l] ^ k[1];
            next[3][l] = p0 as u32;
        }
        c = next;
        if r < 9 {
            k = [k[0].wrapping_add(PHILOX_W0), k[1].wrapping_add(PHILOX_W1)];
        }
    }
    c
}

/// The key hetero derives from a 64-bit seed: `[seed mod 2^32, seed div 2^32]`.
#[inline]
pub fn key_from_seed(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// The counter of call `i` of a stream: `[i mod 2^32, i div 2^32, 0, 0]`.
#[inline]
pub fn counter_for_call(i: u64) -> [u32; 4] {
    [i as u32, (i >> 32) as u32, 0, 0]
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lane_form_is_the_same_stream() {
        let out = super::philox4x32_10_lanes([5, 6], [1, 1], [7, 8]);
        for (l, lo) in [5u32, 6].into_iter().enumerate() {
            let lane = [out[0][l], out[1][l], out[2][l], out[3][l]];
            assert_eq!(super::philox4x32_10([lo, 1, 0, 0], [7, 8]), lane);
        }
    }

    use super::*;

    /// The three `philox4x32 10` lines of Random123's `kat_vectors`: counter, key, expected output.
    const KAT: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
        ([0; 4], [0; 2], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
        (
            [u32::MAX; 4],
            [u32::MAX; 2],
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        ),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ),
    ];

    #[test]
    fn random123_known_answers() {
        for (counter, key, expected) in KAT {
            assert_eq!(
                philox4x32_10(counter, key),
                expected,
                "counter {counter:x?} key {key:x?}"
            );
        }
    }

    #[test]
    fn seed_and_counter_layout() {
        assert_eq!(key_from_seed(0x0123_4567_89ab_cdef), [0x89ab_cdef, 0x0123_4567]);
        assert_eq!(counter_for_call((7u64 << 32) | 5), [5, 7, 0, 0]);
    }
}
