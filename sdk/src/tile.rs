//! One tile of a filter call: the input pixels (the output's plus the halo around them) and
//! the output pixels to write, both RGBA8 straight alpha, rows top to bottom.

/// One pixel: red, green, blue, alpha (straight, not premultiplied).
pub type Rgba = [u8; 4];

/// The pixels of one call. Coordinates `(x, y)` are the output tile's (0 to `width − 1`);
/// [`Tile::x`] and [`Tile::y`] place it in the layer.
pub struct Tile<'a> {
    input: &'a [u8],
    output: &'a mut [u8],
    /// The output tile's width and height.
    pub width: u32,
    pub height: u32,
    /// The extra pixels the input has on every side.
    pub halo: u32,
    /// The output tile's top-left corner in the layer.
    pub x: u32,
    pub y: u32,
    /// The layer's width and height.
    pub image_width: u32,
    pub image_height: u32,
}

impl<'a> Tile<'a> {
    /// A tile over `input` (`(width + 2 halo) × (height + 2 halo)` pixels) and `output`
    /// (`width × height`); panics when the lengths do not match.
    pub fn new(
        input: &'a [u8],
        output: &'a mut [u8],
        (width, height): (u32, u32),
        halo: u32,
        (x, y): (u32, u32),
        (image_width, image_height): (u32, u32),
    ) -> Self {
        let grown = |side: u32| (side + 2 * halo) as usize;
        assert_eq!(
            input.len(),
            grown(width) * grown(height) * 4,
            "input tile size"
        );
        assert_eq!(
            output.len(),
            (width * height * 4) as usize,
            "output tile size"
        );
        Tile {
            input,
            output,
            width,
            height,
            halo,
            x,
            y,
            image_width,
            image_height,
        }
    }

    /// The input's width in pixels (`width + 2 halo`).
    pub fn input_width(&self) -> u32 {
        self.width + 2 * self.halo
    }

    /// The input pixel at `(x, y)` in output coordinates, `−halo` to `width − 1 + halo`.
    #[inline]
    pub fn source(&self, x: i32, y: i32) -> Rgba {
        let h = self.halo as i32;
        let at = (((y + h) * self.input_width() as i32 + x + h) * 4) as usize;
        let p = &self.input[at..at + 4];
        [p[0], p[1], p[2], p[3]]
    }

    /// Writes the output pixel at `(x, y)`.
    #[inline]
    pub fn set(&mut self, x: u32, y: u32, pixel: Rgba) {
        let at = ((y * self.width + x) * 4) as usize;
        self.output[at..at + 4].copy_from_slice(&pixel);
    }

    /// The raw input and output bytes, for filters that walk rows themselves.
    pub fn buffers(&mut self) -> (&[u8], &mut [u8]) {
        (self.input, self.output)
    }

    /// A point filter: each output pixel is `f(input pixel, layer x, layer y)`.
    pub fn map(&mut self, mut f: impl FnMut(Rgba, u32, u32) -> Rgba) {
        let (width, halo, stride) = (
            self.width as usize,
            self.halo as usize,
            self.input_width() as usize,
        );
        for (row, out) in self.output.chunks_exact_mut(width * 4).enumerate() {
            let start = ((row + halo) * stride + halo) * 4;
            let input = &self.input[start..start + width * 4];
            for (column, (o, i)) in out
                .chunks_exact_mut(4)
                .zip(input.chunks_exact(4))
                .enumerate()
            {
                let pixel = f(
                    [i[0], i[1], i[2], i[3]],
                    self.x + column as u32,
                    self.y + row as u32,
                );
                o.copy_from_slice(&pixel);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Params};

    #[test]
    fn source_and_map_see_the_halo_and_the_layer_position() {
        // A 2×1 output tile with a halo of 1: the input is 4×3, each pixel holding its index.
        let input: [u8; 48] = core::array::from_fn(|i| (i / 4) as u8);
        let mut output = [0u8; 8];
        let mut tile = Tile::new(&input, &mut output, (2, 1), 1, (10, 20), (100, 50));
        assert_eq!(tile.source(0, 0), [5; 4]);
        assert_eq!(tile.source(-1, -1), [0; 4]);
        assert_eq!(tile.source(2, 1), [11; 4]);
        tile.map(|[v, ..], x, y| [v, x as u8, y as u8, 255]);
        assert_eq!(output, [5, 10, 20, 255, 6, 11, 20, 255]);
    }

    #[test]
    fn params_read_in_order_as_their_types() {
        let values: [f32; 6] = [2.5, 1.0, 3.0, 0.25, 0.5, 1.0];
        let mut bytes = [0u8; 24];
        for (chunk, v) in bytes.chunks_exact_mut(4).zip(values) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        let mut params = Params::new(&bytes);
        assert_eq!(params.read::<f32>(), Ok(2.5));
        assert_eq!(params.read::<bool>(), Ok(true));
        assert_eq!(params.read::<usize>(), Ok(3));
        assert_eq!(params.read::<[f32; 3]>(), Ok([0.25, 0.5, 1.0]));
        assert_eq!(params.read::<f32>(), Err(Error::Params));
    }

    #[test]
    fn error_codes_are_never_zero_and_custom_ones_stay_clear_of_the_sdks() {
        assert_eq!(Error::Params.code(), 1);
        assert_eq!(Error::Custom(0).code(), 16);
        assert_eq!(Error::Custom(42).code(), 42);
    }
}
