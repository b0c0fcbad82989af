//! The set of plugins the core knows about, looked up by id.

use super::Manifest;
use crate::error::{Error, Result};

/// The manifests compiled into the core, listed by hand so that adding a plugin is a visible
/// change and neither the CLI nor the wasm module needs manifest files at run time.
const BUILTIN_MANIFESTS: &[&str] = &[
    include_str!("../../../plugin-manifest/plugins/adjust-levels.json"),
    include_str!("../../../plugin-manifest/plugins/adjust-curves.json"),
    include_str!("../../../plugin-manifest/plugins/adjust-brightness-contrast.json"),
    include_str!("../../../plugin-manifest/plugins/adjust-hue-saturation.json"),
    include_str!("../../../plugin-manifest/plugins/adjust-color-balance.json"),
    include_str!("../../../plugin-manifest/plugins/adjust-gaussian-blur.json"),
    include_str!("../../../plugin-manifest/plugins/adjust-unsharp-mask.json"),
    include_str!("../../../plugin-manifest/plugins/composite.json"),
    include_str!("../../../plugin-manifest/plugins/mask-border.json"),
    include_str!("../../../plugin-manifest/plugins/mask-brush.json"),
    include_str!("../../../plugin-manifest/plugins/mask-color-range.json"),
    include_str!("../../../plugin-manifest/plugins/mask-ellipse.json"),
    include_str!("../../../plugin-manifest/plugins/mask-feather.json"),
    include_str!("../../../plugin-manifest/plugins/mask-grow.json"),
    include_str!("../../../plugin-manifest/plugins/mask-invert.json"),
    include_str!("../../../plugin-manifest/plugins/mask-lasso.json"),
    include_str!("../../../plugin-manifest/plugins/mask-rectangle.json"),
    include_str!("../../../plugin-manifest/plugins/mask-shrink.json"),
    include_str!("../../../plugin-manifest/plugins/mask-smooth.json"),
    include_str!("../../../plugin-manifest/plugins/mask-wand.json"),
    include_str!("../../../plugin-manifest/plugins/fill-content-aware.json"),
    include_str!("../../../plugin-manifest/plugins/paint-brush.json"),
    include_str!("../../../plugin-manifest/plugins/paint-eraser.json"),
    include_str!("../../../plugin-manifest/plugins/paint-clone.json"),
    include_str!("../../../plugin-manifest/plugins/heal-spot.json"),
    include_str!("../../../plugin-manifest/plugins/heal-remove.json"),
    include_str!("../../../plugin-manifest/plugins/heal-healing.json"),
    include_str!("../../../plugin-manifest/plugins/resize.json"),
    include_str!("../../../plugin-manifest/plugins/transform-crop.json"),
    include_str!("../../../plugin-manifest/plugins/transform-free.json"),
    include_str!("../../../plugin-manifest/plugins/provider-openai.json"),
    include_str!("../../../plugin-manifest/plugins/provider-gemini.json"),
    include_str!("../../../plugin-manifest/plugins/provider-stability.json"),
    include_str!("../../../plugin-manifest/plugins/provider-mock.json"),
];

/// Validated manifests with unique ids, in the order they were given.
#[derive(Debug, Clone)]
pub struct Registry {
    manifests: Vec<Manifest>,
}

impl Registry {
    /// The plugins that ship with the core.
    pub fn builtin() -> Result<Registry> {
        Registry::from_json_strs(BUILTIN_MANIFESTS.iter().copied())
    }

    /// Parses and validates each manifest; fails on the first invalid one or on a repeated id.
    pub fn from_json_strs<'a>(sources: impl IntoIterator<Item = &'a str>) -> Result<Registry> {
        let mut manifests: Vec<Manifest> = Vec::new();
        for source in sources {
            let manifest = Manifest::from_json(source)?;
            if manifests.iter().any(|known| known.id == manifest.id) {
                return Err(Error::Manifest {
                    plugin: manifest.id,
                    field: "id".to_owned(),
                    message: "another plugin in the registry already has this id".to_owned(),
                });
            }
            manifests.push(manifest);
        }
        Ok(Registry { manifests })
    }

    /// The manifest with this id, if any.
    pub fn get(&self, id: &str) -> Option<&Manifest> {
        self.manifests.iter().find(|manifest| manifest.id == id)
    }

    /// All manifests, in load order.
    pub fn manifests(&self) -> &[Manifest] {
        &self.manifests
    }
}
