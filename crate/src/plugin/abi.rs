//! The filter plugin ABI, version 1 (`docs/plugin-abi.md`): what a module must export, the
//! only imports it may have, and how parameter values are passed.

use super::manifest::{HaloRule, Param};
use crate::{Error, Result};
use std::collections::BTreeMap;

/// The ABI version this host speaks.
pub const ABI_VERSION: i32 = 1;
/// The only import namespace a plugin module may use.
pub const HOST_NAMESPACE: &str = "retouch";
/// The imports the host offers in [`HOST_NAMESPACE`].
pub const HOST_IMPORTS: [&str; 3] = ["log", "progress", "cancelled"];
/// The most memory any plugin may have, whatever its manifest asks for.
pub const HOST_MEMORY_CAP_MIB: u32 = 512;
/// The longest any plugin run may take, whatever its manifest asks for.
pub const HOST_TIME_CAP_MS: u32 = 60_000;

/// What the host learnt from a module before instantiating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// The declared maximum of the module's memory, in 64 KiB pages.
    pub max_memory_pages: u64,
}

/// The memory a 64 KiB-page count stands for, in MiB (rounded up).
pub fn pages_to_mib(pages: u64) -> u64 {
    (pages * 65536).div_ceil(1 << 20)
}

/// Checks `wasm` against the ABI without running it: a valid core module whose imports are all
/// host imports, which exports every ABI function with its signature, and whose one memory
/// declares a maximum within `memory_limit_mib`. Each refusal names the import, export or limit.
pub fn inspect_module(wasm: &[u8], memory_limit_mib: u32) -> Result<ModuleInfo> {
    use wasmparser::{ExternalKind, Payload, TypeRef, ValType};
    let invalid = |why: String| Error::param("module", why);
    let features = wasmparser::WasmFeatures::WASM1
        | wasmparser::WasmFeatures::BULK_MEMORY
        | wasmparser::WasmFeatures::SIGN_EXTENSION
        | wasmparser::WasmFeatures::MUTABLE_GLOBAL
        | wasmparser::WasmFeatures::SATURATING_FLOAT_TO_INT
        | wasmparser::WasmFeatures::MULTI_VALUE
        | wasmparser::WasmFeatures::SIMD;
    let mut validator = wasmparser::Validator::new_with_features(features);
    validator.validate_all(wasm).map_err(|e| {
        invalid(format!(
            "not a valid WebAssembly module for plugin ABI {ABI_VERSION}: {e} (the ABI \
                 allows the MVP plus bulk memory, sign extension, mutable globals, non-trapping \
                 float-to-int, multi-value and fixed-width SIMD)"
        ))
    })?;
    let mut types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let mut functions: Vec<u32> = Vec::new();
    let mut exports: BTreeMap<String, (ExternalKind, u32)> = BTreeMap::new();
    let mut memories = Vec::new();
    let mut imported_memory = false;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| invalid(e.to_string()))? {
            Payload::TypeSection(reader) => {
                for group in reader.into_iter_err_on_gc_types() {
                    let ty = group.map_err(|e| invalid(e.to_string()))?;
                    types.push((ty.params().to_vec(), ty.results().to_vec()));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(|e| invalid(e.to_string()))?;
                    let name = format!("{}.{}", import.module, import.name);
                    let allowed = import.module == HOST_NAMESPACE
                        && HOST_IMPORTS.contains(&import.name)
                        && matches!(import.ty, TypeRef::Func(_));
                    if !allowed {
                        return Err(invalid(format!(
                            "imports '{name}', which the host does not offer: a plugin may \
                             import only retouch.log, retouch.progress and retouch.cancelled \
                             (no WASI, network, storage or DOM)"
                        )));
                    }
                    if let TypeRef::Func(ty) = import.ty {
                        functions.push(ty);
                    }
                    imported_memory |= matches!(import.ty, TypeRef::Memory(_));
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    functions.push(ty.map_err(|e| invalid(e.to_string()))?);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    memories.push(memory.map_err(|e| invalid(e.to_string()))?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| invalid(e.to_string()))?;
                    exports.insert(export.name.to_string(), (export.kind, export.index));
                }
            }
            _ => {}
        }
    }
    debug_assert!(!imported_memory, "memory imports are refused above");
    let memory = match memories.as_slice() {
        [memory] if exports.get("memory") == Some(&(ExternalKind::Memory, 0)) => memory,
        _ => {
            return Err(invalid(
                "must define one memory and export it as 'memory'".into(),
            ))
        }
    };
    let limit_mib = memory_limit_mib.min(HOST_MEMORY_CAP_MIB);
    let max_pages = memory.maximum.ok_or_else(|| {
        invalid(format!(
            "its memory declares no maximum: declare one of at most {limit_mib} MiB (the \
             manifest's memory_limit_mb, capped by the host at {HOST_MEMORY_CAP_MIB}), e.g. \
             with the linker flag --max-memory"
        ))
    })?;
    if pages_to_mib(max_pages) > u64::from(limit_mib) {
        return Err(invalid(format!(
            "its memory may grow to {} MiB, above the limit of {limit_mib} MiB (the manifest's \
             memory_limit_mb, capped by the host at {HOST_MEMORY_CAP_MIB})",
            pages_to_mib(max_pages)
        )));
    }
    let i32s = |n: usize| vec![ValType::I32; n];
    let required = [
        ("retouch_abi_version", (vec![], i32s(1))),
        ("retouch_alloc", (i32s(1), i32s(1))),
        ("retouch_halo", (i32s(2), i32s(1))),
        ("retouch_filter", (i32s(13), i32s(1))),
    ];
    for (name, signature) in required {
        let function = match exports.get(name) {
            Some((ExternalKind::Func, index)) => *index,
            _ => return Err(invalid(format!("does not export the function '{name}'"))),
        };
        let ty = functions
            .get(function as usize)
            .and_then(|ty| types.get(*ty as usize));
        if ty != Some(&signature) {
            return Err(invalid(format!(
                "exports '{name}' with the wrong signature: it must take {:?} and return {:?} \
                 (docs/plugin-abi.md)",
                signature.0, signature.1
            )));
        }
    }
    Ok(ModuleInfo {
        max_memory_pages: max_pages,
    })
}

/// A value given for one parameter: a number, a boolean, an enum's value or a `#rrggbb` colour.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Number(f64),
    Boolean(bool),
    Text(String),
}

impl ParamValue {
    /// Reads a command-line value: `true`/`false`, a number, else text.
    pub fn parse(text: &str) -> ParamValue {
        match text {
            "true" => ParamValue::Boolean(true),
            "false" => ParamValue::Boolean(false),
            _ => text
                .parse::<f64>()
                .map(ParamValue::Number)
                .unwrap_or_else(|_| ParamValue::Text(text.to_string())),
        }
    }
}

/// Checks that every parameter is one a filter plugin can take (no strings).
pub fn check_filter_params(params: &[Param]) -> Result<()> {
    match params.iter().find(|p| matches!(p, Param::String { .. })) {
        Some(p) => Err(Error::param(
            p.id(),
            "a filter plugin cannot take a string parameter (docs/plugin-abi.md)",
        )),
        None => Ok(()),
    }
}

/// The parameter values in ABI encoding (little-endian f32s in manifest order), from the given
/// values (by id) with the manifest's defaults for the others. An unknown id, a value of the
/// wrong type or out of range is refused, naming the parameter.
pub fn encode_params(params: &[Param], given: &BTreeMap<String, ParamValue>) -> Result<Vec<f32>> {
    if let Some(unknown) = given
        .keys()
        .find(|id| !params.iter().any(|p| p.id() == *id))
    {
        let known: Vec<&str> = params.iter().map(Param::id).collect();
        return Err(Error::param(
            unknown.as_str(),
            format!(
                "this plugin has no such parameter (it has: {})",
                known.join(", ")
            ),
        ));
    }
    let mut values = Vec::new();
    for param in params {
        let value = given.get(param.id());
        let wrong = |what: &str| Error::param(param.id(), format!("must be {what}"));
        match param {
            Param::Number {
                min, max, default, ..
            } => {
                let v = match value {
                    None => *default,
                    Some(ParamValue::Number(v)) if (*min..=*max).contains(v) => *v,
                    Some(_) => return Err(wrong(&format!("a number between {min} and {max}"))),
                };
                values.push(v as f32);
            }
            Param::Boolean { default, .. } => {
                let v = match value {
                    None => *default,
                    Some(ParamValue::Boolean(v)) => *v,
                    Some(_) => return Err(wrong("true or false")),
                };
                values.push(if v { 1.0 } else { 0.0 });
            }
            Param::Enum {
                values: choices,
                default,
                ..
            } => {
                let chosen = match value {
                    None => default.as_str(),
                    Some(ParamValue::Text(v)) => v.as_str(),
                    Some(ParamValue::Number(_) | ParamValue::Boolean(_)) => "",
                };
                let index = choices
                    .iter()
                    .position(|c| c.value == chosen)
                    .ok_or_else(|| {
                        let names: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
                        wrong(&format!("one of: {}", names.join(", ")))
                    })?;
                values.push(index as f32);
            }
            Param::Color { default, .. } => {
                let text = match value {
                    None => default.as_str(),
                    Some(ParamValue::Text(v)) => v.as_str(),
                    Some(_) => "",
                };
                let rgb = parse_hex_color(text).ok_or_else(|| wrong("a colour '#rrggbb'"))?;
                values.extend(rgb.map(|c| f32::from(c) / 255.0));
            }
            Param::String { .. } => return Err(check_filter_params(params).unwrap_err()),
        }
    }
    Ok(values)
}

fn parse_hex_color(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The encoded values as the bytes a module reads.
pub fn params_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The halo a manifest's rule gives for these parameter values (manifest order, encoded).
pub fn rule_halo(rule: Option<&HaloRule>, params: &[Param], values: &[f32]) -> u32 {
    let Some(rule) = rule else { return 0 };
    let mut at = 0;
    let mut value = 0.0;
    for param in params {
        if Some(param.id()) == rule.param.as_deref() {
            value = f64::from(values[at]);
        }
        at += if matches!(param, Param::Color { .. }) {
            3
        } else {
            1
        };
    }
    let extra = (rule.per_unit * value).ceil().max(0.0);
    (f64::from(rule.base) + extra).min(f64::from(super::manifest::MAX_HALO)) as u32
}
