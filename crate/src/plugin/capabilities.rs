//! What an AI provider can do, declared in its manifest so that the core plans every job within
//! the provider's limits (sizes, aspect ratios, mask convention, references, variants) without
//! provider-specific code.

use serde::{Deserialize, Serialize};

/// A provider's capabilities; present exactly when the manifest's kind is `provider`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// What the provider can be asked to do.
    pub operations: Vec<Operation>,
    /// How the provider reads the edit region.
    pub mask: MaskConvention,
    /// Model ids; the first is the default.
    pub models: Vec<String>,
    /// Fixed output sizes; exactly one of `sizes` and `flexible_size` is given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<OutputSize>,
    /// Any size within limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flexible_size: Option<FlexibleSize>,
    /// Reference images accepted next to the edited image.
    pub max_reference_images: u32,
    /// Images one call can return; 1 means n variants take n calls.
    pub variants_per_call: u32,
    /// Largest request body the provider accepts.
    pub max_upload_bytes: u64,
}

/// An operation a provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Generate,
    EditMask,
    EditInstruction,
    /// Extends the picture. Listed by a provider that takes a mask, it means a native endpoint
    /// taking pixel amounts per side (Stability); providers that do not list it outpaint through
    /// `edit_mask` (or, mask-less, an instruction edit) of a crop with the new area transparent.
    Outpaint,
    Erase,
    Upscale,
}

/// How a provider reads the edit region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskConvention {
    /// An RGBA PNG whose alpha 0 marks the pixels to edit (OpenAI).
    AlphaTransparent,
    /// A greyscale PNG, white = edit, black = keep (Stability, FLUX Fill).
    WhiteEdit,
    /// No mask: the crop and the prompt carry the region (Gemini).
    None,
}

/// A fixed output size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSize {
    pub width: u32,
    pub height: u32,
    /// The provider's name for the ratio where its API asks for one, e.g. `16:9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<String>,
}

/// A provider that accepts any size within limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlexibleSize {
    /// The pixel count a crop is scaled to (the provider's native resolution).
    pub target_pixels: u64,
    pub min_pixels: u64,
    pub max_pixels: u64,
    pub min_side: u32,
    /// Each side is a multiple of this.
    pub multiple: u32,
    /// Smallest and largest width / height.
    pub min_aspect: f64,
    pub max_aspect: f64,
}

/// How far a named aspect ratio may be from its size's width / height (Gemini's 16:9 is
/// 1344×768, 1.6 % off).
const ASPECT_NAME_TOLERANCE: f64 = 0.05;

/// Parses `W:H` (decimals allowed, both positive) into W / H.
pub fn parse_aspect_ratio(name: &str) -> Option<f64> {
    let (w, h) = name.split_once(':')?;
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .then(|| s.parse::<f64>().ok())
            .flatten()
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    Some(number(w)? / number(h)?)
}

impl Capabilities {
    /// Checks the rules the types cannot express; errors are (JSON path, message) relative to
    /// the manifest.
    pub(super) fn check(&self) -> Result<(), (String, String)> {
        let at = |field: &str| format!("capabilities.{field}");
        let fail = |field: &str, message: String| Err((at(field), message));
        if self.operations.is_empty() {
            return fail("operations", "must list at least one operation".into());
        }
        for (i, op) in self.operations.iter().enumerate() {
            if self.operations[..i].contains(op) {
                return fail(
                    &format!("operations[{i}]"),
                    format!("{op:?} is listed twice"),
                );
            }
        }
        if self.models.is_empty() {
            return fail("models", "must list at least one model".into());
        }
        for (i, model) in self.models.iter().enumerate() {
            if model.is_empty() || self.models[..i].contains(model) {
                return fail(
                    &format!("models[{i}]"),
                    format!("'{model}' is empty or repeated"),
                );
            }
        }
        match (&self.sizes.is_empty(), &self.flexible_size) {
            (true, None) => return fail("sizes", "give sizes or flexible_size".into()),
            (false, Some(_)) => {
                return fail(
                    "flexible_size",
                    "give either sizes or flexible_size, not both".into(),
                )
            }
            _ => {}
        }
        for (i, size) in self.sizes.iter().enumerate() {
            if !(1..=crate::image_io::MAX_SIDE).contains(&size.width)
                || !(1..=crate::image_io::MAX_SIDE).contains(&size.height)
            {
                return fail(
                    &format!("sizes[{i}]"),
                    format!("{}×{} is not a valid size", size.width, size.height),
                );
            }
            if let Some(name) = &size.aspect_ratio {
                let actual = f64::from(size.width) / f64::from(size.height);
                match parse_aspect_ratio(name) {
                    Some(ratio) if (ratio / actual - 1.0).abs() <= ASPECT_NAME_TOLERANCE => {}
                    _ => {
                        return fail(
                            &format!("sizes[{i}].aspect_ratio"),
                            format!(
                                "'{name}' does not name the ratio of {}×{}",
                                size.width, size.height
                            ),
                        )
                    }
                }
            }
        }
        if let Some(f) = &self.flexible_size {
            if f.multiple == 0 || f.min_side == 0 {
                return fail(
                    "flexible_size",
                    "multiple and min_side must be at least 1".into(),
                );
            }
            if !(f.min_pixels <= f.target_pixels && f.target_pixels <= f.max_pixels) {
                return fail(
                    "flexible_size.target_pixels",
                    format!(
                        "{} is outside min_pixels {} to max_pixels {}",
                        f.target_pixels, f.min_pixels, f.max_pixels
                    ),
                );
            }
            if !(f.min_aspect > 0.0
                && f.min_aspect <= 1.0
                && f.max_aspect >= 1.0
                && f.max_aspect.is_finite())
            {
                return fail(
                    "flexible_size.min_aspect",
                    "need 0 < min_aspect ≤ 1 ≤ max_aspect".into(),
                );
            }
        }
        if self.variants_per_call == 0 {
            return fail("variants_per_call", "must be at least 1".into());
        }
        if self.max_upload_bytes == 0 {
            return fail("max_upload_bytes", "must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Kind, Manifest, Registry};
    use crate::Error;
    use serde_json::{json, Value};

    fn provider() -> Value {
        json!({
            "id": "example.provider", "name": "P", "version": "1.0.0", "kind": "provider",
            "description": "", "entry": { "type": "bridge", "module": "bridge/p.js" },
            "inputs": [], "outputs": [{ "id": "layer", "type": "image" }],
            "capabilities": {
                "operations": ["edit_mask"], "mask": "white_edit", "models": ["m"],
                "sizes": [{ "width": 1344, "height": 768, "aspect_ratio": "16:9" }],
                "max_reference_images": 0, "variants_per_call": 1, "max_upload_bytes": 1000
            }
        })
    }

    fn field_of(manifest: &Value) -> String {
        match Manifest::from_json(&manifest.to_string()) {
            Err(Error::Manifest { field, .. }) => field,
            other => panic!("expected a manifest error, got {other:?}"),
        }
    }

    #[test]
    fn builtin_providers_declare_capabilities() {
        let registry = Registry::builtin().unwrap();
        let providers: Vec<_> = registry
            .manifests()
            .iter()
            .filter(|m| m.kind == Kind::Provider)
            .collect();
        assert_eq!(providers.len(), 4);
        let openai = registry.get("retouch.provider.openai").unwrap();
        let caps = openai.capabilities.as_ref().unwrap();
        assert_eq!(caps.mask, MaskConvention::AlphaTransparent);
        assert_eq!(caps.sizes.len(), 3);
        let gemini = registry.get("retouch.provider.gemini").unwrap();
        assert_eq!(
            gemini.capabilities.as_ref().unwrap().mask,
            MaskConvention::None
        );
        assert!(registry
            .get("retouch.composite")
            .unwrap()
            .capabilities
            .is_none());
    }

    #[test]
    fn a_valid_provider_round_trips() {
        let manifest = Manifest::from_json(&provider().to_string()).unwrap();
        let again = Manifest::from_json(&serde_json::to_string(&manifest).unwrap()).unwrap();
        assert_eq!(manifest, again);
    }

    #[test]
    fn capabilities_belong_to_providers_only() {
        let mut m = provider();
        m.as_object_mut().unwrap().remove("capabilities");
        assert_eq!(field_of(&m), "capabilities");
        let mut m = provider();
        m["kind"] = json!("filter");
        assert_eq!(field_of(&m), "capabilities");
    }

    #[test]
    fn sizes_and_ratios_are_checked() {
        let mut m = provider();
        m["capabilities"]["sizes"][0]["aspect_ratio"] = json!("4:3");
        assert_eq!(field_of(&m), "capabilities.sizes[0].aspect_ratio");
        let mut m = provider();
        m["capabilities"]["flexible_size"] = json!({
            "target_pixels": 10, "min_pixels": 1, "max_pixels": 100, "min_side": 1,
            "multiple": 8, "min_aspect": 0.5, "max_aspect": 2.0
        });
        assert_eq!(field_of(&m), "capabilities.flexible_size");
        let mut m = provider();
        m["capabilities"]["operations"] = json!(["erase", "erase"]);
        assert_eq!(field_of(&m), "capabilities.operations[1]");
        let mut m = provider();
        m["capabilities"]["mask"] = json!("black_edit");
        assert!(field_of(&m).starts_with("capabilities"));
    }

    #[test]
    fn aspect_ratio_names_parse() {
        assert_eq!(parse_aspect_ratio("16:9"), Some(16.0 / 9.0));
        assert_eq!(parse_aspect_ratio("19.5:9"), Some(19.5 / 9.0));
        for bad in ["16/9", "0:1", ":9", "a:b", "16:", "-1:2"] {
            assert_eq!(parse_aspect_ratio(bad), None, "{bad}");
        }
    }
}
