//! Vector registers behind one trait, so that a hand-written kernel is
//! written once for AVX2, AVX-512 BW (`x86.rs`) and wasm's SIMD128
//! (`wasm.rs`): `ops/blend/cpu_vector.rs` on both, `ops/feather/direct_x86.rs`
//! on x86 (in wasm it measured no faster than the compiler's loops).
//! The methods are unsafe: the CPU must have the register's instructions
//! (checked at run time on x86, at compile time in wasm).

/// A register of u16 or u32 lanes and the operations the kernels need.
pub(crate) trait Lanes: Copy {
    /// Bytes in a register.
    const BYTES: usize;
    /// `BYTES` bytes from `from` (unaligned).
    unsafe fn load(from: *const u8) -> Self;
    /// `BYTES` bytes to `to` (unaligned).
    unsafe fn store(self, to: *mut u8);
    /// `BYTES / 4` bytes from `from`, each widened to a u32 lane.
    unsafe fn load_bytes_as_u32(from: *const u8) -> Self;
    unsafe fn splat16(value: u16) -> Self;
    unsafe fn splat32(value: u32) -> Self;
    unsafe fn and(self, other: Self) -> Self;
    unsafe fn or(self, other: Self) -> Self;
    unsafe fn add16(self, other: Self) -> Self;
    unsafe fn sub16(self, other: Self) -> Self;
    unsafe fn mullo16(self, other: Self) -> Self;
    /// `self·other >> 16` on unsigned 16-bit lanes (the feather's, x86
    /// only: SIMD128 would take two widening multiplies and a shuffle).
    #[cfg(target_arch = "x86_64")]
    unsafe fn mulhi16(self, other: Self) -> Self;
    /// `(self·other + 2¹⁴) >> 15` on signed 16-bit lanes (for −2¹⁵·−2¹⁵,
    /// which no kernel gives, x86 wraps and SIMD128 saturates).
    unsafe fn mulhrs16(self, other: Self) -> Self;
    unsafe fn shr16<const N: i32>(self) -> Self;
    unsafe fn shl16<const N: i32>(self) -> Self;
    /// Signed.
    unsafe fn min16(self, other: Self) -> Self;
    /// Signed.
    unsafe fn max16(self, other: Self) -> Self;
    /// `self − other` on unsigned 16-bit lanes, 0 where it would go below.
    unsafe fn sub_or_zero16(self, other: Self) -> Self;
    /// `then`'s lanes where `self > than` (signed), `otherwise`'s elsewhere.
    unsafe fn where_greater16(self, than: Self, then: Self, otherwise: Self) -> Self;
    unsafe fn add32(self, other: Self) -> Self;
    unsafe fn mullo32(self, other: Self) -> Self;
    /// Unsigned.
    unsafe fn min32(self, other: Self) -> Self;
    unsafe fn shr32<const N: i32>(self) -> Self;
    unsafe fn shl32<const N: i32>(self) -> Self;
    /// Whether every u32 lane equals `other`'s.
    unsafe fn all_equal32(self, other: Self) -> bool;
}
