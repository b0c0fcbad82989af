//! Plugin manifests and the registry of known plugins.
//!
//! Every operation is described by a JSON manifest in `plugin-manifest/plugins/`: what runs it,
//! the controls the UI builds for it, its inputs and outputs and what it may reach. The same
//! rules are written as a JSON Schema (`plugin-manifest/schema.json`) for plugin authors and
//! for an independent check in the Node tests; [`Manifest::from_json`] enforces them here, so a
//! broken manifest is rejected with the JSON path of the offending field before anything runs.

//!
//! Third-party filters (`docs/plugin-abi.md`) arrive as `.retouchplugin` bundles ([`bundle`]),
//! checked against the ABI ([`abi`]) and run tile by tile ([`filter_host`]) through
//! [`instance`], which drives the ABI over any WebAssembly engine: natively a wasmtime sandbox
//! with a clock and memory limits ([`sandbox`]), in the browser the page's own engine in a Worker
//! (`crate::wasm::plugin`); WGSL runs on the engine's GPU.

pub mod abi;
pub mod bundle;
mod capabilities;
pub mod filter_host;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod host_tests;
pub mod instance;
mod manifest;
mod registry;
#[cfg(not(target_arch = "wasm32"))]
mod sandbox;
#[cfg(test)]
mod tests;

pub use capabilities::{
    parse_aspect_ratio, Capabilities, FlexibleSize, MaskConvention, Operation, OutputSize,
};
pub use manifest::{
    Entry, EnumValue, HaloRule, Kind, Manifest, Param, Permissions, Port, PortType, MAX_HALO,
};
pub use registry::Registry;
