//! Runs a filter plugin over an area of an image, tile by tile: the wasm module in the sandbox
//! on the CPU, or the WGSL shader on the engine's GPU, with the same tiles and halo
//! (`docs/plugin-abi.md`). Nothing is written anywhere until every tile succeeded, so a failing
//! plugin leaves the document exactly as it was.

use super::abi::{self, ParamValue};
use super::bundle::Bundle;
use super::sandbox::{canary, plugin_error, unwritten_row, Sandbox};
use crate::doc::{Document, LayerId, Rect};
use crate::engine::{Engine, GpuContext};
use crate::{Error, Result};
use image::RgbaImage;
use std::collections::BTreeMap;

/// The largest output tile side.
pub const TILE: u32 = 512;

/// Which implementation of a plugin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// The WebAssembly module, on the CPU.
    Wasm,
    /// The WGSL shader, on the GPU.
    Wgsl,
}

/// A checked filter plugin with its parameter values.
pub struct FilterRun<'a> {
    pub bundle: &'a Bundle,
    /// The parameter values in ABI encoding.
    pub values: Vec<f32>,
}

impl<'a> FilterRun<'a> {
    /// The plugin with `given` values (by id), the manifest's defaults for the others.
    pub fn new(bundle: &'a Bundle, given: &BTreeMap<String, ParamValue>) -> Result<Self> {
        let values = abi::encode_params(&bundle.manifest.params, given)?;
        Ok(FilterRun { bundle, values })
    }

    fn id(&self) -> &str {
        &self.bundle.manifest.id
    }

    /// The implementation an engine runs: the shader on a GPU engine, else the module; a
    /// shader-only plugin on a CPU engine needs WebGPU.
    pub fn implementation_for(&self, engine: &Engine) -> Result<Implementation> {
        match (
            engine.gpu().is_some(),
            self.bundle.shader(),
            self.bundle.module(),
        ) {
            (true, Some(_), _) => Ok(Implementation::Wgsl),
            (_, _, Some(_)) => Ok(Implementation::Wasm),
            _ => Err(plugin_error(
                self.id(),
                format!(
                    "needs WebGPU: it has only a WGSL shader and no GPU adapter is in use ({})",
                    if engine.reason().is_empty() {
                        "CPU".to_string()
                    } else {
                        engine.reason()
                    }
                ),
            )),
        }
    }

    /// Filters `area` (in `image`'s coordinates) of `image` with the implementation `engine`
    /// runs; returns the area's new pixels.
    pub async fn run(&self, engine: &Engine, image: &RgbaImage, area: Rect) -> Result<RgbaImage> {
        match (self.implementation_for(engine)?, engine.gpu()) {
            (Implementation::Wgsl, Some(gpu)) => self.run_wgsl(gpu, image, area).await,
            _ => self.run_wasm(image, area),
        }
    }

    /// Filters `area` of `image` with the wasm module.
    pub fn run_wasm(&self, image: &RgbaImage, area: Rect) -> Result<RgbaImage> {
        check_area(image, area)?;
        let crate::plugin::Entry::Wasm {
            memory_limit_mb,
            time_limit_ms,
            ..
        } = &self.bundle.manifest.entry
        else {
            return Err(plugin_error(self.id(), "it has no WebAssembly module"));
        };
        let wasm = self
            .bundle
            .module()
            .expect("a checked bundle has its module");
        let mut sandbox = Sandbox::new(self.id(), wasm, *memory_limit_mb, *time_limit_ms)?;
        let params = abi::params_bytes(&self.values);
        // The halo depends only on the parameters: ask with a small scratch buffer first.
        let probe = sandbox.buffers(0, 0, &params)?;
        let halo = sandbox.halo(&probe)?;
        let tile_in = (TILE + 2 * halo) as usize;
        let buffers =
            sandbox.buffers(tile_in * tile_in * 4, (TILE * TILE * 4) as usize, &params)?;
        let mut out = RgbaImage::new(area.width, area.height);
        let mut input = Vec::new();
        let mut tile_out = Vec::new();
        for tile in tiles(area) {
            gather(image, tile, halo, &mut input);
            tile_out.resize((tile.width * tile.height * 4) as usize, 0);
            sandbox.filter_tile(
                &buffers,
                &input,
                (tile.width + 2 * halo, tile.height + 2 * halo),
                &mut tile_out,
                (tile.width, tile.height),
                halo,
                (tile.x as u32, tile.y as u32),
                image.dimensions(),
            )?;
            place(&mut out, area, tile, &tile_out);
        }
        Ok(out)
    }

    /// Filters `area` of `image` with the WGSL shader on `gpu`.
    pub async fn run_wgsl(
        &self,
        gpu: &GpuContext,
        image: &RgbaImage,
        area: Rect,
    ) -> Result<RgbaImage> {
        check_area(image, area)?;
        let source = self
            .bundle
            .shader()
            .and_then(|s| std::str::from_utf8(s).ok())
            .ok_or_else(|| plugin_error(self.id(), "it has no WGSL shader"))?;
        if self.values.len() > 64 {
            return Err(plugin_error(
                self.id(),
                "a WGSL filter takes at most 64 parameter values",
            ));
        }
        let m = &self.bundle.manifest;
        let halo = abi::rule_halo(m.halo.as_ref(), &m.params, &self.values);
        let device = gpu.device();
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(self.id()),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let layout = abi_pipeline_layout(device);
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(self.id()),
            layout: Some(&layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = scope.pop().await {
            return Err(plugin_error(
                self.id(),
                format!(
                    "its WGSL shader does not compile or does not match the binding layout of \
                     docs/plugin-abi.md: {e}"
                ),
            ));
        }
        let mut out = RgbaImage::new(area.width, area.height);
        let mut input = Vec::new();
        for tile in tiles(area) {
            gather(image, tile, halo, &mut input);
            let len = (tile.width * tile.height * 4) as usize;
            let input_buffer = gpu.storage_buffer("plugin input", &input);
            let output_buffer = gpu.storage_buffer("plugin output", canary(len));
            let uniform = gpu.uniform_buffer(
                "plugin tile",
                &tile_uniform(tile, image.dimensions(), halo, &self.values),
            );
            let bytes = gpu
                .dispatch_and_read(
                    &pipeline,
                    &[&input_buffer, &output_buffer, &uniform],
                    (tile.width.div_ceil(8), tile.height.div_ceil(8), 1),
                    1,
                    len as u64,
                )
                .await
                .map_err(|e| plugin_error(self.id(), format!("its shader failed: {e}")))?;
            if let Some(row) = unwritten_row(&bytes, tile.width) {
                return Err(plugin_error(
                    self.id(),
                    format!(
                        "its shader never wrote row {row} of its output tile at {},{}",
                        tile.x, tile.y
                    ),
                ));
            }
            place(&mut out, area, tile, &bytes);
        }
        Ok(out)
    }
}

/// The documented binding layout (docs/plugin-abi.md, "WGSL shaders"), stated rather than
/// inferred from the shader: a shader that leaves a binding unused still gets all three, and
/// one that declares them otherwise is refused when it is compiled, naming the mismatch.
fn abi_pipeline_layout(device: &wgpu::Device) -> wgpu::PipelineLayout {
    let buffer = |binding, ty| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    };
    let storage = |read_only| wgpu::BufferBindingType::Storage { read_only };
    let group = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("plugin tile"),
        entries: &[
            buffer(0, storage(true)),
            buffer(1, storage(false)),
            buffer(2, wgpu::BufferBindingType::Uniform),
        ],
    });
    device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("plugin tile"),
        bind_group_layouts: &[Some(&group)],
        immediate_size: 0,
    })
}

/// The WGSL `Tile` uniform (docs/plugin-abi.md): origin, size, image size, halo, param count,
/// then 16 vec4s of parameter values.
fn tile_uniform(tile: Rect, image: (u32, u32), halo: u32, values: &[f32]) -> Vec<u8> {
    let header = [
        tile.x as u32,
        tile.y as u32,
        tile.width,
        tile.height,
        image.0,
        image.1,
        halo,
        values.len() as u32,
    ];
    let mut bytes: Vec<u8> = header.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut params = [0f32; 64];
    params[..values.len()].copy_from_slice(values);
    bytes.extend(params.iter().flat_map(|v| v.to_le_bytes()));
    bytes
}

fn check_area(image: &RgbaImage, area: Rect) -> Result<()> {
    let bounds = Rect::new(0, 0, image.width(), image.height());
    if area.is_empty() || area.intersect(&bounds) != Some(area) {
        return Err(Error::param(
            "area",
            format!(
                "{}×{} at {},{} is not inside the {}×{} image",
                area.width,
                area.height,
                area.x,
                area.y,
                image.width(),
                image.height()
            ),
        ));
    }
    Ok(())
}

/// The output tiles covering `area`, row by row.
pub fn tiles(area: Rect) -> impl Iterator<Item = Rect> {
    (0..area.height.div_ceil(TILE)).flat_map(move |ty| {
        (0..area.width.div_ceil(TILE)).map(move |tx| {
            let (x, y) = (tx * TILE, ty * TILE);
            Rect::new(
                area.x + x as i32,
                area.y + y as i32,
                TILE.min(area.width - x),
                TILE.min(area.height - y),
            )
        })
    })
}

/// Copies `tile` of `image` grown by `halo` on each side into `input`, repeating the edge pixels
/// past the image's border.
fn gather(image: &RgbaImage, tile: Rect, halo: u32, input: &mut Vec<u8>) {
    let (width, height) = (image.width() as i64, image.height() as i64);
    let h = i64::from(halo);
    let (x0, x1) = (
        i64::from(tile.x) - h,
        i64::from(tile.x) + i64::from(tile.width) + h,
    );
    let raw = image.as_raw();
    input.clear();
    for y in (i64::from(tile.y) - h)..(i64::from(tile.y) + i64::from(tile.height) + h) {
        let row = y.clamp(0, height - 1) as usize * width as usize * 4;
        let pixel = |x: i64| &raw[row + x.clamp(0, width - 1) as usize * 4..][..4];
        let (inside_start, inside_end) = (x0.max(0), x1.min(width));
        for x in x0..inside_start {
            input.extend_from_slice(pixel(x));
        }
        input.extend_from_slice(
            &raw[row + inside_start as usize * 4..row + inside_end as usize * 4],
        );
        for x in inside_end..x1 {
            input.extend_from_slice(pixel(x));
        }
    }
}

/// Copies a tile's output into the area's image.
fn place(out: &mut RgbaImage, area: Rect, tile: Rect, pixels: &[u8]) {
    let stride = out.width() as usize * 4;
    let (dx, dy) = ((tile.x - area.x) as usize, (tile.y - area.y) as usize);
    let row_len = tile.width as usize * 4;
    let raw: &mut [u8] = out;
    for (row, source) in pixels.chunks_exact(row_len).enumerate() {
        let at = (dy + row) * stride + dx * 4;
        raw[at..at + row_len].copy_from_slice(source);
    }
}

/// Applies the plugin to layer `id` of `doc` inside the selection (the whole layer without one)
/// as one history step named after the plugin. Any failure leaves the document unchanged.
pub async fn apply_to_layer(
    doc: &mut Document,
    engine: &Engine,
    id: LayerId,
    run: &FilterRun<'_>,
) -> Result<()> {
    doc.layer(id)?.check_unlocked("filter it")?;
    let area = doc.adjustment_area(id)?;
    let layer = doc.layer(id)?;
    let bounds = layer.bounds();
    let filtered = run
        .run(engine, &layer.pixels, area.translated(-bounds.x, -bounds.y))
        .await?;
    doc.apply_filtered_area(id, area, &filtered, &run.bundle.manifest.name)
}
