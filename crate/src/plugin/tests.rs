use std::path::Path;

use serde_json::{json, Value};

use super::*;
use crate::error::Error;

const MODES: [&str; 27] = [
    "normal",
    "dissolve",
    "darken",
    "multiply",
    "color-burn",
    "linear-burn",
    "darker-color",
    "lighten",
    "screen",
    "color-dodge",
    "linear-dodge",
    "lighter-color",
    "overlay",
    "soft-light",
    "hard-light",
    "vivid-light",
    "linear-light",
    "pin-light",
    "hard-mix",
    "difference",
    "exclusion",
    "subtract",
    "divide",
    "hue",
    "saturation",
    "color",
    "luminosity",
];

/// A valid manifest that uses every kind of parameter, for the invalid cases to break one
/// field at a time.
fn valid() -> Value {
    json!({
        "id": "example.tone-curve",
        "name": "Tone curve",
        "version": "1.2.0-beta.1+build.7",
        "kind": "filter",
        "description": "Test plugin.",
        "entry": { "type": "wasm", "module": "bin/tone.wasm", "memory_limit_mb": 64, "time_limit_ms": 2000 },
        "params": [
            { "id": "mode", "label": "Mode", "type": "enum",
              "values": [{ "value": "soft", "label": "Soft" }, { "value": "hard", "label": "Hard" }],
              "default": "soft" },
            { "id": "amount", "label": "Amount", "type": "number",
              "min": 0, "max": 100, "step": 1, "default": 50, "unit": "%" },
            { "id": "preserve", "label": "Preserve luminosity", "type": "boolean", "default": true },
            { "id": "tint", "label": "Tint", "type": "color", "default": "#ff8800" },
            { "id": "note", "label": "Note", "type": "string", "default": "", "max_length": 80 }
        ],
        "inputs": [{ "id": "image", "type": "image" }, { "id": "mask", "type": "mask", "optional": true }],
        "outputs": [{ "id": "result", "type": "image", "label": "Result" }],
        "permissions": { "network": ["api.example.com", "cdn-1.example.co.uk"] }
    })
}

/// Parses `manifest` pretty-printed and on one line, which must fail on the same field (the
/// path of a parse error is recovered from its position), and returns the field and the
/// pretty-printed message.
fn rejection(manifest: &Value) -> (String, String) {
    let parse = |json: String| match Manifest::from_json(&json) {
        Err(Error::Manifest { field, message, .. }) => (field, message),
        other => panic!("expected a manifest error, got {other:?}"),
    };
    let (field, message) = parse(serde_json::to_string_pretty(manifest).unwrap());
    let (compact_field, _) = parse(manifest.to_string());
    assert_eq!(
        field, compact_field,
        "pretty and compact JSON disagree: {message}"
    );
    (field, message)
}

fn assert_rejected(manifest: &Value, expected_field: &str, message_part: &str) {
    let (field, message) = rejection(manifest);
    assert_eq!(field, expected_field, "wrong field; message: {message}");
    assert!(
        message.contains(message_part),
        "message {message:?} lacks {message_part:?}"
    );
}

#[test]
fn builtin_registry_loads() {
    let registry = Registry::builtin().unwrap();
    let composite = registry
        .get("retouch.composite")
        .expect("composite is built in");
    assert_eq!(composite.kind, Kind::Composite);
    assert_eq!(
        composite.entry,
        Entry::Builtin {
            kernel: "blend.composite".into()
        }
    );
    assert!(composite.permissions.network.is_empty());
    assert!(registry.get("retouch.missing").is_none());
}

#[test]
fn every_manifest_file_is_built_in() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-manifest/plugins");
    let registry = Registry::builtin().unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let manifest = Manifest::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(
                registry.get(&manifest.id),
                Some(&manifest),
                "{} is not listed",
                path.display()
            );
            files += 1;
        }
    }
    assert_eq!(registry.manifests().len(), files);
}

#[test]
fn composite_manifest_lists_the_27_modes_in_order() {
    let registry = Registry::builtin().unwrap();
    let composite = registry.get("retouch.composite").unwrap();
    let ids: Vec<&str> = composite.params.iter().map(Param::id).collect();
    assert_eq!(ids, ["mode", "opacity", "linear_light"]);
    match &composite.params[0] {
        Param::Enum {
            values, default, ..
        } => {
            let modes: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
            assert_eq!(modes, MODES);
            assert_eq!(default, "normal");
            assert_eq!(values[4].label, "Color Burn");
        }
        other => panic!("mode is not an enum: {other:?}"),
    }
    match &composite.params[1] {
        Param::Number {
            min,
            max,
            step,
            default,
            ..
        } => {
            assert_eq!((*min, *max, *step, *default), (0.0, 1.0, 0.01, 1.0));
        }
        other => panic!("opacity is not a number: {other:?}"),
    }
    assert_eq!(
        composite.params[2],
        Param::Boolean {
            id: "linear_light".into(),
            label: "Blend in linear light".into(),
            default: false
        }
    );
    let inputs: Vec<(&str, PortType, bool)> = composite
        .inputs
        .iter()
        .map(|p| (p.id.as_str(), p.kind, p.optional))
        .collect();
    assert_eq!(
        inputs,
        [
            ("backdrop", PortType::Image, false),
            ("layer", PortType::Image, false),
            ("mask", PortType::Mask, true)
        ]
    );
    assert_eq!(composite.outputs.len(), 1);
    assert_eq!(composite.outputs[0].kind, PortType::Image);
}

#[test]
fn valid_manifest_round_trips_through_serialize() {
    let manifest = Manifest::from_json(&valid().to_string()).unwrap();
    let json = serde_json::to_string(&manifest).unwrap();
    assert_eq!(Manifest::from_json(&json).unwrap(), manifest);
    // Optional fields that are absent stay absent instead of becoming `null`.
    let value: Value = serde_json::from_str(&json).unwrap();
    assert!(value["inputs"][0].get("label").is_none());
    assert_eq!(value["params"][0]["type"], "enum");
}

#[test]
fn unknown_field_is_rejected_with_its_position() {
    let mut manifest = valid();
    manifest["colour"] = json!("red");
    let (field, message) = rejection(&manifest);
    assert_eq!(field, "colour");
    assert!(message.contains("unknown field `colour`"), "{message}");
    assert!(
        message.contains("line ") && message.contains(" column "),
        "{message}"
    );
}

#[test]
fn unknown_field_inside_a_param_names_the_param() {
    let mut manifest = valid();
    manifest["params"][1]["maximum"] = json!(10);
    assert_rejected(&manifest, "params[1].maximum", "unknown field `maximum`");
    let mut manifest = valid();
    manifest["params"][4]["maxlength"] = json!(10);
    assert_rejected(
        &manifest,
        "params[4].maxlength",
        "unknown field `maxlength`",
    );
    let mut manifest = valid();
    manifest["params"][0]["type"] = json!("choice");
    assert_rejected(&manifest, "params[0].type", "unknown variant `choice`");
    let mut manifest = valid();
    manifest["inputs"][0]["optional"] = json!("yes");
    assert_rejected(&manifest, "inputs[0].optional", "expected a boolean");
}

#[test]
fn missing_id_is_rejected() {
    let mut manifest = valid();
    manifest.as_object_mut().unwrap().remove("id");
    assert_rejected(&manifest, "id", "missing field `id`");
}

#[test]
fn number_default_above_max_is_rejected() {
    let mut manifest = valid();
    manifest["params"][1]["default"] = json!(101);
    assert_rejected(&manifest, "params[1].default", "outside [0, 100]");
}

#[test]
fn number_step_must_be_positive() {
    let mut manifest = valid();
    manifest["params"][1]["step"] = json!(0);
    assert_rejected(&manifest, "params[1].step", "greater than 0");
}

#[test]
fn enum_default_must_be_a_value() {
    let mut manifest = valid();
    manifest["params"][0]["default"] = json!("medium");
    assert_rejected(
        &manifest,
        "params[0].default",
        "'medium' is not one of the values",
    );
}

#[test]
fn enum_values_must_be_unique() {
    let mut manifest = valid();
    manifest["params"][0]["values"][1]["value"] = json!("soft");
    assert_rejected(
        &manifest,
        "params[0].values[1].value",
        "duplicate value 'soft'",
    );
}

#[test]
fn duplicate_param_id_is_rejected() {
    let mut manifest = valid();
    manifest["params"][2]["id"] = json!("amount");
    assert_rejected(
        &manifest,
        "params[2].id",
        "duplicate parameter id 'amount' (also params[1])",
    );
}

#[test]
fn color_default_must_be_hex() {
    let mut manifest = valid();
    manifest["params"][3]["default"] = json!("orange");
    assert_rejected(&manifest, "params[3].default", "#rrggbb");
}

#[test]
fn bad_version_is_rejected() {
    for version in ["1.0", "01.2.3", "1.2.3-", "1.2.3-01", "v1.2.3"] {
        let mut manifest = valid();
        manifest["version"] = json!(version);
        assert_rejected(&manifest, "version", "not a semantic version");
    }
}

#[test]
fn bad_plugin_id_is_rejected() {
    for id in [
        "composite",
        "Retouch.composite",
        "retouch..composite",
        "retouch.-x",
        "1x.y",
    ] {
        let mut manifest = valid();
        manifest["id"] = json!(id);
        assert_rejected(&manifest, "id", "not a plugin id");
    }
}

#[test]
fn bad_domain_is_rejected() {
    for host in [
        "https://api.example.com",
        "localhost",
        "10.0.0.1",
        "-x.example.com",
        "API.example.com",
    ] {
        let mut manifest = valid();
        manifest["permissions"]["network"][1] = json!(host);
        assert_rejected(
            &manifest,
            "permissions.network[1]",
            "not a lowercase host name",
        );
    }
}

#[test]
fn wasm_entry_needs_a_wasm_module() {
    let mut manifest = valid();
    manifest["entry"]["module"] = json!("bin/tone.js");
    assert_rejected(&manifest, "entry.module", "ending in '.wasm'");
    manifest["entry"]["module"] = json!("../outside/tone.wasm");
    assert_rejected(
        &manifest,
        "entry.module",
        "relative path inside the plugin's folder",
    );
}

#[test]
fn bridge_entry_needs_a_js_module() {
    let mut manifest = valid();
    manifest["entry"] = json!({ "type": "bridge", "module": "openai.wasm" });
    assert_rejected(&manifest, "entry.module", "ending in '.js'");
}

#[test]
fn wasm_entry_without_limits_is_rejected() {
    let mut manifest = valid();
    manifest["entry"]
        .as_object_mut()
        .unwrap()
        .remove("time_limit_ms");
    assert_rejected(
        &manifest,
        "entry.time_limit_ms",
        "missing field `time_limit_ms`",
    );
}

#[test]
fn registry_rejects_duplicate_ids() {
    let json = valid().to_string();
    let err = Registry::from_json_strs([json.as_str(), json.as_str()]).unwrap_err();
    assert!(
        matches!(&err, Error::Manifest { plugin, field, .. }
        if plugin == "example.tone-curve" && field == "id"),
        "{err}"
    );
}

#[test]
fn error_message_names_plugin_and_field() {
    let mut manifest = valid();
    manifest["params"][1]["default"] = json!(-1);
    let err = Manifest::from_json(&manifest.to_string()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid plugin manifest 'example.tone-curve': field 'params[1].default': \
         -1 is outside [0, 100]"
    );
}

/// The resize manifest offers exactly the core's filters, and its sharpness
/// starts where the core's does (the page's controls come from it).
#[test]
fn resize_manifest_matches_the_resampler() {
    use crate::ops::resample::{Filter, DEFAULT_SHARPNESS};
    let registry = Registry::builtin().unwrap();
    let resize = registry.get("retouch.resize").unwrap();
    let param = |id: &str| resize.params.iter().find(|p| p.id() == id).unwrap();
    match param("filter") {
        Param::Enum { values, .. } => {
            let mut names: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
            let mut core: Vec<&str> = Filter::ALL.iter().map(|f| f.name()).collect();
            names.sort_unstable();
            core.sort_unstable();
            assert_eq!(names, core);
        }
        other => panic!("filter is not an enum: {other:?}"),
    }
    match param("sharpness") {
        Param::Number { default, .. } => assert_eq!(*default as f32, DEFAULT_SHARPNESS),
        other => panic!("sharpness is not a number: {other:?}"),
    }
}
