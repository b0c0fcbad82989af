//! From positioned glyphs to pixels: anti-aliased coverage of the outlines
//! (ab_glyph_rasterizer: the exact area each pixel's square covers, no
//! hinting, so positions stay fractional and scaling re-renders cleanly),
//! an optional outside stroke (a disc dilation of the coverage), an
//! optional drop shadow (the feather's Gaussian of fill and stroke), then
//! shadow, stroke and fill laid source-over, as RGBA8 straight alpha.

use super::glyph_cache::{self, GlyphKey};
use super::{Font, TextLayout, TextStyle};
use crate::ops::feather::feather_cpu;
use crate::{image_io, Error, Result};
use ab_glyph_rasterizer::{point, Point, Rasterizer};
use image::{GrayImage, RgbaImage};

/// The most pixels a rendered text may cover (32 MP: a 16384 × 2048
/// headline), which bounds its memory (about 20 bytes a pixel at most).
pub const MAX_TEXT_PIXELS: u64 = 32 << 20;

/// The rendered text and where it sits.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedText {
    pub image: RgbaImage,
    /// The image's top-left relative to the text box's top-left (the ink,
    /// stroke and shadow may reach beyond the box on any side).
    pub origin: (i32, i32),
}

/// A pixel rectangle, `x0..x1` × `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Bounds {
    /// The whole pixels around `points`, grown by `extra` on the right and
    /// bottom.
    fn around(points: &[(f32, f32)], extra: i32) -> Bounds {
        let min = |pick: fn(&(f32, f32)) -> f32| {
            points
                .iter()
                .map(pick)
                .fold(f32::INFINITY, f32::min)
                .floor() as i32
        };
        let max = |pick: fn(&(f32, f32)) -> f32| {
            points
                .iter()
                .map(pick)
                .fold(f32::NEG_INFINITY, f32::max)
                .ceil() as i32
        };
        Bounds {
            x0: min(|p| p.0),
            y0: min(|p| p.1),
            x1: max(|p| p.0) + extra,
            y1: max(|p| p.1) + extra,
        }
    }

    fn union(self, other: Bounds) -> Bounds {
        Bounds {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
    /// The common part, `None` when they do not overlap.
    fn intersect(self, other: Bounds) -> Option<Bounds> {
        let common = Bounds {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        };
        (common.x0 < common.x1 && common.y0 < common.y1).then_some(common)
    }
    fn grown(self, by: i32) -> Bounds {
        Bounds {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }
    fn shifted(self, dx: i32, dy: i32) -> Bounds {
        Bounds {
            x0: self.x0 + dx,
            y0: self.y0 + dy,
            x1: self.x1 + dx,
            y1: self.y1 + dy,
        }
    }
    pub fn width(self) -> u32 {
        (self.x1 - self.x0) as u32
    }
    pub fn height(self) -> u32 {
        (self.y1 - self.y0) as u32
    }
}

/// Renders `layout` (made by [`super::layout`] from the same `fonts` and
/// `style`). The image covers the text box, the ink, the stroke and the
/// shadow; it is refused with [`Error::TooLarge`] past the image limits.
pub fn render(layout: &TextLayout, fonts: &[Font], style: &TextStyle) -> Result<RenderedText> {
    render_rotated(layout, fonts, style, 0.0)
}

/// A rotation by an angle: its cosine and sine, worked out once in f64 and
/// rounded to f32 (0° is exactly the identity, so an unrotated text is
/// bit for bit [`render`]'s).
#[derive(Debug, Clone, Copy)]
struct Turn {
    cos: f32,
    sin: f32,
}

impl Turn {
    fn degrees(angle: f32) -> Turn {
        let radians = f64::from(angle).to_radians();
        Turn {
            cos: radians.cos() as f32,
            sin: radians.sin() as f32,
        }
    }

    /// `(x, y)` turned about the origin, clockwise on screen (y down).
    fn apply(self, x: f32, y: f32) -> (f32, f32) {
        (self.cos * x - self.sin * y, self.sin * x + self.cos * y)
    }
}

/// Where `(x, y)` (from the text box's top-left) lands when the text is
/// turned `degrees` clockwise, as [`render_rotated`] turns it.
pub fn turn_point(degrees: f32, (x, y): (f32, f32)) -> (f32, f32) {
    Turn::degrees(degrees).apply(x, y)
}

/// Like [`render`], with the text turned `degrees` clockwise about the text
/// box's top-left: the outlines themselves are turned before they are
/// rasterised, so a rotated text is as sharp as an upright one. The stroke
/// and the shadow's offset are applied after the turn (the shadow keeps
/// falling the same way on the canvas).
pub fn render_rotated(
    layout: &TextLayout,
    fonts: &[Font],
    style: &TextStyle,
    degrees: f32,
) -> Result<RenderedText> {
    Placement::new(layout, fonts, style, degrees)?.render()
}

/// A text's glyphs placed in the image they render to, worked out once and
/// then drawn whole ([`Placement::render`]) or a part at a time
/// ([`Placement::render_part`]: while typing, only where glyphs changed).
pub struct Placement<'a> {
    layout: &'a TextLayout,
    fonts: &'a [Font],
    faces: Vec<rustybuzz::Face<'a>>,
    style: TextStyle,
    turn: Turn,
    /// Pixels per font unit, per font.
    scales: Vec<f32>,
    /// Each glyph's pen position, turned, from the text box's top-left.
    pens: Vec<(f32, f32)>,
    /// Each glyph's raster box in the same coordinates (none: no outline).
    glyph_boxes: Vec<Option<Bounds>>,
    /// The image: the text box, the ink, the stroke and the shadow.
    bounds: Bounds,
}

impl<'a> Placement<'a> {
    /// Places `layout` (made by [`super::layout`] from the same `fonts` and
    /// `style`) turned `degrees`; refused with [`Error::TooLarge`] when its
    /// image would pass the image limits.
    pub fn new(
        layout: &'a TextLayout,
        fonts: &'a [Font],
        style: &TextStyle,
        degrees: f32,
    ) -> Result<Placement<'a>> {
        style.validate()?;
        if !degrees.is_finite() {
            return Err(Error::param(
                "rotation",
                format!("{degrees} is not a number of degrees"),
            ));
        }
        let turn = Turn::degrees(degrees);
        let faces: Vec<rustybuzz::Face> = fonts.iter().map(Font::face).collect();
        let scales: Vec<f32> = fonts.iter().map(|f| f.scale(layout.size)).collect();
        let pens: Vec<(f32, f32)> = layout.glyphs.iter().map(|g| turn.apply(g.x, g.y)).collect();
        let glyph_boxes: Vec<Option<Bounds>> = layout
            .glyphs
            .iter()
            .zip(&pens)
            .map(|(g, &(px, py))| {
                let face = faces.get(g.font)?;
                let b = face.glyph_bounding_box(ttf_parser::GlyphId(g.id))?;
                let s = scales[g.font];
                let corners = [
                    (b.x_min, b.y_max),
                    (b.x_max, b.y_max),
                    (b.x_min, b.y_min),
                    (b.x_max, b.y_min),
                ]
                .map(|(x, y)| {
                    let (dx, dy) = turn.apply(f32::from(x) * s, -(f32::from(y) * s));
                    (px + dx, py + dy)
                });
                // One pixel more on the right and bottom: coverage reaches into it.
                Some(Bounds::around(&corners, 1))
            })
            .collect();
        let box_corners = [
            (0.0, 0.0),
            (layout.width, 0.0),
            (0.0, layout.height),
            (layout.width, layout.height),
        ]
        .map(|(x, y)| turn.apply(x, y));
        let text_box = Bounds::around(&box_corners, 0);
        let ink = glyph_boxes
            .iter()
            .flatten()
            .fold(text_box, |a, &b| a.union(b));
        let stroke_px = style.stroke.map_or(0.0, |s| s.width);
        let mut bounds = ink.grown(stroke_px.ceil() as i32);
        if let Some(shadow) = style.shadow {
            // The feather's Gaussian (σ = blur / 2) is negligible past 3σ.
            let reach = (1.5 * shadow.blur).ceil() as i32 + 1;
            let (dx, dy) = shadow_shift(&shadow);
            bounds = bounds.union(bounds.shifted(dx, dy).grown(reach));
        }
        let (w, h) = (bounds.width(), bounds.height());
        image_io::check_dimensions(w, h).map_err(|_| {
            Error::TooLarge(format!(
                "the text would render {w} × {h} px, past the limits ({} px a side, {} pixels): use a smaller size or a narrower box",
                image_io::MAX_SIDE,
                image_io::MAX_PIXELS
            ))
        })?;
        if u64::from(w) * u64::from(h) > MAX_TEXT_PIXELS {
            return Err(Error::TooLarge(format!(
                "the text would render {w} × {h} px, more than the {} MP a text may cover: use a smaller size or a narrower box",
                MAX_TEXT_PIXELS >> 20
            )));
        }
        Ok(Placement {
            layout,
            fonts,
            faces,
            style: *style,
            turn,
            scales,
            pens,
            glyph_boxes,
            bounds,
        })
    }

    /// The image's top-left relative to the text box's top-left.
    pub fn origin(&self) -> (i32, i32) {
        (self.bounds.x0, self.bounds.y0)
    }

    /// The image's width and height.
    pub fn size(&self) -> (u32, u32) {
        (self.bounds.width(), self.bounds.height())
    }

    /// The whole image.
    pub fn render(&self) -> Result<RenderedText> {
        let (w, h) = self.size();
        let style = &self.style;
        // Coverage (f32) for the fill, the stroke and the shadow, the shadow's
        // 8-bit mask and its blur, and the RGBA8 result.
        let planes =
            4 + 4 * u64::from(style.stroke.is_some()) + 6 * u64::from(style.shadow.is_some()) + 4;
        crate::memory::check(
            &format!("rendering a {w} × {h} px text"),
            u64::from(w) * u64::from(h) * planes,
        )?;
        let window = self.bounds;
        let mut fill = take_fill_plane(w as usize * h as usize);
        self.add_fill_coverage(window, &mut fill);
        let out = if self.has_effects() {
            self.compose_with_effects(&fill)?
        } else {
            self.fill_pixels(window, &fill)
        };
        give_back_fill_plane(fill, &self.glyph_boxes, window);
        let image = RgbaImage::from_raw(w, h, out).expect("the buffer has w × h pixels");
        Ok(RenderedText {
            image,
            origin: self.origin(),
        })
    }

    /// The pixels of `part` (image coordinates, inside the image) exactly
    /// as [`Placement::render`] gives them there, drawn from the glyphs
    /// that reach into it only; `None` for a text with a stroke or a shadow
    /// (their pixels depend on coverage beyond the part).
    pub fn render_part(&self, part: Bounds) -> Option<RgbaImage> {
        if self.has_effects() {
            return None;
        }
        let window = part.shifted(self.bounds.x0, self.bounds.y0);
        debug_assert!(window.intersect(self.bounds) == Some(window));
        let mut fill = vec![0.0f32; window.width() as usize * window.height() as usize];
        self.add_fill_coverage(window, &mut fill);
        let out = self.fill_pixels(window, &fill);
        Some(RgbaImage::from_raw(window.width(), window.height(), out).expect("w × h pixels"))
    }

    /// Where this text's image differs from `before`'s, in image
    /// coordinates: the boxes of the glyphs one has and the other has not
    /// at the same place (the same glyph of the same font at the same pen
    /// position draws the same pixels). `None` when every glyph is in both.
    /// Both must have the same image bounds.
    pub fn changed_part(&self, before: &Placement) -> Option<Bounds> {
        debug_assert_eq!(self.bounds, before.bounds);
        let drawn = |p: &Placement| -> Vec<((usize, u16, u32, u32), Bounds)> {
            let mut glyphs: Vec<_> = p
                .layout
                .glyphs
                .iter()
                .zip(&p.pens)
                .zip(&p.glyph_boxes)
                .filter_map(|((g, &(x, y)), b)| {
                    Some(((g.font, g.id, x.to_bits(), y.to_bits()), (*b)?))
                })
                .collect();
            glyphs.sort_unstable_by_key(|&(key, _)| key);
            glyphs
        };
        let (now, then) = (drawn(self), drawn(before));
        let mut changed: Option<Bounds> = None;
        let mut mark = |b: Bounds| changed = Some(changed.map_or(b, |c| c.union(b)));
        let (mut i, mut j) = (0, 0);
        while i < now.len() || j < then.len() {
            match (now.get(i), then.get(j)) {
                (Some(a), Some(b)) if a.0 == b.0 => (i, j) = (i + 1, j + 1),
                (Some(a), Some(b)) if a.0 < b.0 => {
                    mark(a.1);
                    i += 1;
                }
                (Some(a), None) => {
                    mark(a.1);
                    i += 1;
                }
                (_, Some(b)) => {
                    mark(b.1);
                    j += 1;
                }
                (None, None) => unreachable!("the loop runs while one has glyphs left"),
            }
        }
        changed
            .and_then(|c| c.intersect(self.bounds))
            .map(|c| c.shifted(-self.bounds.x0, -self.bounds.y0))
    }

    fn has_effects(&self) -> bool {
        self.style.stroke.is_some() || self.style.shadow.is_some()
    }

    /// Adds every glyph's coverage inside `window` (text box coordinates)
    /// to `fill`, a window-sized plane, glyph after glyph in layout order.
    fn add_fill_coverage(&self, window: Bounds, fill: &mut [f32]) {
        let stride = window.width() as usize;
        glyph_cache::begin_render();
        for ((glyph, glyph_box), &(px, py)) in self
            .layout
            .glyphs
            .iter()
            .zip(&self.glyph_boxes)
            .zip(&self.pens)
        {
            let Some(b) = *glyph_box else { continue };
            let Some(seen) = b.intersect(window) else {
                continue;
            };
            let (glyph_w, glyph_h) = (b.width() as usize, b.height() as usize);
            let scale = self.scales[glyph.font];
            let origin = point(px - b.x0 as f32, py - b.y0 as f32);
            let turn = self.turn;
            let key = GlyphKey {
                font: self.fonts[glyph.font].shared_key(),
                glyph: glyph.id,
                scale: scale.to_bits(),
                turn: (turn.cos.to_bits(), turn.sin.to_bits()),
                origin: (origin.x.to_bits(), origin.y.to_bits()),
                size: (b.width(), b.height()),
            };
            let coverage = glyph_cache::coverage(key, || {
                let mut outline = OutlineToRaster {
                    raster: Rasterizer::new(glyph_w, glyph_h),
                    scale,
                    turn,
                    origin,
                    start: point(0.0, 0.0),
                    last: point(0.0, 0.0),
                };
                self.faces[glyph.font].outline_glyph(ttf_parser::GlyphId(glyph.id), &mut outline);
                let mut coverage = vec![0.0f32; glyph_w * glyph_h];
                outline.raster.for_each_pixel_2d(|x, y, a| {
                    coverage[y as usize * glyph_w + x as usize] = a.min(1.0);
                });
                coverage
            });
            let columns = (seen.x0 - b.x0) as usize..(seen.x1 - b.x0) as usize;
            let left = (seen.x0 - window.x0) as usize;
            for y in seen.y0..seen.y1 {
                let values = &coverage[(y - b.y0) as usize * glyph_w..][columns.clone()];
                let start = (y - window.y0) as usize * stride + left;
                for (cell, &a) in fill[start..start + values.len()].iter_mut().zip(values) {
                    if a > 0.0 {
                        // Overlapping glyphs (marks on bases, joined Arabic) combine
                        // as coverage does: a + c − a·c.
                        *cell = *cell + a - *cell * a;
                    }
                }
            }
        }
    }

    /// Fill only: the colour itself wherever `fill` (over `window`) has
    /// coverage, which is only inside the glyphs' boxes (a box overlapping
    /// another is written twice, with the same bytes).
    fn fill_pixels(&self, window: Bounds, fill: &[f32]) -> Vec<u8> {
        let stride = window.width() as usize;
        let [r, g, b, a] = self.style.color;
        let alpha = f32::from(a) / 255.0;
        let mut out = vec![0u8; stride * window.height() as usize * 4];
        for glyph_box in self.glyph_boxes.iter().flatten() {
            let Some(seen) = glyph_box.intersect(window) else {
                continue;
            };
            let left = (seen.x0 - window.x0) as usize;
            let width = seen.width() as usize;
            for row in (seen.y0 - window.y0) as usize..(seen.y1 - window.y0) as usize {
                let start = row * stride + left;
                let cells = &fill[start..start + width];
                let pixels = &mut out[start * 4..(start + width) * 4];
                for (pixel, &coverage) in pixels.chunks_exact_mut(4).zip(cells) {
                    if coverage > 0.0 {
                        pixel.copy_from_slice(&[r, g, b, to_byte(coverage * alpha)]);
                    }
                }
            }
        }
        out
    }

    /// Shadow, stroke and fill laid source-over over the whole image.
    fn compose_with_effects(&self, fill: &[f32]) -> Result<Vec<u8>> {
        let (w, h) = self.size();
        let style = &self.style;
        let stroke = style
            .stroke
            .filter(|s| s.width > 0.0)
            .map(|s| dilate(fill, w as usize, h as usize, s.width));
        let shadow = match style.shadow {
            Some(s) => {
                let (dx, dy) = shadow_shift(&s);
                Some(shadow_coverage(
                    fill,
                    stroke.as_deref(),
                    w,
                    h,
                    dx,
                    dy,
                    s.blur,
                )?)
            }
            None => None,
        };
        let mut out = vec![0u8; w as usize * h as usize * 4];
        let color = unit_rgba(style.color);
        let stroke_color = style.stroke.map(|s| unit_rgba(s.color));
        let shadow_color = style.shadow.map(|s| unit_rgba(s.color));
        for (i, pixel) in out.chunks_exact_mut(4).enumerate() {
            // Source-over, premultiplied: shadow, then stroke, then fill.
            let mut acc = [0.0f32; 4];
            if let (Some(c), Some(cov)) = (shadow_color, &shadow) {
                over(&mut acc, c, cov[i]);
            }
            if let (Some(c), Some(cov)) = (stroke_color, &stroke) {
                over(&mut acc, c, cov[i]);
            }
            over(&mut acc, color, fill[i]);
            if acc[3] > 0.0 {
                for c in 0..3 {
                    pixel[c] = to_byte(acc[c] / acc[3]);
                }
                pixel[3] = to_byte(acc[3]);
            }
        }
        Ok(out)
    }
}

/// The shadow's offset in whole pixels.
fn shadow_shift(shadow: &super::Shadow) -> (i32, i32) {
    (shadow.dx.round() as i32, shadow.dy.round() as i32)
}

/// The largest fill coverage plane kept between renders, in cells (16 MB).
const KEPT_FILL_CELLS: usize = 4 << 20;

thread_local! {
    /// The fill coverage plane of the last render, all zero again: a
    /// headline re-rendered while typing then neither allocates nor zeroes
    /// a whole plane, only the glyph boxes it wrote.
    static FILL_PLANE: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A zeroed coverage plane of `cells` cells.
fn take_fill_plane(cells: usize) -> Vec<f32> {
    let mut plane = FILL_PLANE.take();
    // Every kept cell is zero, so shortening then growing zeroes only the growth.
    plane.truncate(cells);
    plane.resize(cells, 0.0);
    plane
}

/// Zeroes what the glyphs wrote into `plane` (over `window`) and keeps it
/// for the next render (unless it is large). A render that fails before
/// this drops it.
fn give_back_fill_plane(mut plane: Vec<f32>, glyph_boxes: &[Option<Bounds>], window: Bounds) {
    if plane.len() > KEPT_FILL_CELLS {
        return;
    }
    let w = window.width() as usize;
    for glyph_box in glyph_boxes.iter().flatten() {
        let Some(seen) = glyph_box.intersect(window) else {
            continue;
        };
        let left = (seen.x0 - window.x0) as usize;
        for row in (seen.y0 - window.y0) as usize..(seen.y1 - window.y0) as usize {
            let start = row * w + left;
            plane[start..start + seen.width() as usize].fill(0.0);
        }
    }
    FILL_PLANE.set(plane);
}

fn unit_rgba(c: [u8; 4]) -> [f32; 4] {
    c.map(|v| f32::from(v) / 255.0)
}

/// `v` in 0..=1 to 0..=255, rounded. Compared rather than clamped: the
/// same bytes (NaN gives 0 both ways), and wasm inlines comparisons where
/// it calls out for `f32::clamp`.
fn to_byte(v: f32) -> u8 {
    if v <= 0.0 {
        0
    } else if v >= 1.0 {
        255
    } else {
        (v * 255.0 + 0.5) as u8
    }
}

/// Lays `color` at `coverage` over the premultiplied `acc`.
fn over(acc: &mut [f32; 4], color: [f32; 4], coverage: f32) {
    let a = color[3] * coverage;
    if a <= 0.0 {
        return;
    }
    for c in 0..3 {
        acc[c] = color[c] * a + acc[c] * (1.0 - a);
    }
    acc[3] = a + acc[3] * (1.0 - a);
}

/// The coverage grown by `radius` px: each pixel takes the largest
/// coverage within the disc, weighted by how much of the pixel the disc's
/// edge covers (so the stroke's outer edge is anti-aliased too).
fn dilate(coverage: &[f32], w: usize, h: usize, radius: f32) -> Vec<f32> {
    let reach = radius.ceil() as isize + 1;
    let mut disc = Vec::new();
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let distance = ((dx * dx + dy * dy) as f32).sqrt();
            let weight = (radius + 0.5 - distance).clamp(0.0, 1.0);
            if weight > 0.0 {
                disc.push((dx, dy, weight));
            }
        }
    }
    // Scattered from the covered pixels only (a fraction of the box), each
    // raising its disc to its coverage × the disc's weight: the same maximum.
    let mut out = vec![0.0f32; coverage.len()];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let source = coverage[y as usize * w + x as usize];
            if source == 0.0 {
                continue;
            }
            for &(dx, dy, weight) in &disc {
                let (tx, ty) = (x + dx, y + dy);
                if tx >= 0 && ty >= 0 && (tx as usize) < w && (ty as usize) < h {
                    let cell = &mut out[ty as usize * w + tx as usize];
                    *cell = cell.max(source * weight);
                }
            }
        }
    }
    out
}

/// Fill and stroke together, moved by (dx, dy) and feathered by `blur`.
fn shadow_coverage(
    fill: &[f32],
    stroke: Option<&[f32]>,
    w: u32,
    h: u32,
    dx: i32,
    dy: i32,
    blur: f32,
) -> Result<Vec<f32>> {
    let mut mask = GrayImage::new(w, h);
    for y in 0..h as i32 {
        for x in 0..w as i32 {
            let (sx, sy) = (x - dx, y - dy);
            if sx < 0 || sy < 0 || sx >= w as i32 || sy >= h as i32 {
                continue;
            }
            let i = sy as usize * w as usize + sx as usize;
            let a = fill[i].max(stroke.map_or(0.0, |s| s[i]));
            mask.put_pixel(x as u32, y as u32, image::Luma([to_byte(a)]));
        }
    }
    let blurred = feather_cpu(&mask, blur)?;
    Ok(blurred
        .as_raw()
        .iter()
        .map(|&v| f32::from(v) / 255.0)
        .collect())
}

/// Feeds a glyph outline (font units, y up) to the rasteriser (pixels, y down).
struct OutlineToRaster {
    raster: Rasterizer,
    scale: f32,
    turn: Turn,
    /// The pen position inside the raster.
    origin: Point,
    start: Point,
    last: Point,
}

impl OutlineToRaster {
    fn map(&self, x: f32, y: f32) -> Point {
        let (dx, dy) = self.turn.apply(x * self.scale, -(y * self.scale));
        point(self.origin.x + dx, self.origin.y + dy)
    }
}

impl ttf_parser::OutlineBuilder for OutlineToRaster {
    fn move_to(&mut self, x: f32, y: f32) {
        self.start = self.map(x, y);
        self.last = self.start;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.map(x, y);
        self.raster.draw_line(self.last, p);
        self.last = p;
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (c, p) = (self.map(x1, y1), self.map(x, y));
        self.raster.draw_quad(self.last, c, p);
        self.last = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (c1, c2, p) = (self.map(x1, y1), self.map(x2, y2), self.map(x, y));
        self.raster.draw_cubic(self.last, c1, c2, p);
        self.last = p;
    }
    fn close(&mut self) {
        if self.last != self.start {
            self.raster.draw_line(self.last, self.start);
        }
        self.last = self.start;
    }
}
