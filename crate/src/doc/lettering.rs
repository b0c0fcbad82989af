//! The colour of lettering under the selection, so text set over generated
//! lettering starts in that lettering's colour.
//!
//! Within the selection the pixels are split in two by colour (2-means in
//! CIELAB): the background, seeded by the median colour of the selection's
//! border (where the user drew around the lettering), and the ink, seeded by
//! the pixels farthest from it. The ink must be the minority and stand well
//! apart from the background (farther than the background's own spread).
//! The answer is the median of the strokes' insides around the ink's most
//! common colour (lettering is set in one colour; anti-aliased edges and
//! similar-hued things that joined the cluster are left out). Anything else (a flat or noisy area)
//! has no lettering: `None`, and the caller keeps its current colour.

use super::render::{compose_layers_cpu, crop};
use super::Document;
use crate::Result;
use image::{GrayImage, RgbaImage};
use std::collections::HashMap;

/// Coverage and alpha from which a pixel counts (selected, opaque enough).
const SOLID: u8 = 128;
/// The smallest CIELAB distance between ink and background (ΔE*ab): below it
/// the two are one surface's shading, not lettering on it.
const MIN_SEPARATION: f32 = 15.0;
/// The ink's share of the selected pixels: more than a few, fewer than half.
const MIN_INK_SHARE: f32 = 0.005;
const MAX_INK_SHARE: f32 = 0.5;
/// How far (ΔE*ab) from the ink's most common colour its pixels count
/// towards the answer.
const MODE_RADIUS: f32 = 12.0;
/// The most of the selection's border the ink may cover (lettering may
/// touch the selection's edge here and there).
const MAX_BORDER_SHARE: f32 = 0.05;
/// Colour groups the selection is split into: background areas of a few
/// colours and the ink.
const GROUPS: usize = 6;
/// Rounds of k-means (it settles within a few).
const ROUNDS: usize = 12;

/// The lettering colour within `mask` (coverage, the size of `pixels`); see
/// the module docs.
pub fn lettering_colour(pixels: &RgbaImage, mask: &GrayImage) -> Option<[u8; 3]> {
    let (w, h) = pixels.dimensions();
    debug_assert_eq!((w, h), mask.dimensions());
    let inside = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < i64::from(w)
            && y < i64::from(h)
            && mask.get_pixel(x as u32, y as u32).0[0] >= SOLID
            && pixels.get_pixel(x as u32, y as u32).0[3] >= SOLID
    };
    let mut colours: Vec<([u8; 3], [f32; 3])> = Vec::new();
    // Indices in `colours` of the selection's border pixels.
    let mut border: Vec<usize> = Vec::new();
    // Each pixel's index in `colours`, for the ink's shape below.
    let mut index_at: Vec<Option<usize>> = vec![None; w as usize * h as usize];
    for y in 0..i64::from(h) {
        for x in 0..i64::from(w) {
            if !inside(x, y) {
                continue;
            }
            let [r, g, b, _] = pixels.get_pixel(x as u32, y as u32).0;
            let lab = lab([r, g, b]);
            index_at[(y * i64::from(w) + x) as usize] = Some(colours.len());
            colours.push(([r, g, b], lab));
            let edge = [(1, 0), (-1, 0), (0, 1), (0, -1)]
                .iter()
                .any(|&(dx, dy)| !inside(x + dx, y + dy));
            if edge {
                border.push(colours.len() - 1);
            }
        }
    }
    if colours.is_empty() || border.is_empty() {
        return None;
    }
    let border_colour = median3(&mut border.iter().map(|&i| colours[i].1).collect::<Vec<_>>());
    let groups = k_means(&colours, border_colour);
    // Count each group's pixels, inside and on the border.
    let mut sizes = [0usize; GROUPS];
    let mut on_border = [0usize; GROUPS];
    for &g in &groups {
        sizes[g] += 1;
    }
    for &i in &border {
        on_border[groups[i]] += 1;
    }
    let centres: Vec<Option<[f32; 3]>> = (0..GROUPS)
        .map(|g| {
            mean(
                (0..colours.len())
                    .filter(|&i| groups[i] == g)
                    .map(|i| colours[i].1),
            )
        })
        .collect();
    // The ink: a minority the border (drawn around the lettering) hardly
    // touches, far from the border's colour; the largest such group.
    let ink_group = (0..GROUPS)
        .filter(|&g| {
            let share = sizes[g] as f32 / colours.len() as f32;
            let border_share = on_border[g] as f32 / border.len() as f32;
            centres[g].is_some_and(|c| dist(c, border_colour) >= MIN_SEPARATION)
                && (MIN_INK_SHARE..=MAX_INK_SHARE).contains(&share)
                && border_share <= MAX_BORDER_SHARE
        })
        .max_by_key(|&g| sizes[g])?;
    let is_ink: Vec<bool> = groups.iter().map(|&g| g == ink_group).collect();
    // The strokes' insides: ink whose eight neighbours are ink too. That
    // leaves out the anti-aliased edges and the background's scattered
    // pixels that happen to lie nearer the ink's colour.
    let ink_at = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < i64::from(w)
            && y < i64::from(h)
            && index_at[(y * i64::from(w) + x) as usize].is_some_and(|i| is_ink[i])
    };
    let mut solid: Vec<usize> = Vec::new();
    for y in 0..i64::from(h) {
        for x in 0..i64::from(w) {
            let whole = (-1..=1).all(|dy| (-1..=1).all(|dx| ink_at(x + dx, y + dy)));
            if whole {
                solid.extend(index_at[(y * i64::from(w) + x) as usize]);
            }
        }
    }
    if solid.is_empty() {
        solid = (0..colours.len()).filter(|&i| is_ink[i]).collect();
    }
    // Lettering is set in one colour: the ink's most common colour (the
    // fullest 16-level bin per channel), then the median of the ink within
    // MODE_RADIUS of it, so other things of a similar hue that joined the
    // cluster do not pull the answer towards them.
    let mut bins: HashMap<[u8; 3], Vec<usize>> = HashMap::new();
    for &i in &solid {
        bins.entry(colours[i].0.map(|c| c >> 4))
            .or_default()
            .push(i);
    }
    let fullest = bins
        .values()
        .max_by_key(|members| members.len())
        .expect("the ink has pixels");
    let centre = mean(fullest.iter().map(|&i| colours[i].1))?;
    let mut channels: [Vec<u8>; 3] = Default::default();
    for &i in solid
        .iter()
        .filter(|&&i| dist(colours[i].1, centre) <= MODE_RADIUS)
    {
        for (channel, &value) in channels.iter_mut().zip(&colours[i].0) {
            channel.push(value);
        }
    }
    Some(channels.map(|mut values| {
        values.sort_unstable();
        values[values.len() / 2]
    }))
}

impl Document {
    /// The colour of the lettering under the selection (see the module
    /// docs): looked for in the composite, then, when that shows none (the
    /// lettering may have been filled away on a layer above), in the
    /// composite of the layers below each layer from the top, down to the
    /// bottom one. `None` without a selection or lettering.
    pub fn lettering_colour(&self) -> Result<Option<[u8; 3]>> {
        let (Some(bounds), Some(selection)) = (self.selection_bounds(), self.selection()) else {
            return Ok(None);
        };
        let mask = crop(selection, bounds);
        let region = |layers: &mut dyn Iterator<Item = &super::Layer>| -> Result<RgbaImage> {
            let mut target = RgbaImage::new(bounds.width, bounds.height);
            compose_layers_cpu(layers, &mut target, (bounds.x, bounds.y), bounds)?;
            Ok(target)
        };
        let composite = region(&mut self.layers().iter())?;
        if let Some(colour) = lettering_colour(&composite, &mask) {
            return Ok(Some(colour));
        }
        let layers = self.layers();
        for top in (1..layers.len()).rev() {
            let hides = &layers[top];
            if hides.is_invisible() || hides.bounds().intersect(&bounds).is_none() {
                continue;
            }
            let below = region(&mut layers[..top].iter())?;
            if let Some(colour) = lettering_colour(&below, &mask) {
                return Ok(Some(colour));
            }
        }
        Ok(None)
    }
}

/// Splits `colours` into [`GROUPS`] groups by CIELAB colour (k-means),
/// seeded with the border's colour and then each time the colour farthest
/// from the seeds so far; returns each pixel's group.
fn k_means(colours: &[([u8; 3], [f32; 3])], border_colour: [f32; 3]) -> Vec<usize> {
    let nearest = |p: [f32; 3], centres: &[[f32; 3]]| {
        (0..centres.len())
            .min_by(|&a, &b| dist(p, centres[a]).total_cmp(&dist(p, centres[b])))
            .expect("there are centres")
    };
    let mut centres = vec![border_colour];
    while centres.len() < GROUPS {
        let farthest = colours
            .iter()
            .map(|c| c.1)
            .max_by(|&a, &b| {
                let gap = |p| centres.iter().map(|&c| dist(p, c)).fold(f32::MAX, f32::min);
                gap(a).total_cmp(&gap(b))
            })
            .expect("there are colours");
        centres.push(farthest);
    }
    let mut groups = vec![0; colours.len()];
    for _ in 0..ROUNDS {
        for (group, c) in groups.iter_mut().zip(colours) {
            *group = nearest(c.1, &centres);
        }
        for (g, centre) in centres.iter_mut().enumerate() {
            let members = groups.iter().zip(colours).filter(|(&k, _)| k == g);
            if let Some(m) = mean(members.map(|(_, c)| c.1)) {
                *centre = m;
            }
        }
    }
    groups
}

/// sRGB (D65) to CIELAB.
fn lab(rgb: [u8; 3]) -> [f32; 3] {
    let linear = rgb.map(|c| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    let [r, g, b] = linear;
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f32| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIE76 ΔE*ab.
fn dist(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn mean(points: impl Iterator<Item = [f32; 3]>) -> Option<[f32; 3]> {
    let (mut sum, mut n) = ([0.0f64; 3], 0u32);
    for p in points {
        for (s, v) in sum.iter_mut().zip(p) {
            *s += f64::from(v);
        }
        n += 1;
    }
    (n > 0).then(|| sum.map(|s| (s / f64::from(n)) as f32))
}

fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}

/// The per-channel median.
fn median3(points: &mut [[f32; 3]]) -> [f32; 3] {
    [0, 1, 2].map(|i| {
        let mut channel: Vec<f32> = points.iter().map(|p| p[i]).collect();
        median(&mut channel)
    })
}

#[cfg(test)]
mod tests;
