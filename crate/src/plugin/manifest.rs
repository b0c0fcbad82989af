//! Manifest types and the rules a manifest must follow.
//!
//! serde checks the shape: unknown fields are rejected so that a typo fails loudly instead of
//! being ignored. [`Manifest::validate`] checks what serde cannot: formats, ranges and
//! uniqueness. Field names are those of the JSON and absent optional fields are skipped rather
//! than written as `null`, so a serialized manifest (in JSON, or handed to JS through
//! serde-wasm-bindgen) is a valid manifest again.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::Capabilities;
use crate::error::{Error, Result};

/// One plugin's manifest, as written in `plugin-manifest/plugins/*.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Reverse-DNS-like lowercase id, e.g. `retouch.composite`; unique in a registry.
    pub id: String,
    /// Name shown to the user.
    pub name: String,
    /// Semantic version of the plugin.
    pub version: String,
    /// What kind of operation this is; decides where the UI offers it.
    pub kind: Kind,
    /// One or two sentences shown to the user.
    pub description: String,
    /// Who made the plugin, shown before it is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The plugin's icon in its bundle (a PNG or SVG file), shown in the plugin manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// A README in its bundle (Markdown or plain text), shown as text in the plugin manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readme: Option<String>,
    /// What runs the operation.
    pub entry: Entry,
    /// Parameters, in the order the UI shows their controls.
    #[serde(default)]
    pub params: Vec<Param>,
    /// Images, masks or regions the operation reads.
    pub inputs: Vec<Port>,
    /// What the operation produces; at least one.
    pub outputs: Vec<Port>,
    /// What the plugin may reach; nothing when absent.
    #[serde(default)]
    pub permissions: Permissions,
    /// What an AI provider can do; present exactly when `kind` is `provider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// How many pixels around each output pixel a WGSL filter reads (a wasm module says so
    /// itself through `retouch_halo`); no halo when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halo: Option<HaloRule>,
    /// The SHA-256 (lowercase hex) of every other file of a plugin bundle, by path; a bundle
    /// whose files differ is refused.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
}

/// A halo that depends on one parameter: `base + ceil(per_unit × value)` pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaloRule {
    #[serde(default)]
    pub base: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default)]
    pub per_unit: f64,
}

/// The kind of operation a plugin performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Filter,
    Composite,
    Mask,
    Resample,
    Fill,
    /// Geometry of a layer or the canvas: crop, free transform.
    Transform,
    /// Paints on a layer's pixels along a stroke (brush, eraser, clone stamp).
    Paint,
    Provider,
}

/// What runs an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Entry {
    /// A kernel compiled into the core, named like `blend.composite`.
    Builtin { kernel: String },
    /// A sandboxed WebAssembly module (path relative to the plugin's folder), run with these
    /// limits so that a broken plugin yields an error instead of hanging or exhausting memory.
    Wasm {
        module: String,
        memory_limit_mb: u32,
        time_limit_ms: u32,
        /// A WGSL compute shader doing the same on the GPU (a filter's GPU path).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shader: Option<String>,
    },
    /// A WGSL compute shader filter (GPU only), stopped after `time_limit_ms`.
    Wgsl { shader: String, time_limit_ms: u32 },
    /// A JS provider module in the bridge that only does HTTP.
    Bridge { module: String },
}

/// A typed parameter; the UI builds one control per parameter from it.
///
/// Each variant repeats `id` and `label` instead of flattening them into a struct: serde's
/// `flatten` disables `deny_unknown_fields` and serializes as a map, which serde-wasm-bindgen
/// turns into a JS `Map` rather than a plain object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Param {
    /// A slider or number field.
    Number {
        id: String,
        label: String,
        min: f64,
        max: f64,
        step: f64,
        default: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    /// A choice among fixed values, shown in order.
    Enum {
        id: String,
        label: String,
        values: Vec<EnumValue>,
        default: String,
    },
    /// A checkbox.
    Boolean {
        id: String,
        label: String,
        default: bool,
    },
    /// An sRGB colour, `#rrggbb`.
    Color {
        id: String,
        label: String,
        default: String,
    },
    /// Free text, e.g. a prompt.
    String {
        id: String,
        label: String,
        default: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
}

impl Param {
    /// The parameter's id, unique within its manifest.
    pub fn id(&self) -> &str {
        match self {
            Param::Number { id, .. }
            | Param::Enum { id, .. }
            | Param::Boolean { id, .. }
            | Param::Color { id, .. }
            | Param::String { id, .. } => id,
        }
    }

    /// The label shown next to the parameter's control.
    pub fn label(&self) -> &str {
        match self {
            Param::Number { label, .. }
            | Param::Enum { label, .. }
            | Param::Boolean { label, .. }
            | Param::Color { label, .. }
            | Param::String { label, .. } => label,
        }
    }
}

/// One choice of an enum parameter: the value the kernel receives and the label the user sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: String,
    pub label: String,
}

/// An input or output of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// Unique among the manifest's inputs (or among its outputs).
    pub id: String,
    /// Serialized as `type`, the name used in the JSON.
    #[serde(rename = "type")]
    pub kind: PortType,
    /// Whether the operation runs without this input.
    #[serde(default)]
    pub optional: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What flows through a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortType {
    Image,
    Mask,
    Region,
}

/// What a plugin may reach beyond its inputs. The default grants nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Host names the plugin may send requests to.
    #[serde(default)]
    pub network: Vec<String>,
}

/// The largest memory a wasm32 module can address.
const MAX_WASM_MEMORY_MB: u32 = 4096;

/// A rule a manifest breaks: the JSON path of the field and what is wrong with it.
type Problem = (String, String);

impl Manifest {
    /// Parses and validates one manifest. Errors name the offending field as a JSON path
    /// (`params[1].default`); parse errors also keep serde's line and column.
    pub fn from_json(json: &str) -> Result<Self> {
        let manifest: Manifest =
            serde_json::from_str(json).map_err(|err| parse_error(json, &err))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks the rules serde cannot express. Public so that a manifest built another way
    /// (e.g. deserialized from a JS object) goes through the same checks.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|(field, message)| Error::Manifest {
            plugin: self.id.clone(),
            field,
            message,
        })
    }

    fn check(&self) -> Result<(), Problem> {
        if !is_plugin_id(&self.id) {
            return Err(problem(
                "id",
                format!(
                    "'{}' is not a plugin id: use lowercase dot-separated segments such as \
                     'retouch.composite'",
                    self.id
                ),
            ));
        }
        if self.name.is_empty() {
            return Err(problem("name", "must not be empty"));
        }
        let named_with =
            |field: &'static str, path: &Option<String>, extensions: &[&str]| match path {
                Some(path) if !extensions.iter().any(|e| path.ends_with(e)) => Err(problem(
                    field,
                    format!("'{path}' must end with {}", extensions.join(" or ")),
                )),
                _ => Ok(()),
            };
        named_with("icon", &self.icon, &[".png", ".svg"])?;
        named_with("readme", &self.readme, &[".md", ".txt"])?;
        if !is_semver(&self.version) {
            return Err(problem(
                "version",
                format!(
                    "'{}' is not a semantic version such as '1.2.0'",
                    self.version
                ),
            ));
        }
        check_entry(&self.entry)?;
        check_params(&self.params)?;
        if let Some(halo) = &self.halo {
            check_halo(halo, &self.params)?;
        }
        for (path, digest) in &self.files {
            check_module_path(&format!("files.{path}"), path, "")?;
            if digest.len() != 64
                || !digest
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return Err(problem(
                    format!("files.{path}"),
                    format!("'{digest}' is not a SHA-256 in lowercase hex (64 digits)"),
                ));
            }
        }
        check_ports("inputs", &self.inputs)?;
        check_ports("outputs", &self.outputs)?;
        if self.outputs.is_empty() {
            return Err(problem(
                "outputs",
                "a plugin must produce at least one output",
            ));
        }
        for (i, host) in self.permissions.network.iter().enumerate() {
            if !is_hostname(host) {
                return Err(problem(
                    format!("permissions.network[{i}]"),
                    format!("'{host}' is not a lowercase host name such as 'api.example.com'"),
                ));
            }
        }
        match (&self.capabilities, self.kind) {
            (None, Kind::Provider) => {
                return Err(problem(
                    "capabilities",
                    "a provider must declare its capabilities",
                ))
            }
            (Some(_), kind) if kind != Kind::Provider => {
                return Err(problem(
                    "capabilities",
                    "only a provider declares capabilities",
                ))
            }
            (Some(capabilities), _) => capabilities.check()?,
            (None, _) => {}
        }
        Ok(())
    }
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    (field.into(), message.into())
}

fn check_entry(entry: &Entry) -> Result<(), Problem> {
    match entry {
        Entry::Builtin { kernel } if kernel.is_empty() => {
            Err(problem("entry.kernel", "must name a built-in kernel"))
        }
        Entry::Builtin { .. } => Ok(()),
        Entry::Wasm {
            module,
            memory_limit_mb,
            time_limit_ms,
            shader,
        } => {
            check_module_path("entry.module", module, ".wasm")?;
            if let Some(shader) = shader {
                check_module_path("entry.shader", shader, ".wgsl")?;
            }
            if !(1..=MAX_WASM_MEMORY_MB).contains(memory_limit_mb) {
                return Err(problem(
                    "entry.memory_limit_mb",
                    format!("{memory_limit_mb} is not between 1 and {MAX_WASM_MEMORY_MB}"),
                ));
            }
            if *time_limit_ms == 0 {
                return Err(problem("entry.time_limit_ms", "must be at least 1"));
            }
            Ok(())
        }
        Entry::Wgsl {
            shader,
            time_limit_ms,
        } => {
            check_module_path("entry.shader", shader, ".wgsl")?;
            if *time_limit_ms == 0 {
                return Err(problem("entry.time_limit_ms", "must be at least 1"));
            }
            Ok(())
        }
        Entry::Bridge { module } => check_module_path("entry.module", module, ".js"),
    }
}

/// Module paths are resolved inside the plugin's folder, so they must be relative and must not
/// climb out of it.
fn check_module_path(field: &str, path: &str, extension: &str) -> Result<(), Problem> {
    let segments_ok = path.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    });
    let file = path.rsplit('/').next().unwrap_or(path);
    if !file.ends_with(extension) || file.len() == extension.len() {
        return Err(problem(
            field,
            format!("'{path}' must be a file ending in '{extension}'"),
        ));
    }
    if !segments_ok {
        return Err(problem(
            field,
            format!(
                "'{path}' must be a relative path inside the plugin's folder ('/'-separated \
                 letters, digits, '_', '-', '.'; no '.' or '..' segments)"
            ),
        ));
    }
    Ok(())
}

/// The most halo a filter may ask for: a 512² tile then reads at most 2560² pixels.
pub const MAX_HALO: u32 = 1024;

fn check_halo(halo: &HaloRule, params: &[Param]) -> Result<(), Problem> {
    if halo.base > MAX_HALO {
        return Err(problem(
            "halo.base",
            format!("{} is above {MAX_HALO}", halo.base),
        ));
    }
    if !halo.per_unit.is_finite() || halo.per_unit < 0.0 {
        return Err(problem("halo.per_unit", "must be a finite number ≥ 0"));
    }
    if let Some(id) = &halo.param {
        if !params
            .iter()
            .any(|p| p.id() == id && matches!(p, Param::Number { .. }))
        {
            return Err(problem(
                "halo.param",
                format!("'{id}' is not a number parameter of this plugin"),
            ));
        }
    }
    Ok(())
}

fn check_params(params: &[Param]) -> Result<(), Problem> {
    let mut seen = HashMap::new();
    for (i, param) in params.iter().enumerate() {
        let at = |field: &str| format!("params[{i}].{field}");
        if !is_local_id(param.id()) {
            return Err(problem(at("id"), local_id_message(param.id())));
        }
        if let Some(first) = seen.insert(param.id(), i) {
            return Err(problem(
                at("id"),
                format!(
                    "duplicate parameter id '{}' (also params[{first}])",
                    param.id()
                ),
            ));
        }
        if param.label().is_empty() {
            return Err(problem(at("label"), "must not be empty"));
        }
        match param {
            Param::Number {
                min,
                max,
                step,
                default,
                ..
            } => {
                for (name, value) in [
                    ("min", min),
                    ("max", max),
                    ("step", step),
                    ("default", default),
                ] {
                    if !value.is_finite() {
                        return Err(problem(at(name), "must be a finite number"));
                    }
                }
                if *step <= 0.0 {
                    return Err(problem(
                        at("step"),
                        format!("{step} must be greater than 0"),
                    ));
                }
                if min > max {
                    return Err(problem(at("max"), format!("max {max} is below min {min}")));
                }
                if default < min || default > max {
                    return Err(problem(
                        at("default"),
                        format!("{default} is outside [{min}, {max}]"),
                    ));
                }
            }
            Param::Enum {
                values, default, ..
            } => {
                if values.is_empty() {
                    return Err(problem(at("values"), "must offer at least one value"));
                }
                let mut seen_values = HashMap::new();
                for (k, choice) in values.iter().enumerate() {
                    if choice.value.is_empty() {
                        return Err(problem(
                            at(&format!("values[{k}].value")),
                            "must not be empty",
                        ));
                    }
                    if choice.label.is_empty() {
                        return Err(problem(
                            at(&format!("values[{k}].label")),
                            "must not be empty",
                        ));
                    }
                    if let Some(first) = seen_values.insert(choice.value.as_str(), k) {
                        return Err(problem(
                            at(&format!("values[{k}].value")),
                            format!("duplicate value '{}' (also values[{first}])", choice.value),
                        ));
                    }
                }
                if !seen_values.contains_key(default.as_str()) {
                    return Err(problem(
                        at("default"),
                        format!("'{default}' is not one of the values"),
                    ));
                }
            }
            Param::Boolean { .. } => {}
            Param::Color { default, .. } => {
                if !is_hex_color(default) {
                    return Err(problem(
                        at("default"),
                        format!("'{default}' is not a colour of the form '#rrggbb'"),
                    ));
                }
            }
            Param::String {
                default,
                max_length,
                ..
            } => {
                if let Some(max_length) = *max_length {
                    if max_length == 0 {
                        return Err(problem(at("max_length"), "must be at least 1"));
                    }
                    let length = default.chars().count();
                    if length > max_length as usize {
                        return Err(problem(
                            at("default"),
                            format!("is {length} characters long, above max_length {max_length}"),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_ports(list: &str, ports: &[Port]) -> Result<(), Problem> {
    let mut seen = HashMap::new();
    for (i, port) in ports.iter().enumerate() {
        if !is_local_id(&port.id) {
            return Err(problem(
                format!("{list}[{i}].id"),
                local_id_message(&port.id),
            ));
        }
        if let Some(first) = seen.insert(port.id.as_str(), i) {
            return Err(problem(
                format!("{list}[{i}].id"),
                format!("duplicate id '{}' (also {list}[{first}])", port.id),
            ));
        }
        if port.label.as_deref() == Some("") {
            return Err(problem(format!("{list}[{i}].label"), "must not be empty"));
        }
    }
    Ok(())
}

/// `retouch.composite`: at least two dot-separated segments, each a lowercase letter followed
/// by letters and digits, with single `-` or `_` between them.
fn is_plugin_id(id: &str) -> bool {
    let segment_ok = |segment: &str| {
        segment.starts_with(|c: char| c.is_ascii_lowercase())
            && segment.split(['-', '_']).all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    id.len() <= 128 && id.split('.').count() >= 2 && id.split('.').all(segment_ok)
}

/// Parameter and port ids are snake_case, so they can serve as keys in any language.
fn is_local_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn local_id_message(id: &str) -> String {
    format!(
        "'{id}' is not a snake_case id (a lowercase letter, then lowercase letters, digits, '_')"
    )
}

/// Semantic Versioning 2.0.0: `MAJOR.MINOR.PATCH[-pre.release][+build.meta]`.
fn is_semver(version: &str) -> bool {
    let numeric = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let alphanumeric =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    core.split('.').count() == 3
        && core.split('.').all(numeric)
        && pre.is_none_or(|pre| {
            pre.split('.').all(|id| {
                alphanumeric(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id))
            })
        })
        && build.is_none_or(|build| build.split('.').all(alphanumeric))
}

/// A lowercase DNS name with at least two labels whose last label starts with a letter, so
/// that bare IP addresses and single-label names are refused.
fn is_hostname(host: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let top_level_ok = host
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_lowercase()));
    host.len() <= 253
        && host.split('.').count() >= 2
        && host.split('.').all(label_ok)
        && top_level_ok
}

fn is_hex_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Turns a serde error into [`Error::Manifest`]. serde_json reports a line and column but not a
/// path, so the path is recovered from the position; for unknown and missing fields the field's
/// name is appended when the position is that of the enclosing object.
fn parse_error(json: &str, err: &serde_json::Error) -> Error {
    let plugin = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|value| value.get("id")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "<unknown>".to_owned());
    let message = err.to_string();
    let mut field = path_at(json, err.line(), err.column());
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix)?.split('`').next());
    if let Some(name) = named {
        if field != name && !field.ends_with(&format!(".{name}")) {
            field = if field.is_empty() {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
        }
    }
    if field.is_empty() {
        field = "$".to_owned();
    }
    Error::Manifest {
        plugin,
        field,
        message,
    }
}

/// The JSON path of the value being read after `column` bytes of line `line` (serde_json's
/// 1-based position), e.g. `params[1].default`; empty at the top level. serde reports an error
/// inside an internally tagged value (an entry, a param) only after the array holding it has read
/// on to its next `,` or its `]`, so a position there points into the element just finished.
fn path_at(json: &str, line: usize, column: usize) -> String {
    enum Frame {
        Object {
            key: Option<String>,
            expecting_key: bool,
        },
        /// `begun` counts the elements started so far; the last one is the current element.
        Array {
            begun: usize,
            expecting_element: bool,
        },
    }
    let line_start = match line {
        0 | 1 => 0,
        _ => json
            .match_indices('\n')
            .nth(line - 2)
            .map_or(json.len(), |(i, _)| i + 1),
    };
    let bytes = &json.as_bytes()[..(line_start + column).min(json.len())];
    let mut stack: Vec<Frame> = Vec::new();
    let mut closed_array_element = None;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        i += 1;
        if byte.is_ascii_whitespace() {
            continue;
        }
        closed_array_element = None;
        if let Some(Frame::Array {
            begun,
            expecting_element,
        }) = stack.last_mut()
        {
            if *expecting_element && byte != b']' {
                *begun += 1;
                *expecting_element = false;
            }
        }
        match byte {
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array {
                begun: 0,
                expecting_element: true,
            }),
            b'}' => {
                stack.pop();
            }
            b']' => {
                if let Some(Frame::Array { begun, .. }) = stack.pop() {
                    closed_array_element = begun.checked_sub(1);
                }
            }
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array {
                    expecting_element, ..
                }) => *expecting_element = true,
                None => {}
            },
            b'"' => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let text = &bytes[start..i.min(bytes.len())];
                i += 1;
                if let Some(Frame::Object {
                    key,
                    expecting_key: true,
                }) = stack.last_mut()
                {
                    *key = Some(String::from_utf8_lossy(text).into_owned());
                }
            }
            _ => {}
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array { begun, .. } if *begun > 0 => {
                path.push_str(&format!("[{}]", begun - 1));
            }
            _ => {}
        }
    }
    if let Some(index) = closed_array_element {
        path.push_str(&format!("[{index}]"));
    }
    path
}
