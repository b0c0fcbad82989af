//! The document state history can change: canvas size, layers, selection and brand kit.
//!
//! Kept apart from [`super::change`] (the edits) and [`super::render`] (the
//! composite), which both read it, so neither has to reach into the other.

use super::brand::BrandKit;
use super::layer::{Layer, LayerId};
use image::GrayImage;

/// The canvas size, the layers (bottom first), the selection and the brand
/// kit: everything history can change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LayerStack {
    pub width: u32,
    pub height: u32,
    pub layers: Vec<Layer>,
    /// Canvas-sized coverage (0 = not selected, 255 = selected); `None`
    /// means no selection, so tools act on everything. It lives here rather
    /// than beside the document because selecting is undoable like any edit.
    pub selection: Option<GrayImage>,
    /// Kept here so that editing the kit is undoable too (see [`super::brand`]).
    pub brand: BrandKit,
}

impl LayerStack {
    pub fn index_of(&self, id: LayerId) -> Option<usize> {
        self.layers.iter().position(|l| l.id == id)
    }

    /// The layer a recorded change refers to. History only replays changes on
    /// the state they were recorded against, where the layer exists.
    pub(super) fn recorded_layer(&mut self, id: LayerId) -> &mut Layer {
        self.layers
            .iter_mut()
            .find(|l| l.id == id)
            .expect("history replays changes on the state they were recorded on")
    }
}
