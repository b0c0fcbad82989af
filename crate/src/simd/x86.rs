//! x86 vector registers for the [`Lanes`] kernels: AVX2 and AVX-512 BW.
//! The methods are unsafe: the CPU must have the register's instructions,
//! which a kernel checks once before entering a `#[target_feature]`
//! function that runs it on one of the types.

use super::Lanes;
use std::arch::x86_64::*;

/// 32-byte AVX2 registers.
#[derive(Clone, Copy)]
pub(crate) struct Avx2(__m256i);

impl Lanes for Avx2 {
    const BYTES: usize = 32;
    #[inline(always)]
    unsafe fn load(from: *const u8) -> Self {
        Avx2(unsafe { _mm256_loadu_si256(from.cast()) })
    }
    #[inline(always)]
    unsafe fn store(self, to: *mut u8) {
        unsafe { _mm256_storeu_si256(to.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn load_bytes_as_u32(from: *const u8) -> Self {
        Avx2(unsafe { _mm256_cvtepu8_epi32(_mm_loadl_epi64(from.cast())) })
    }
    #[inline(always)]
    unsafe fn splat16(value: u16) -> Self {
        Avx2(unsafe { _mm256_set1_epi16(value as i16) })
    }
    #[inline(always)]
    unsafe fn splat32(value: u32) -> Self {
        Avx2(unsafe { _mm256_set1_epi32(value as i32) })
    }
    #[inline(always)]
    unsafe fn and(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_and_si256(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn or(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_or_si256(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn add16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_add_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn sub16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_sub_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mullo16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_mullo_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mulhi16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_mulhi_epu16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mulhrs16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_mulhrs_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn shr16<const N: i32>(self) -> Self {
        Avx2(unsafe { _mm256_srli_epi16::<N>(self.0) })
    }
    #[inline(always)]
    unsafe fn shl16<const N: i32>(self) -> Self {
        Avx2(unsafe { _mm256_slli_epi16::<N>(self.0) })
    }
    #[inline(always)]
    unsafe fn min16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_min_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn max16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_max_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn sub_or_zero16(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_subs_epu16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn where_greater16(self, than: Self, then: Self, otherwise: Self) -> Self {
        Avx2(unsafe { _mm256_blendv_epi8(otherwise.0, then.0, _mm256_cmpgt_epi16(self.0, than.0)) })
    }
    #[inline(always)]
    unsafe fn add32(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mullo32(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_mullo_epi32(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn min32(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_min_epu32(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn shr32<const N: i32>(self) -> Self {
        Avx2(unsafe { _mm256_srli_epi32::<N>(self.0) })
    }
    #[inline(always)]
    unsafe fn shl32<const N: i32>(self) -> Self {
        Avx2(unsafe { _mm256_slli_epi32::<N>(self.0) })
    }
    #[inline(always)]
    unsafe fn all_equal32(self, other: Self) -> bool {
        unsafe { _mm256_movemask_epi8(_mm256_cmpeq_epi32(self.0, other.0)) == -1 }
    }
}

/// 64-byte AVX-512 registers (F and BW).
#[derive(Clone, Copy)]
pub(crate) struct Avx512(__m512i);

/// A shift count for the AVX-512 shifts by a register, which the compiler
/// turns into the immediate forms (whose count is typed u32 there, i32 in
/// AVX2).
#[inline(always)]
unsafe fn count(bits: i32) -> __m128i {
    unsafe { _mm_cvtsi32_si128(bits) }
}

impl Lanes for Avx512 {
    const BYTES: usize = 64;
    #[inline(always)]
    unsafe fn load(from: *const u8) -> Self {
        Avx512(unsafe { _mm512_loadu_si512(from.cast()) })
    }
    #[inline(always)]
    unsafe fn store(self, to: *mut u8) {
        unsafe { _mm512_storeu_si512(to.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn load_bytes_as_u32(from: *const u8) -> Self {
        Avx512(unsafe { _mm512_cvtepu8_epi32(_mm_loadu_si128(from.cast())) })
    }
    #[inline(always)]
    unsafe fn splat16(value: u16) -> Self {
        Avx512(unsafe { _mm512_set1_epi16(value as i16) })
    }
    #[inline(always)]
    unsafe fn splat32(value: u32) -> Self {
        Avx512(unsafe { _mm512_set1_epi32(value as i32) })
    }
    #[inline(always)]
    unsafe fn and(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_and_si512(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn or(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_or_si512(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn add16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_add_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn sub16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_sub_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mullo16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_mullo_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mulhi16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_mulhi_epu16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mulhrs16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_mulhrs_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn shr16<const N: i32>(self) -> Self {
        Avx512(unsafe { _mm512_srl_epi16(self.0, count(N)) })
    }
    #[inline(always)]
    unsafe fn shl16<const N: i32>(self) -> Self {
        Avx512(unsafe { _mm512_sll_epi16(self.0, count(N)) })
    }
    #[inline(always)]
    unsafe fn min16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_min_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn max16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_max_epi16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn sub_or_zero16(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_subs_epu16(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn where_greater16(self, than: Self, then: Self, otherwise: Self) -> Self {
        Avx512(unsafe {
            _mm512_mask_blend_epi16(_mm512_cmpgt_epi16_mask(self.0, than.0), otherwise.0, then.0)
        })
    }
    #[inline(always)]
    unsafe fn add32(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn mullo32(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_mullo_epi32(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn min32(self, other: Self) -> Self {
        Avx512(unsafe { _mm512_min_epu32(self.0, other.0) })
    }
    #[inline(always)]
    unsafe fn shr32<const N: i32>(self) -> Self {
        Avx512(unsafe { _mm512_srl_epi32(self.0, count(N)) })
    }
    #[inline(always)]
    unsafe fn shl32<const N: i32>(self) -> Self {
        Avx512(unsafe { _mm512_sll_epi32(self.0, count(N)) })
    }
    #[inline(always)]
    unsafe fn all_equal32(self, other: Self) -> bool {
        unsafe { _mm512_cmpeq_epi32_mask(self.0, other.0) == 0xFFFF }
    }
}
