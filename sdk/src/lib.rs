//! Write a Retouch filter plugin as one Rust function.
//!
//! A filter is a type implementing [`Filter`]: it reads its parameters (in the manifest's order)
//! in [`Filter::from_params`], says how many neighbouring pixels it reads in [`Filter::halo`], and
//! fills one output tile from one input tile in [`Filter::filter`]. [`export_filter!`] turns it
//! into a WebAssembly module implementing the plugin ABI (`docs/plugin-abi.md`, version 1): the
//! four exports, a buffer allocator, and the host's log, progress and cancel imports. The crate is
//! `no_std` and allocates nothing on its own in a module, so a plugin is a few kilobytes (built
//! for the host, e.g. to time a filter natively, its scratch space is a `std` vector).
//!
//! ```ignore
//! #![no_std]
//! use retouch_plugin_sdk::{export_filter, Error, Filter, Params, Tile};
//!
//! struct Invert { amount: f32 }
//!
//! impl Filter for Invert {
//!     fn from_params(params: &mut Params) -> Result<Self, Error> {
//!         Ok(Invert { amount: params.read::<f32>()? / 100.0 })
//!     }
//!     fn filter(&self, tile: &mut Tile) -> Result<(), Error> {
//!         tile.map(|[r, g, b, a], _x, _y| {
//!             let mix = |v: u8| (v as f32 + (255.0 - 2.0 * v as f32) * self.amount + 0.5) as u8;
//!             [mix(r), mix(g), mix(b), a]
//!         });
//!         Ok(())
//!     }
//! }
//!
//! export_filter!(Invert);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-unknown-unknown` as a `cdylib`, linked
//! with a memory maximum (`-C link-arg=--max-memory=...`, see `plugins/.cargo/config.toml`).

#![no_std]

#[doc(hidden)]
pub mod abi;
mod host;
mod params;
mod tile;

pub use host::{cancelled, log, progress, with_scratch};
pub use libm;
pub use params::{Param, Params};
pub use tile::{Rgba, Tile};

/// The plugin ABI version this SDK implements.
pub const ABI_VERSION: i32 = 1;

/// Why a filter failed; the host reports the code (and what the plugin logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A parameter value is missing or not of the type the filter reads (code 1).
    Params,
    /// The user cancelled the run (code 2).
    Cancelled,
    /// The module's memory could not grow to what the filter needs (code 3).
    OutOfMemory,
    /// The filter's own failure, with its own code (any value from 16 up).
    Custom(i32),
}

impl Error {
    /// The code `retouch_filter` returns (never 0, which means success).
    pub fn code(self) -> i32 {
        match self {
            Error::Params => 1,
            Error::Cancelled => 2,
            Error::OutOfMemory => 3,
            Error::Custom(code) => code.max(16),
        }
    }
}

/// A filter plugin: typed parameters in, one output tile per call.
pub trait Filter: Sized {
    /// Reads the parameter values, in the manifest's `params` order.
    fn from_params(params: &mut Params) -> Result<Self, Error>;

    /// The pixels read around each output pixel, on every side (0 to 1024). The host gives
    /// [`filter`](Filter::filter) that many extra pixels around the tile.
    fn halo(&self) -> u32 {
        0
    }

    /// Writes every pixel of `tile`'s output from its input.
    fn filter(&self, tile: &mut Tile) -> Result<(), Error>;
}

/// Exports `$filter` (a type implementing [`Filter`]) as the plugin ABI's functions. Use it once,
/// in the plugin crate's root.
#[macro_export]
macro_rules! export_filter {
    ($filter:ty) => {
        #[no_mangle]
        pub extern "C" fn retouch_abi_version() -> i32 {
            $crate::ABI_VERSION
        }

        #[no_mangle]
        pub extern "C" fn retouch_alloc(len: i32) -> i32 {
            $crate::abi::alloc(len)
        }

        #[no_mangle]
        pub extern "C" fn retouch_halo(params_ptr: i32, params_len: i32) -> i32 {
            // SAFETY: the host passes a buffer it wrote into this module's memory.
            unsafe { $crate::abi::halo::<$filter>(params_ptr, params_len) }
        }

        #[no_mangle]
        #[allow(clippy::too_many_arguments)]
        pub extern "C" fn retouch_filter(
            in_ptr: i32,
            in_w: i32,
            in_h: i32,
            out_ptr: i32,
            out_w: i32,
            out_h: i32,
            halo: i32,
            params_ptr: i32,
            params_len: i32,
            tile_x: i32,
            tile_y: i32,
            image_w: i32,
            image_h: i32,
        ) -> i32 {
            // SAFETY: the host passes buffers it allocated with retouch_alloc, of these sizes.
            unsafe {
                $crate::abi::filter::<$filter>($crate::abi::Call {
                    input: (in_ptr, in_w, in_h),
                    output: (out_ptr, out_w, out_h),
                    halo,
                    params: (params_ptr, params_len),
                    origin: (tile_x, tile_y),
                    image: (image_w, image_h),
                })
            }
        }
    };
}
