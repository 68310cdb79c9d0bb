//! Compiling a hot loop for the widest vector unit the processor has, chosen at run time.
//!
//! The loops are written lane by lane in plain Rust; compiled with AVX-512 or AVX2 enabled, the same code
//! becomes wide vector instructions. Every version performs the same IEEE operations in the same order per
//! lane (Rust never fuses a multiply and an add on its own), so all of them return the same bits, and the
//! tests compare each version the processor has against the portable one.

/// Defines `mod $name` with `portable`, `avx2` and `avx512` versions of one function and `best`, which
/// calls the widest the processor supports.
macro_rules! multiversion {
    ($(#[$doc:meta])* $vis:vis mod $name:ident: fn($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$doc])*
        $vis mod $name {
            #[allow(unused_imports)]
            use super::*;

            /// The version for any processor.
            #[inline(always)]
            pub fn portable($($arg: $ty),*) -> $ret $body

            /// Compiled for AVX2.
            ///
            /// # Safety
            ///
            /// The processor must support AVX2.
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            pub unsafe fn avx2($($arg: $ty),*) -> $ret {
                portable($($arg),*)
            }

            /// Compiled for AVX-512F.
            ///
            /// # Safety
            ///
            /// The processor must support AVX-512F.
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            pub unsafe fn avx512($($arg: $ty),*) -> $ret {
                portable($($arg),*)
            }

            /// The widest version this processor runs.
            #[inline]
            pub fn best($($arg: $ty),*) -> $ret {
                #[cfg(target_arch = "x86_64")]
                {
                    if std::arch::is_x86_feature_detected!("avx512f") {
                        // SAFETY: AVX-512F was detected just above.
                        return unsafe { avx512($($arg),*) };
                    }
                    if std::arch::is_x86_feature_detected!("avx2") {
                        // SAFETY: AVX2 was detected just above.
                        return unsafe { avx2($($arg),*) };
                    }
                }
                portable($($arg),*)
            }
        }
    };
}

pub(crate) use multiversion;
