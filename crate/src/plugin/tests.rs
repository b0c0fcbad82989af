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

/// The manifests the core's tests share with the schema's (tests/manifest.test.mjs).
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/manifests");

fn read_fixture(name: &str) -> Value {
    let path = Path::new(FIXTURES).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A valid manifest that uses every kind of parameter, for the invalid cases to break one
/// field at a time.
fn valid() -> Value {
    read_fixture("valid.json")
}

/// The reference manifest with one case's `set` and `remove` (JSON pointers) applied.
fn broken(case: &Value) -> Value {
    let mut manifest = valid();
    let split = |pointer: &str| {
        let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
        (parent.to_owned(), key.to_owned())
    };
    for (pointer, value) in case["set"].as_object().into_iter().flatten() {
        let (parent, key) = split(pointer);
        match manifest.pointer_mut(&parent) {
            Some(Value::Object(object)) => {
                object.insert(key, value.clone());
            }
            Some(Value::Array(array)) => array[key.parse::<usize>().unwrap()] = value.clone(),
            _ => panic!("{pointer}: no such object or array"),
        }
    }
    for pointer in case["remove"].as_array().into_iter().flatten() {
        let (parent, key) = split(pointer.as_str().unwrap());
        let object = manifest.pointer_mut(&parent).and_then(Value::as_object_mut);
        object.expect("removing from an object").remove(&key);
    }
    manifest
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

/// Every case of tests/fixtures/manifests/invalid.json that names a field is refused there,
/// with its message, in pretty-printed and compact JSON alike.
#[test]
fn the_shared_invalid_manifests_are_rejected_at_their_field() {
    let cases = read_fixture("invalid.json")["cases"]
        .as_array()
        .unwrap()
        .clone();
    let mut checked = 0;
    for case in cases.iter().filter(|c| c.get("field").is_some()) {
        let what = case["what"].as_str().unwrap();
        let (field, message) = rejection(&broken(case));
        assert_eq!(
            field, case["field"],
            "{what}: wrong field; message: {message}"
        );
        let part = case["message"].as_str().unwrap();
        assert!(
            message.contains(part),
            "{what}: message {message:?} lacks {part:?}"
        );
        checked += 1;
    }
    // The inline cases these replaced made 30 checks; an emptied fixture must not pass.
    assert!(checked >= 30, "only {checked} cases name a field");
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

/// The resize manifest offers exactly the core's filters plus the AI
/// upscaler ("esrgan", its models the shipped networks), and its sharpness
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
            core.push("esrgan");
            names.sort_unstable();
            core.sort_unstable();
            assert_eq!(names, core);
        }
        other => panic!("filter is not an enum: {other:?}"),
    }
    match param("model") {
        Param::Enum { values, .. } => {
            let names: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
            assert_eq!(names, crate::ops::esrgan::MODELS);
        }
        other => panic!("model is not an enum: {other:?}"),
    }
    match param("sharpness") {
        Param::Number { default, .. } => assert_eq!(*default as f32, DEFAULT_SHARPNESS),
        other => panic!("sharpness is not a number: {other:?}"),
    }
}
