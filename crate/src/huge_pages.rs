//! Fresh whole-image buffers on transparent huge pages where Linux offers
//! them (`madvise`): filling a new 64 MiB image then takes 32 page faults
//! instead of 16 384. A copy of a 4096² RGBA image into a fresh buffer
//! measured 36 ms on 4 KiB pages and 15 ms on huge ones, against 9 ms into
//! a buffer already touched (BENCHMARKS.md). Elsewhere (wasm, other
//! systems, or Linux with huge pages off) these are plain allocations.

/// Buffers smaller than this stay on ordinary pages (the allocator may
/// serve them from its heap, where the advice would reach other memory).
#[cfg(any(target_os = "linux", test))]
const AT_LEAST: usize = 8 << 20;

/// A copy of `bytes` in a fresh buffer.
pub(crate) fn copy_of(bytes: &[u8]) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(bytes.len());
    advise(&mut buffer);
    buffer.extend_from_slice(bytes);
    buffer
}

/// Asks for huge pages over the 2 MiB-aligned part of `buffer`'s capacity,
/// before anything is written to it.
#[cfg(target_os = "linux")]
fn advise(buffer: &mut Vec<u8>) {
    const HUGE: usize = 2 << 20;
    if buffer.capacity() < AT_LEAST {
        return;
    }
    let start = buffer.as_mut_ptr() as usize;
    let first = start.next_multiple_of(HUGE);
    let end = (start + buffer.capacity()) / HUGE * HUGE;
    if end > first {
        // SAFETY: the range lies inside the buffer's allocation, and the
        // advice changes how its pages are backed, never what they hold.
        // Refused (huge pages off), it changes nothing: the result is moot.
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: &mut Vec<u8>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_holds_the_same_bytes_below_at_and_above_the_threshold() {
        for len in [
            0,
            1,
            AT_LEAST - 1,
            AT_LEAST,
            AT_LEAST + 4097,
            3 * AT_LEAST + 1,
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let copy = copy_of(&bytes);
            assert_eq!(copy.len(), len);
            assert!(copy == bytes, "{len} bytes");
        }
    }
}
