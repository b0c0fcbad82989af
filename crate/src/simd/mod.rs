//! Running a kernel's plain-Rust lane loops on the widest vectors the CPU has.

/// Defines `fn $name(args)` that calls the `#[inline(always)]` kernel
/// `$kernel(args)` compiled with AVX-512 (F, BW) where the CPU has it, else
/// with AVX2 where it has that (its vector loops then use 64- or 32-byte
/// registers instead of 16-byte SSE2 ones), and as is elsewhere; wasm gets
/// SIMD128 at compile time. The operations, and so the result, are the same
/// either way.
///
/// `AVX2 at most:` before the `fn` leaves AVX-512 out, for a kernel that
/// measured slower with it.
///
/// A macro rather than a function taking a closure: LLVM does not inline a
/// large closure into a `#[target_feature]` wrapper, so the closure would
/// run without AVX2; a named kernel marked `#[inline(always)]` is inlined.
macro_rules! widest_vectors {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) = $kernel:path;) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if $crate::simd::has_avx512() {
                #[target_feature(enable = "avx2,avx512f,avx512bw")]
                unsafe fn avx512($($arg: $ty),*) {
                    $kernel($($arg),*)
                }
                // SAFETY: AVX-512 F and BW support was just detected.
                return unsafe { avx512($($arg),*) };
            }
            $crate::simd::widest_vectors!(@avx2_or_as_is $kernel; $($arg: $ty),*)
        }
    };
    (AVX2 at most: $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) = $kernel:path;) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) {
            $crate::simd::widest_vectors!(@avx2_or_as_is $kernel; $($arg: $ty),*)
        }
    };
    (@avx2_or_as_is $kernel:path; $($arg:ident: $ty:ty),*) => {{
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            #[target_feature(enable = "avx2")]
            unsafe fn avx2($($arg: $ty),*) {
                $kernel($($arg),*)
            }
            // SAFETY: AVX2 support was just detected.
            return unsafe { avx2($($arg),*) };
        }
        $kernel($($arg),*)
    }};
}

pub(crate) use widest_vectors;

/// Whether the CPU has AVX-512 with byte and word lanes (F and BW), which
/// doubles the lanes of the u16 kernels over AVX2. `RETOUCH_NO_AVX512` set
/// (any value) says no, so a benchmark can compare the two on one machine.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::env::var_os("RETOUCH_NO_AVX512").is_none()
    })
}

#[cfg(vector_rows)]
mod lanes;
#[cfg(vector_rows)]
pub(crate) use lanes::Lanes;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod wasm;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;
