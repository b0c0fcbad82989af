//! Plugin manifests and the registry of known plugins.
//!
//! Every operation is described by a JSON manifest in `plugin-manifest/plugins/`: what runs it,
//! the controls the UI builds for it, its inputs and outputs and what it may reach. The same
//! rules are written as a JSON Schema (`plugin-manifest/schema.json`) for plugin authors and
//! for an independent check in the Node tests; [`Manifest::from_json`] enforces them here, so a
//! broken manifest is rejected with the JSON path of the offending field before anything runs.

mod capabilities;
mod manifest;
mod registry;
#[cfg(test)]
mod tests;

pub use capabilities::{
    parse_aspect_ratio, Capabilities, FlexibleSize, MaskConvention, Operation, OutputSize,
};
pub use manifest::{Entry, EnumValue, Kind, Manifest, Param, Permissions, Port, PortType};
pub use registry::Registry;
