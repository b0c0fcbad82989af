//! A raster layer: RGBA8 pixels (straight alpha) placed at an offset on the
//! canvas, an optional 8-bit mask the size of the pixels, and the properties
//! the compositor reads.

use super::geometry::Rect;
use super::text::TextLayer;
use crate::ops::blend::{BlendMode, CompositeOptions};
use crate::{Error, Result};
use image::{GrayImage, RgbaImage};

/// Stable identity of a layer: indices change when layers move, ids never do,
/// so history entries and UI selections refer to layers by id.
pub type LayerId = u32;

/// Everything about a layer except its pixels, set together by one command.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerProperties {
    pub name: String,
    pub visible: bool,
    /// 0 to 1.
    pub opacity: f32,
    pub mode: BlendMode,
    /// A locked layer refuses changes to its pixels, mask and position.
    pub locked: bool,
    /// Position of the layer's top-left corner on the canvas (may be negative).
    pub offset: (i32, i32),
}

impl LayerProperties {
    /// A visible, unlocked, fully opaque normal layer at the canvas origin.
    pub fn named(name: impl Into<String>) -> LayerProperties {
        LayerProperties {
            name: name.into(),
            visible: true,
            opacity: 1.0,
            mode: BlendMode::Normal,
            locked: false,
            offset: (0, 0),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !self.opacity.is_finite() || !(0.0..=1.0).contains(&self.opacity) {
            return Err(Error::param(
                "opacity",
                format!("{} is outside 0 to 1", self.opacity),
            ));
        }
        Ok(())
    }

    /// How the compositor places and blends a layer with these properties.
    pub(crate) fn composite_options(&self) -> CompositeOptions {
        CompositeOptions {
            mode: self.mode,
            opacity: self.opacity,
            offset: self.offset,
            ..CompositeOptions::default()
        }
    }
}

/// One layer of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub id: LayerId,
    pub props: LayerProperties,
    pub pixels: RgbaImage,
    /// Coverage (0 hides, 255 shows), the same size as `pixels`.
    pub mask: Option<GrayImage>,
    /// For a text layer, the source its pixels were rendered from.
    pub text: Option<Box<TextLayer>>,
}

impl Layer {
    /// Where the layer lies on the canvas.
    pub fn bounds(&self) -> Rect {
        Rect::new(
            self.props.offset.0,
            self.props.offset.1,
            self.pixels.width(),
            self.pixels.height(),
        )
    }

    /// Bytes of pixel data the layer holds (pixels and mask).
    pub fn pixel_bytes(&self) -> usize {
        self.pixels.as_raw().len() + self.mask.as_ref().map_or(0, |m| m.as_raw().len())
    }

    /// True when the layer adds nothing to the composite.
    pub(crate) fn is_invisible(&self) -> bool {
        !self.props.visible || self.props.opacity == 0.0
    }

    /// Refuses pixel edits of a locked layer or a text layer (whose pixels
    /// are rendered from its source: rasterize it first).
    pub(crate) fn check_pixels_editable(&self, what: &str) -> Result<()> {
        self.check_unlocked(what)?;
        if self.text.is_some() {
            return Err(Error::param(
                "layer",
                format!(
                    "'{}' is a text layer: edit its text, or rasterize it to {what}",
                    self.props.name
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn check_unlocked(&self, what: &str) -> Result<()> {
        if self.props.locked {
            return Err(Error::param(
                "layer",
                format!("'{}' is locked: unlock it to {what}", self.props.name),
            ));
        }
        Ok(())
    }
}
