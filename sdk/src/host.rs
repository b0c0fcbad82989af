//! What the module gets from its host (`retouch.log`, `retouch.progress`,
//! `retouch.cancelled`) and from its own memory (growing it for buffers and scratch space).
//! Off WebAssembly (an SDK unit test, or a plugin's filter compiled for the host to be measured
//! against its module) the host calls do nothing, buffers never grow, and the scratch space is
//! a vector per thread.

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "retouch")]
    extern "C" {
        pub fn log(ptr: i32, len: i32);
        pub fn progress(fraction: f32);
        pub fn cancelled() -> i32;
    }
}

/// Writes `message` to the host's log (shown with an error; at most 4 KiB are kept).
pub fn log(message: &str) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the host reads `len` bytes at `ptr` of this module's memory.
    unsafe {
        imports::log(message.as_ptr() as i32, message.len() as i32)
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = message;
}

/// Reports progress within the current tile, 0 to 1 (for filters slow enough to show it).
pub fn progress(fraction: f32) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: a plain host call.
    unsafe {
        imports::progress(fraction)
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = fraction;
}

/// Whether the user cancelled the run: a slow filter checks it now and then and returns
/// [`Error::Cancelled`](crate::Error::Cancelled).
pub fn cancelled() -> bool {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: a plain host call.
    return unsafe { imports::cancelled() } != 0;
    #[cfg(not(target_arch = "wasm32"))]
    false
}

/// `len` fresh bytes at the end of the module's memory, 64 KiB-aligned, or `None` when the
/// memory is at its maximum.
pub(crate) fn grow(len: usize) -> Option<usize> {
    #[cfg(target_arch = "wasm32")]
    {
        let pages = len.div_ceil(65536);
        let previous = core::arch::wasm32::memory_grow(0, pages);
        (previous != usize::MAX).then_some(previous * 65536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = len;
        None
    }
}

/// The scratch space: one region, grown when a call needs more and reused by later calls.
#[cfg(target_arch = "wasm32")]
struct Scratch {
    ptr: usize,
    len: usize,
    in_use: bool,
}

#[cfg(target_arch = "wasm32")]
static mut SCRATCH: Scratch = Scratch {
    ptr: 0,
    len: 0,
    in_use: false,
};

/// Runs `work` with `len` zeroed `f32`s of scratch space (intermediate rows of a separable
/// blur, say). The space is reused from tile to tile, so memory stays at the largest tile's
/// need. Fails with [`Error::OutOfMemory`](crate::Error::OutOfMemory) when the memory cannot
/// grow, or when called again inside `work`.
#[cfg(target_arch = "wasm32")]
pub fn with_scratch<R>(len: usize, work: impl FnOnce(&mut [f32]) -> R) -> Result<R, crate::Error> {
    // SAFETY: a plugin module runs one call at a time (WebAssembly has no threads here), and
    // `in_use` refuses a nested call, so the region is borrowed once.
    unsafe {
        let scratch = &mut *core::ptr::addr_of_mut!(SCRATCH);
        if scratch.in_use {
            return Err(crate::Error::OutOfMemory);
        }
        if scratch.len < len {
            scratch.ptr = grow(len * 4).ok_or(crate::Error::OutOfMemory)?;
            scratch.len = len;
        }
        let space = core::slice::from_raw_parts_mut(scratch.ptr as *mut f32, len);
        space.fill(0.0);
        scratch.in_use = true;
        let result = work(space);
        scratch.in_use = false;
        Ok(result)
    }
}

/// [`with_scratch`] off WebAssembly: a vector per thread, reused from call to call.
#[cfg(not(target_arch = "wasm32"))]
pub fn with_scratch<R>(len: usize, work: impl FnOnce(&mut [f32]) -> R) -> Result<R, crate::Error> {
    extern crate std;
    std::thread_local! {
        static SCRATCH: core::cell::RefCell<std::vec::Vec<f32>> =
            const { core::cell::RefCell::new(std::vec::Vec::new()) };
    }
    SCRATCH.with(|scratch| {
        let mut space = scratch
            .try_borrow_mut()
            .map_err(|_| crate::Error::OutOfMemory)?;
        space.clear();
        space.resize(len, 0.0);
        Ok(work(&mut space))
    })
}

#[cfg(all(feature = "panic-handler", target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
