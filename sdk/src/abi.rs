//! The glue behind [`export_filter!`](crate::export_filter): raw ABI calls to safe [`Filter`]
//! calls. Not for plugins to call directly.

use crate::{log, Filter, Params, Tile};

/// One `retouch_filter` call's arguments: (pointer, width, height) of the input and output
/// tiles, the halo, (pointer, byte length) of the parameters, and the tile's and image's
/// position and size in the layer.
pub struct Call {
    pub input: (i32, i32, i32),
    pub output: (i32, i32, i32),
    pub halo: i32,
    pub params: (i32, i32),
    pub origin: (i32, i32),
    pub image: (i32, i32),
}

/// `retouch_alloc`: `len` bytes of fresh memory (grown by whole 64 KiB pages), 0 when the
/// memory cannot grow. The host allocates a handful of buffers per run and reuses them.
pub fn alloc(len: i32) -> i32 {
    crate::host::grow(len.max(0) as usize).map_or(0, |ptr| ptr as i32)
}

/// # Safety
/// `(ptr, len)` must be readable memory of this module.
unsafe fn params<'a>(ptr: i32, len: i32) -> Params<'a> {
    let bytes = if len <= 0 {
        &[][..]
    } else {
        core::slice::from_raw_parts(ptr as usize as *const u8, len as usize)
    };
    Params::new(bytes)
}

/// `retouch_halo`: the filter's halo for these parameters, or −1 when they do not read.
///
/// # Safety
/// As for [`params`].
pub unsafe fn halo<F: Filter>(ptr: i32, len: i32) -> i32 {
    match F::from_params(&mut params(ptr, len)) {
        Ok(filter) => filter.halo().min(1024) as i32,
        Err(_) => {
            log("the parameter values do not match what the filter reads");
            -1
        }
    }
}

/// `retouch_filter`: reads the parameters, wraps the buffers in a [`Tile`] and filters it.
///
/// # Safety
/// The pointers must address buffers of this module's memory of the sizes given: the input
/// `in_w × in_h × 4` bytes, the output `out_w × out_h × 4` bytes, not overlapping.
pub unsafe fn filter<F: Filter>(call: Call) -> i32 {
    let filter = match F::from_params(&mut params(call.params.0, call.params.1)) {
        Ok(filter) => filter,
        Err(e) => {
            log("the parameter values do not match what the filter reads");
            return e.code();
        }
    };
    let (in_ptr, in_w, in_h) = call.input;
    let (out_ptr, out_w, out_h) = call.output;
    let halo = call.halo;
    if halo < 0 || out_w < 0 || out_h < 0 || in_w != out_w + 2 * halo || in_h != out_h + 2 * halo {
        log("the input tile is not the output tile grown by the halo on every side");
        return crate::Error::Params.code();
    }
    let input =
        core::slice::from_raw_parts(in_ptr as usize as *const u8, (in_w * in_h * 4) as usize);
    let output =
        core::slice::from_raw_parts_mut(out_ptr as usize as *mut u8, (out_w * out_h * 4) as usize);
    let mut tile = Tile::new(
        input,
        output,
        (out_w as u32, out_h as u32),
        halo as u32,
        (call.origin.0 as u32, call.origin.1 as u32),
        (call.image.0 as u32, call.image.1 as u32),
    );
    match filter.filter(&mut tile) {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}
