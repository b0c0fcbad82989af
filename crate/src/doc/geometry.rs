//! Rectangles on the canvas, the region an edit left dirty, and the anchors of a canvas resize.

use super::layer::LayerId;
use crate::{Error, Result};
use std::collections::HashMap;

/// An axis-aligned rectangle in pixels. Layers may lie partly off the canvas,
/// so the origin may be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub const fn new(x: i32, y: i32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// One past the right edge (exclusive), widened so it cannot overflow.
    pub fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    /// One past the bottom edge (exclusive).
    pub fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The overlap of two rectangles, `None` when they do not meet.
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = self.right().min(other.right());
        let y1 = self.bottom().min(other.bottom());
        (x1 > i64::from(x0) && y1 > i64::from(y0)).then(|| {
            Rect::new(
                x0,
                y0,
                (x1 - i64::from(x0)) as u32,
                (y1 - i64::from(y0)) as u32,
            )
        })
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        let x0 = self.x.min(other.x);
        let y0 = self.y.min(other.y);
        let x1 = self.right().max(other.right());
        let y1 = self.bottom().max(other.bottom());
        Rect::new(
            x0,
            y0,
            (x1 - i64::from(x0)) as u32,
            (y1 - i64::from(y0)) as u32,
        )
    }

    /// The same rectangle moved by `(dx, dy)`.
    pub fn translated(&self, dx: i32, dy: i32) -> Rect {
        Rect::new(self.x + dx, self.y + dy, self.width, self.height)
    }

    /// The part of this region a before/after view compares after an
    /// enlargement by `scale`: at most `side` output pixels a side, centred on
    /// the region, never empty. A view of the whole region would be too large
    /// to show pixels side by side.
    pub fn compare_window(&self, scale: f64, side: u32) -> Rect {
        let fit = |length: u32| {
            let most = if scale > 0.0 {
                (f64::from(side) / scale)
                    .floor()
                    .clamp(1.0, f64::from(u32::MAX)) as u32
            } else {
                length
            };
            length.min(most).max(1)
        };
        let (width, height) = (fit(self.width), fit(self.height));
        let x = i64::from(self.x) + i64::from(self.width.saturating_sub(width) / 2);
        let y = i64::from(self.y) + i64::from(self.height.saturating_sub(height) / 2);
        Rect::new(x as i32, y as i32, width, height)
    }

    /// This rectangle (inside a `from`-sized space) carried onto the same
    /// content in a `to`-sized space — across an Image Size, or from a region
    /// onto its upscaled copy — rounded to whole pixels, kept inside `to` and
    /// never empty.
    pub fn scaled_between(&self, from: (u32, u32), to: (u32, u32)) -> Rect {
        let axis = |start: i32, length: u32, from: u32, to: u32| {
            let ratio = f64::from(to) / f64::from(from.max(1));
            let last = i64::from(to.max(1)) - 1;
            let start = ((f64::from(start) * ratio).round() as i64).clamp(0, last);
            let room = i64::from(to.max(1)) - start;
            let length = ((f64::from(length) * ratio).round() as i64).clamp(1, room);
            (start as i32, length as u32)
        };
        let (x, width) = axis(self.x, self.width, from.0, to.0);
        let (y, height) = axis(self.y, self.height, from.1, to.1);
        Rect::new(x, y, width, height)
    }
}

/// Where the existing content sits when the canvas is resized: the edge or
/// corner that stays put, as in Photoshop's Canvas Size dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    TopLeft,
    Top,
    TopRight,
    Left,
    #[default]
    Center,
    Right,
    BottomLeft,
    Bottom,
    BottomRight,
}

impl Anchor {
    pub const ALL: [Anchor; 9] = [
        Anchor::TopLeft,
        Anchor::Top,
        Anchor::TopRight,
        Anchor::Left,
        Anchor::Center,
        Anchor::Right,
        Anchor::BottomLeft,
        Anchor::Bottom,
        Anchor::BottomRight,
    ];

    /// The CLI and wasm name, e.g. `top-left`.
    pub fn name(self) -> &'static str {
        match self {
            Anchor::TopLeft => "top-left",
            Anchor::Top => "top",
            Anchor::TopRight => "top-right",
            Anchor::Left => "left",
            Anchor::Center => "center",
            Anchor::Right => "right",
            Anchor::BottomLeft => "bottom-left",
            Anchor::Bottom => "bottom",
            Anchor::BottomRight => "bottom-right",
        }
    }

    /// Parses a name; the error lists the valid ones.
    pub fn from_name(name: &str) -> Result<Anchor> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|a| a.name()).collect();
                Error::param(
                    "anchor",
                    format!("unknown anchor '{name}'; valid: {}", valid.join(", ")),
                )
            })
    }

    /// How far existing content moves when the canvas goes from `old` to
    /// `new` size. Centring rounds towards the top-left, like Photoshop.
    pub fn shift(self, old: (u32, u32), new: (u32, u32)) -> (i32, i32) {
        let spare = |old: u32, new: u32| i64::from(new) - i64::from(old);
        let (dx, dy) = (spare(old.0, new.0), spare(old.1, new.1));
        let (fx, fy) = match self {
            Anchor::TopLeft => (0, 0),
            Anchor::Top => (1, 0),
            Anchor::TopRight => (2, 0),
            Anchor::Left => (0, 1),
            Anchor::Center => (1, 1),
            Anchor::Right => (2, 1),
            Anchor::BottomLeft => (0, 2),
            Anchor::Bottom => (1, 2),
            Anchor::BottomRight => (2, 2),
        };
        // fx/2 of the spare width goes to the left: 0, half, or all of it.
        let part = |spare: i64, f: i64| (spare * f).div_euclid(2) as i32;
        (part(dx, fx), part(dy, fy))
    }
}

/// The part of the canvas whose composite is out of date: one bounding
/// rectangle (edits between two renders are usually close together), and
/// where the pixels of which layers changed, so that copies of the layers
/// held elsewhere (on the GPU) refresh only what changed in them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DirtyRegion {
    pub(super) rect: Option<Rect>,
    pub(super) everything: bool,
    /// Canvas areas where each layer's pixels or mask changed.
    layers: HashMap<LayerId, Rect>,
}

impl DirtyRegion {
    /// Marks `rect` out of date, where only layer `id`'s pixels or mask changed.
    pub fn add_layer(&mut self, id: LayerId, rect: Rect) {
        if rect.is_empty() {
            return;
        }
        self.add_arrangement(rect);
        let old = self.layers.get(&id).copied();
        self.layers.insert(id, union(old, rect));
    }

    /// Marks `rect` out of date where no layer's pixels changed: how they
    /// are composited did (order, opacity, blend mode, visibility, place).
    pub fn add_arrangement(&mut self, rect: Rect) {
        if rect.is_empty() {
            return;
        }
        self.rect = Some(union(self.rect, rect));
    }

    pub fn add_everything(&mut self) {
        self.everything = true;
    }

    /// Adds what `other` holds.
    pub fn merge(&mut self, other: &DirtyRegion) {
        self.everything |= other.everything;
        if let Some(rect) = other.rect {
            self.add_arrangement(rect);
        }
        for (&id, &rect) in &other.layers {
            self.add_layer(id, rect);
        }
    }

    /// Whether nothing is out of date.
    pub fn is_clean(&self) -> bool {
        !self.everything && self.rect.is_none()
    }

    /// Where layer `id`'s pixels or mask may have changed.
    pub fn layer_changed(&self, id: LayerId) -> LayerChanged {
        if self.everything {
            return LayerChanged::Everywhere;
        }
        match self.layers.get(&id) {
            None => LayerChanged::Nowhere,
            Some(&rect) => LayerChanged::Within(rect),
        }
    }

    /// Forgets that layer `id`'s pixels changed within `rect`, because the
    /// copy this region is kept for was changed there the same way already.
    /// Only a record lying within `rect` is forgotten: returns whether it was.
    pub fn forget_layer_change(&mut self, id: LayerId, rect: Rect) -> bool {
        let within = |r: &Rect| r.intersect(&rect) == Some(*r);
        if !self.everything && self.layers.get(&id).is_some_and(within) {
            self.layers.remove(&id);
            return true;
        }
        false
    }
}

/// Where [`DirtyRegion::layer_changed`] says a layer's pixels changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LayerChanged {
    Nowhere,
    Within(Rect),
    Everywhere,
}

fn union(old: Option<Rect>, rect: Rect) -> Rect {
    old.map_or(rect, |old| old.union(&rect))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersect_and_union() {
        let a = Rect::new(-10, -10, 20, 20);
        let b = Rect::new(5, 0, 100, 3);
        assert_eq!(a.intersect(&b), Some(Rect::new(5, 0, 5, 3)));
        assert_eq!(a.union(&b), Rect::new(-10, -10, 115, 20));
        assert_eq!(a.intersect(&Rect::new(10, 10, 1, 1)), None);
    }

    #[test]
    fn anchors_shift_content() {
        assert_eq!(Anchor::TopLeft.shift((10, 10), (20, 30)), (0, 0));
        assert_eq!(Anchor::Center.shift((10, 10), (21, 30)), (5, 10));
        assert_eq!(Anchor::BottomRight.shift((10, 10), (20, 30)), (10, 20));
        // Shrinking moves content up/left.
        assert_eq!(Anchor::Center.shift((10, 10), (5, 4)), (-3, -3));
        for a in Anchor::ALL {
            assert_eq!(Anchor::from_name(a.name()).unwrap(), a);
        }
        assert!(Anchor::from_name("middle").is_err());
    }
}
