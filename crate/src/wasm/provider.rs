//! The provider workflow for JS: plan a job (a fill of the selection, or an outpaint of new
//! canvas area; the bridge sends what the plan says), ingest the answer into a layer, and draw the offline mock's answers. Marshalling only; the logic is in
//! `crate::provider`.

use super::{js_error, Image, Mask};
use crate::plugin::{Capabilities, Registry};
use crate::provider::{
    self, IngestOptions, Ingested, JobPlan, JobRequest, OutpaintRequest, PlannedJob,
};
use crate::Error;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

fn serde_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Serialises with plain objects (not `Map`s) for nested structs.
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(serde_error)
}

fn set(target: &Object, key: &str, value: JsValue) -> Result<(), JsError> {
    Reflect::set(target, &key.into(), &value)
        .map(|_| ())
        .map_err(|_| JsError::new(&format!("cannot set '{key}'")))
}

/// Plans an edit of `image` inside `selection` for the provider plugin `providerId`.
/// `request`: `{prompt, model?, operation?, brandKit?: {style, palette}, margin?, feather?,
/// variants?, seed?, referenceImages?}`. Resolves to `{plan, imagePng, maskPng, width,
/// height}`: send `imagePng` (and `maskPng`, null for mask-less providers) with the plan's
/// `prompt`, `model`, `size` / `aspectRatio`; keep `plan` for `ingestProviderResult`.
#[wasm_bindgen(js_name = planProviderJob)]
pub fn plan_provider_job(
    provider_id: &str,
    image: &Image,
    selection: &Mask,
    request: JsValue,
) -> Result<JsValue, JsError> {
    let registry = Registry::builtin().map_err(js_error)?;
    let capabilities = capabilities_of(&registry, provider_id)?;
    let request: JobRequest = serde_wasm_bindgen::from_value(request).map_err(serde_error)?;
    let job = provider::plan_edit(
        provider_id,
        capabilities,
        &image.inner,
        &selection.inner,
        &request,
    )
    .map_err(js_error)?;
    planned_to_js(job)
}

/// Plans extending the canvas of `image` (the current composite) for `providerId`. `request`:
/// `{prompt?, model?, left?, top?, right?, bottom?, margin?, overlap?, variants?, seed?,
/// brandKit?, referenceImages?}`. Resolves like `planProviderJob`; `plan.outpaint` holds the
/// sides, and `plan.outpaint.native` the `{left, right, up, down}` amounts for a native
/// outpaint endpoint (then `imagePng` is the kept picture and `maskPng` null).
#[wasm_bindgen(js_name = planOutpaintJob)]
pub fn plan_outpaint_job(
    provider_id: &str,
    image: &Image,
    request: JsValue,
) -> Result<JsValue, JsError> {
    let registry = Registry::builtin().map_err(js_error)?;
    let capabilities = capabilities_of(&registry, provider_id)?;
    let request: OutpaintRequest = serde_wasm_bindgen::from_value(request).map_err(serde_error)?;
    let job = provider::plan_outpaint(provider_id, capabilities, &image.inner, &request)
        .map_err(js_error)?;
    planned_to_js(job)
}

fn capabilities_of<'a>(
    registry: &'a Registry,
    provider_id: &str,
) -> Result<&'a Capabilities, JsError> {
    registry
        .get(provider_id)
        .and_then(|manifest| manifest.capabilities.as_ref())
        .ok_or_else(|| {
            js_error(Error::param(
                "provider",
                format!("'{provider_id}' is not a known provider"),
            ))
        })
}

fn planned_to_js(job: PlannedJob) -> Result<JsValue, JsError> {
    let out = Object::new();
    set(&out, "plan", to_js(&job.plan)?)?;
    set(
        &out,
        "imagePng",
        Uint8Array::from(job.image_png.as_slice()).into(),
    )?;
    let mask = job
        .mask_png
        .map_or(JsValue::NULL, |m| Uint8Array::from(m.as_slice()).into());
    set(&out, "maskPng", mask)?;
    set(&out, "width", job.plan.width.into())?;
    set(&out, "height", job.plan.height.into())?;
    Ok(out.into())
}

/// Turns a provider's answer (PNG/JPEG/WebP bytes, any size) into a new layer. `image` and
/// `selection` are those the plan was made from; `options`: `{createdAt (ISO 8601), variant?,
/// seed?, colourMatch? (default true), harmonise? (default true: gradient-domain blend)}`.
/// Returns `{layer: Image, offsetX, offsetY, name, metrics: {edgeDeltaE, edgeDeltaEP95,
/// edgePairs, edgeDeltaERaw, insideDeltaE, insidePixels, changedOutside, visibleSeam},
/// correction, harmonised, provenance, provenanceJson}`; add `layer` at the offset with normal
/// blending.
#[wasm_bindgen(js_name = ingestProviderResult)]
pub fn ingest_provider_result(
    image: &Image,
    selection: &Mask,
    plan: JsValue,
    answer: &[u8],
    options: JsValue,
) -> Result<JsValue, JsError> {
    let plan: JobPlan = serde_wasm_bindgen::from_value(plan).map_err(serde_error)?;
    let options: IngestOptions = serde_wasm_bindgen::from_value(options).map_err(serde_error)?;
    let ingested = provider::ingest(&image.inner, &selection.inner, &plan, answer, &options)
        .map_err(js_error)?;
    ingested_to_js(ingested)
}

/// Turns a provider's answer to an outpaint plan into the layer for the new area. `image` is the
/// composite the plan was made from; `options` as for `ingestProviderResult`, which this
/// resolves like, with the offset on the extended canvas: pass the layer and
/// `plan.outpaint`'s sides to `Project.extendCanvasWithLayer`.
#[wasm_bindgen(js_name = ingestOutpaintResult)]
pub fn ingest_outpaint_result(
    image: &Image,
    plan: JsValue,
    answer: &[u8],
    options: JsValue,
) -> Result<JsValue, JsError> {
    let plan: JobPlan = serde_wasm_bindgen::from_value(plan).map_err(serde_error)?;
    let options: IngestOptions = serde_wasm_bindgen::from_value(options).map_err(serde_error)?;
    let ingested =
        provider::ingest_outpaint(&image.inner, &plan, answer, &options).map_err(js_error)?;
    ingested_to_js(ingested)
}

fn ingested_to_js(ingested: Ingested) -> Result<JsValue, JsError> {
    let out = Object::new();
    set(&out, "offsetX", ingested.offset.0.into())?;
    set(&out, "offsetY", ingested.offset.1.into())?;
    set(&out, "name", ingested.name.as_str().into())?;
    set(&out, "metrics", to_js(&ingested.metrics)?)?;
    set(&out, "correction", to_js(&ingested.correction)?)?;
    set(&out, "harmonised", ingested.harmonised.into())?;
    set(&out, "provenance", to_js(&ingested.provenance)?)?;
    set(
        &out,
        "provenanceJson",
        ingested.provenance.to_json().map_err(js_error)?.into(),
    )?;
    set(
        &out,
        "layer",
        Image {
            inner: ingested.layer,
        }
        .into(),
    )?;
    Ok(out.into())
}

/// The offline mock provider's answer: hand this to `web/bridge/mock.js` as `synthesize`.
#[wasm_bindgen(js_name = mockProviderAnswer)]
pub fn mock_provider_answer(
    image_png: &[u8],
    mask_png: &[u8],
    prompt: &str,
    seed: u32,
) -> Result<Vec<u8>, JsError> {
    provider::mock_answer(image_png, mask_png, prompt, seed).map_err(js_error)
}
