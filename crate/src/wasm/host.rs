//! Host pixels (Photoshop's Imaging API tiles, 8- and 16-bit): marshalling
//! only, see [`crate::host_pixels`].

use super::{js_error, Image, Mask};
use crate::host_pixels;
use wasm_bindgen::prelude::*;

/// An image assembled from a host's tiles (`putTile8`/`putTile16`), then `finish()`ed.
#[wasm_bindgen]
pub struct HostCanvas {
    inner: Option<host_pixels::HostCanvas>,
}

fn finished() -> JsError {
    JsError::new("the host image is already finished")
}

#[wasm_bindgen]
impl HostCanvas {
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32) -> Result<HostCanvas, JsError> {
        let inner = host_pixels::HostCanvas::new(width, height).map_err(js_error)?;
        Ok(HostCanvas { inner: Some(inner) })
    }

    /// Places an 8-bit tile of `components` (1–4) interleaved samples per pixel.
    #[wasm_bindgen(js_name = putTile8)]
    pub fn put_tile_8(
        &mut self,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        components: usize,
        samples: &[u8],
    ) -> Result<(), JsError> {
        let canvas = self.inner.as_mut().ok_or_else(finished)?;
        canvas
            .put_tile_8((x, y, width, height), components, samples)
            .map_err(js_error)
    }

    /// Places a 16-bit tile whose white is `max` (32768: Photoshop's default range).
    #[wasm_bindgen(js_name = putTile16)]
    #[allow(clippy::too_many_arguments)]
    pub fn put_tile_16(
        &mut self,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        components: usize,
        samples: &[u16],
        max: u16,
    ) -> Result<(), JsError> {
        let canvas = self.inner.as_mut().ok_or_else(finished)?;
        canvas
            .put_tile_16((x, y, width, height), components, samples, max)
            .map_err(js_error)
    }

    /// The assembled RGBA8 image (the canvas is spent).
    pub fn finish(&mut self) -> Result<Image, JsError> {
        let canvas = self.inner.take().ok_or_else(finished)?;
        Ok(Image {
            inner: canvas.finish(),
        })
    }
}

/// A selection assembled from a host's single-channel tiles over its bounds.
#[wasm_bindgen]
pub struct HostMask {
    inner: Option<host_pixels::HostMask>,
}

#[wasm_bindgen]
impl HostMask {
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32) -> Result<HostMask, JsError> {
        let inner = host_pixels::HostMask::new(width, height).map_err(js_error)?;
        Ok(HostMask { inner: Some(inner) })
    }

    #[wasm_bindgen(js_name = putTile8)]
    pub fn put_tile_8(
        &mut self,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        samples: &[u8],
    ) -> Result<(), JsError> {
        let mask = self.inner.as_mut().ok_or_else(finished)?;
        mask.put_tile_8((x, y, width, height), samples)
            .map_err(js_error)
    }

    #[wasm_bindgen(js_name = putTile16)]
    pub fn put_tile_16(
        &mut self,
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        samples: &[u16],
        max: u16,
    ) -> Result<(), JsError> {
        let mask = self.inner.as_mut().ok_or_else(finished)?;
        mask.put_tile_16((x, y, width, height), samples, max)
            .map_err(js_error)
    }

    pub fn finish(&mut self) -> Result<Mask, JsError> {
        let mask = self.inner.take().ok_or_else(finished)?;
        Ok(Mask {
            inner: mask.finish(),
        })
    }
}

/// 8-bit samples as 16-bit ones whose white is `max`, for `putPixels` into a 16-bit document.
#[wasm_bindgen(js_name = toDepth16)]
pub fn to_depth_16(samples: &[u8], max: u16) -> Result<Vec<u16>, JsError> {
    host_pixels::to_depth16(samples, max).map_err(js_error)
}

/// The tiles (`[x, y, width, height, ...]`, at most `tile` px a side) that cover a host
/// rectangle clipped to a `canvasWidth`×`canvasHeight` canvas, row by row.
#[wasm_bindgen(js_name = hostTiles)]
#[allow(clippy::too_many_arguments)]
pub fn host_tiles(
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    canvas_width: u32,
    canvas_height: u32,
    tile: u32,
) -> Result<Vec<u32>, JsError> {
    let bounds = (left as i64, top as i64, width as i64, height as i64);
    let tiles =
        host_pixels::tile_grid(bounds, (canvas_width, canvas_height), tile).map_err(js_error)?;
    Ok(tiles
        .into_iter()
        .flat_map(|(x, y, w, h)| [x, y, w, h])
        .collect())
}
