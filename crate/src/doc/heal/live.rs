//! The Healing brush while the pointer moves (see
//! [`Document::begin_heal_stroke`](super::Document::begin_heal_stroke)):
//! dab by dab, each blended in the gradient domain over its own window, on
//! the CPU; at the end, the whole stroke at once.

use super::{brush_of, coverage, crop, healing_cpu, healing_window, offset_source};
use super::{refuse_transparent, shape_of, within_selection, HealOptions};
use crate::doc::geometry::Rect;
use crate::ops::dab::{fixed_centres, DabPlacer, Dabs, DirtyRect};
use crate::ops::poisson::{self, PoissonOptions};
use crate::Result;
use image::{GrayImage, RgbaImage};

/// One dab of a live Healing brush stroke, in layer pixels.
pub(crate) struct HealDab {
    /// The dab's centre in 1/16 px.
    centre: [i32; 2],
    /// What the dab covers, on the layer's part of the canvas.
    rect: Rect,
    /// The blend's window around it.
    pub window: Rect,
}

/// A Healing brush stroke healed dab by dab as its points arrive. Every dab
/// reads its texture from the layer as it was before the stroke and its
/// tone from the layer as the earlier dabs left it, so the pixels after the
/// last dab depend on the points alone, however they were batched. What is
/// recorded at the end is [`LiveHeal::whole_stroke`].
pub(crate) struct LiveHeal {
    options: HealOptions,
    /// The stroke's points so far, in layer pixels.
    points: Vec<(f32, f32)>,
    placer: DabPlacer,
    /// The dab shape's coverage model (no centres).
    model: Dabs,
    /// From a healed pixel to its texture's, in whole pixels.
    offset: (i32, i32),
    /// The layer's part on the canvas, in layer pixels.
    on_canvas: Rect,
    /// The layer as it was before the stroke.
    before: RgbaImage,
    dirty: Option<DirtyRect>,
}

impl LiveHeal {
    /// Starts a stroke on `before` (the layer as it is now), checking the
    /// options by name. No dab is healed until [`LiveHeal::heal`].
    pub fn begin(
        before: RgbaImage,
        on_canvas: Rect,
        options: &HealOptions,
        offset: (i32, i32),
    ) -> Result<LiveHeal> {
        let placer = DabPlacer::new(before.dimensions(), &shape_of(&brush_of(options)?));
        Ok(LiveHeal {
            options: *options,
            points: Vec::new(),
            model: placer.shape_only(),
            placer,
            offset,
            on_canvas,
            before,
            dirty: None,
        })
    }

    /// The dabs layer `points` add to the stroke that touch the layer's part
    /// on the canvas, in stroke order. A refused call (a bad point, too many
    /// dabs) changes nothing.
    pub fn place(&mut self, points: &[(f32, f32)]) -> Result<Vec<HealDab>> {
        let centres = self.placer.extend(points)?;
        self.points.extend_from_slice(points);
        let dabs = centres
            .iter()
            .zip(fixed_centres(&centres))
            .filter_map(|(&centre, fixed)| {
                let dirty = self.placer.dirty_of(&[centre])?;
                let rect = Rect::new(dirty.x as i32, dirty.y as i32, dirty.width, dirty.height)
                    .intersect(&self.on_canvas)?;
                Some(HealDab {
                    centre: fixed,
                    rect,
                    window: healing_window(rect, self.on_canvas),
                })
            });
        Ok(dabs.collect())
    }

    /// Heals `dab` into `target` (the layer, as the earlier dabs left it);
    /// `selection` (the dab's window, when there is one) limits it. Returns
    /// the layer rectangle that may have changed, `None` for a dab with
    /// nothing to heal (all transparent around it). The stroke's first dab
    /// on a transparent area is refused instead, by what is wrong.
    pub fn heal(
        &mut self,
        target: &mut RgbaImage,
        dab: &HealDab,
        selection: Option<&GrayImage>,
    ) -> Result<Option<DirtyRect>> {
        let window = dab.window;
        let (wx, wy) = (window.x as u32, window.y as u32);
        let mask = GrayImage::from_fn(window.width, window.height, |x, y| {
            image::Luma([self.model.coverage(dab.centre, wx + x, wy + y) as u8])
        });
        let destination = crop(target, (wx, wy), (window.width, window.height));
        if let Err(transparent) = refuse_transparent(&destination) {
            return match self.dirty {
                None => Err(transparent),
                Some(_) => Ok(None),
            };
        }
        if mask.pixels().all(|p| p.0[0] == 0) {
            return Ok(None);
        }
        let source = offset_source(&self.before, window, self.offset, self.on_canvas);
        let blended = poisson::blend_cpu(&destination, &source, &mask, &PoissonOptions::default())?;
        let blended = match selection {
            Some(selection) => within_selection(&destination, &blended, selection),
            None => blended,
        };
        image::imageops::replace(target, &blended, i64::from(wx), i64::from(wy));
        let rect = DirtyRect {
            x: dab.rect.x as u32,
            y: dab.rect.y as u32,
            width: dab.rect.width,
            height: dab.rect.height,
        };
        self.dirty = Some(self.dirty.map_or(rect, |d| d.union(&rect)));
        Ok(Some(rect))
    }

    /// The whole stroke healed at once from the layer as it was before it
    /// (the layer position and pixels of the rectangle that can change), as
    /// the one-shot Healing brush heals it on the CPU: texture from the
    /// offset, tone from around the whole stroke, so no dab's edge runs
    /// over pixels a later dab healed. `None` while no dab has healed.
    pub fn whole_stroke(&self) -> Result<Option<((u32, u32), RgbaImage)>> {
        if self.dirty.is_none() {
            return Ok(None);
        }
        let stroke = coverage(
            self.before.dimensions(),
            self.on_canvas,
            &self.points,
            &self.options,
        )?;
        healing_cpu(&self.before, self.on_canvas, stroke, self.offset).map(Some)
    }

    /// What the stroke so far may have changed, `None` before its first dab.
    pub fn dirty(&self) -> Option<DirtyRect> {
        self.dirty
    }

    /// The layer as it was before the stroke.
    pub fn before(&self) -> &RgbaImage {
        &self.before
    }

    /// Gives back the layer as it was before the stroke.
    pub fn into_before(self) -> RgbaImage {
        self.before
    }
}
