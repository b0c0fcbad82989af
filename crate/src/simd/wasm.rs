//! wasm's 16-byte SIMD128 registers for the [`Lanes`] kernels, so the page
//! runs the same hand-written rows as x86 (the build enables `simd128` for
//! every wasm32 target: `.cargo/config.toml`). The engine maps each
//! instruction onto the machine's own (SSE/AVX on x86, NEON on ARM).

use super::Lanes;
use core::arch::wasm32::*;

/// A 16-byte SIMD128 register.
#[derive(Clone, Copy)]
pub(crate) struct Simd128(v128);

impl Lanes for Simd128 {
    const BYTES: usize = 16;
    #[inline(always)]
    unsafe fn load(from: *const u8) -> Self {
        // SAFETY: the caller gives 16 readable bytes; the load has no
        // alignment requirement.
        Simd128(unsafe { v128_load(from.cast()) })
    }
    #[inline(always)]
    unsafe fn store(self, to: *mut u8) {
        // SAFETY: the caller gives 16 writable bytes, any alignment.
        unsafe { v128_store(to.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn load_bytes_as_u32(from: *const u8) -> Self {
        // SAFETY: the caller gives 4 readable bytes, any alignment.
        let bytes = unsafe { v128_load32_zero(from.cast()) };
        Simd128(u32x4_extend_low_u16x8(u16x8_extend_low_u8x16(bytes)))
    }
    #[inline(always)]
    unsafe fn splat16(value: u16) -> Self {
        Simd128(u16x8_splat(value))
    }
    #[inline(always)]
    unsafe fn splat32(value: u32) -> Self {
        Simd128(u32x4_splat(value))
    }
    #[inline(always)]
    unsafe fn and(self, other: Self) -> Self {
        Simd128(v128_and(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn or(self, other: Self) -> Self {
        Simd128(v128_or(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn add16(self, other: Self) -> Self {
        Simd128(i16x8_add(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn sub16(self, other: Self) -> Self {
        Simd128(i16x8_sub(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn mullo16(self, other: Self) -> Self {
        Simd128(i16x8_mul(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn mulhrs16(self, other: Self) -> Self {
        Simd128(i16x8_q15mulr_sat(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn shr16<const N: i32>(self) -> Self {
        Simd128(u16x8_shr(self.0, N as u32))
    }
    #[inline(always)]
    unsafe fn shl16<const N: i32>(self) -> Self {
        Simd128(i16x8_shl(self.0, N as u32))
    }
    #[inline(always)]
    unsafe fn min16(self, other: Self) -> Self {
        Simd128(i16x8_min(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn max16(self, other: Self) -> Self {
        Simd128(i16x8_max(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn sub_or_zero16(self, other: Self) -> Self {
        Simd128(u16x8_sub_sat(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn where_greater16(self, than: Self, then: Self, otherwise: Self) -> Self {
        Simd128(v128_bitselect(
            then.0,
            otherwise.0,
            i16x8_gt(self.0, than.0),
        ))
    }
    #[inline(always)]
    unsafe fn add32(self, other: Self) -> Self {
        Simd128(i32x4_add(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn mullo32(self, other: Self) -> Self {
        Simd128(i32x4_mul(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn min32(self, other: Self) -> Self {
        Simd128(u32x4_min(self.0, other.0))
    }
    #[inline(always)]
    unsafe fn shr32<const N: i32>(self) -> Self {
        Simd128(u32x4_shr(self.0, N as u32))
    }
    #[inline(always)]
    unsafe fn shl32<const N: i32>(self) -> Self {
        Simd128(i32x4_shl(self.0, N as u32))
    }
    #[inline(always)]
    unsafe fn all_equal32(self, other: Self) -> bool {
        i32x4_all_true(i32x4_eq(self.0, other.0))
    }
}
