//! Runs a filter plugin over an area of an image, tile by tile: the wasm module on the CPU (in
//! wasmtime natively, in the browser's engine in a Worker, both behind [`ModuleRuntime`]), or the
//! WGSL shader on the engine's GPU, with the same tiles and halo (`docs/plugin-abi.md`).
//! Nothing is written anywhere until every tile succeeded, so a failing plugin leaves the
//! document exactly as it was.

use super::abi::{self, ParamValue};
use super::bundle::Bundle;
use super::instance::{canary, plugin_error, unwritten_row};
use super::instance::{ModuleRuntime, PluginInstance, TileCall};
use crate::doc::Rect;
#[cfg(not(target_arch = "wasm32"))]
use crate::doc::{Document, LayerId};
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
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn run(&self, engine: &Engine, image: &RgbaImage, area: Rect) -> Result<RgbaImage> {
        match (self.implementation_for(engine)?, engine.gpu()) {
            (Implementation::Wgsl, Some(gpu)) => {
                self.run_wgsl(gpu, &FilterSource::whole(image), area, |_, _| {})
                    .await
            }
            _ => self.run_wasm(image, area),
        }
    }

    /// Filters `area` of `image` with the wasm module, compiled by wasmtime: the area's rows
    /// of tiles are split into bands, one per thread (`crate::parallel`), each filtered by an
    /// instance of its own with the module's limits. The tiles are those of a single run, and
    /// a tile depends only on its input (docs/plugin-abi.md), so the bytes do not depend on
    /// the number of threads; the first band's error (in band order) is the one reported.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run_wasm(&self, image: &RgbaImage, area: Rect) -> Result<RgbaImage> {
        let (memory_limit_mb, time_limit_ms) = self.module_limits()?;
        let wasm = self
            .bundle
            .module()
            .expect("a checked bundle has its module");
        let source = FilterSource::whole(image);
        source.check(area, 0)?;
        let mut out = RgbaImage::new(area.width, area.height);
        let bands = bands(area, &mut out);
        let mut outcomes: Vec<Result<()>> = Vec::new();
        outcomes.resize_with(bands.len(), || Ok(()));
        let parts: Vec<_> = bands.into_iter().zip(outcomes.iter_mut()).collect();
        crate::parallel::for_each_part(parts, |((band, pixels), outcome)| {
            *outcome = super::sandbox::Sandbox::instantiate(
                self.id(),
                wasm,
                memory_limit_mb,
                time_limit_ms,
            )
            .and_then(|mut instance| {
                let halo = self.module_halo(&mut instance)?;
                self.run_module_into(&mut instance, halo, &source, band, pixels, |_, _| {})
            });
        });
        outcomes.into_iter().collect::<Result<()>>()?;
        Ok(out)
    }

    /// The module's memory and time limits from the manifest (the host caps both).
    pub fn module_limits(&self) -> Result<(u32, u32)> {
        match &self.bundle.manifest.entry {
            crate::plugin::Entry::Wasm {
                memory_limit_mb, ..
            } if self.bundle.module().is_some() => Ok((
                (*memory_limit_mb).min(abi::HOST_MEMORY_CAP_MIB),
                self.time_limit_ms(),
            )),
            _ => Err(plugin_error(self.id(), "it has no WebAssembly module")),
        }
    }

    /// How long a run may take, by the manifest (the host caps it): the module's or the
    /// shader's limit (in the browser the Worker running either is ended past it).
    pub fn time_limit_ms(&self) -> u32 {
        let limit = match &self.bundle.manifest.entry {
            crate::plugin::Entry::Wasm { time_limit_ms, .. }
            | crate::plugin::Entry::Wgsl { time_limit_ms, .. } => *time_limit_ms,
            _ => abi::HOST_TIME_CAP_MS,
        };
        limit.min(abi::HOST_TIME_CAP_MS)
    }

    /// The halo the module asks for with these parameters (asked with a small scratch buffer,
    /// before the tiles' buffers exist).
    pub fn module_halo<R: ModuleRuntime>(&self, instance: &mut PluginInstance<R>) -> Result<u32> {
        let params = abi::params_bytes(&self.values);
        let probe = instance.buffers(0, 0, &params)?;
        instance.halo(&probe)
    }

    /// Filters `area` (layer coordinates) of `source` with an instantiated module whose halo
    /// for these parameters is `halo`, calling `on_tile(done, total)` after each tile.
    pub fn run_module<R: ModuleRuntime>(
        &self,
        instance: &mut PluginInstance<R>,
        halo: u32,
        source: &FilterSource<'_>,
        area: Rect,
        on_tile: impl FnMut(usize, usize),
    ) -> Result<RgbaImage> {
        let mut out = RgbaImage::new(area.width, area.height);
        self.run_module_into(instance, halo, source, area, &mut out, on_tile)?;
        Ok(out)
    }

    /// [`run_module`](Self::run_module) into `out`, the area's RGBA rows.
    fn run_module_into<R: ModuleRuntime>(
        &self,
        instance: &mut PluginInstance<R>,
        halo: u32,
        source: &FilterSource<'_>,
        area: Rect,
        out: &mut [u8],
        on_tile: impl FnMut(usize, usize),
    ) -> Result<()> {
        let put = |at: usize, row: &[u8]| out[at..at + row.len()].copy_from_slice(row);
        self.run_module_rows(instance, halo, source, area, put, on_tile)
    }

    /// [`run_module`](Self::run_module) handing each filtered row to `put(at, bytes)`, `at`
    /// being its byte offset in the area's RGBA rows: the page writes them straight into the
    /// array it returns to JavaScript, with no image of the area in between.
    pub fn run_module_rows<R: ModuleRuntime>(
        &self,
        instance: &mut PluginInstance<R>,
        halo: u32,
        source: &FilterSource<'_>,
        area: Rect,
        mut put: impl FnMut(usize, &[u8]),
        mut on_tile: impl FnMut(usize, usize),
    ) -> Result<()> {
        source.check(area, halo)?;
        let params = abi::params_bytes(&self.values);
        let tile_in = (TILE + 2 * halo) as usize;
        let buffers =
            instance.buffers(tile_in * tile_in * 4, (TILE * TILE * 4) as usize, &params)?;
        let total = tiles(area).count();
        for (done, tile) in tiles(area).enumerate() {
            let call = TileCall {
                input_size: (tile.width + 2 * halo, tile.height + 2 * halo),
                output_size: (tile.width, tile.height),
                halo,
                origin: (tile.x as u32, tile.y as u32),
                image_size: source.layer_size,
            };
            instance.filter_tile(
                &buffers,
                &call,
                |input| source.gather(tile, halo, input),
                |pixels| place_rows(area, tile, pixels, &mut put),
            )?;
            on_tile(done + 1, total);
        }
        Ok(())
    }

    /// The halo the shader reads with these parameters (the manifest's halo rule).
    pub fn shader_halo(&self) -> u32 {
        let m = &self.bundle.manifest;
        abi::rule_halo(m.halo.as_ref(), &m.params, &self.values)
    }

    /// Filters `area` (layer coordinates) of `source` with the WGSL shader on `gpu`, calling
    /// `on_tile(done, total)` after each tile.
    pub async fn run_wgsl(
        &self,
        gpu: &GpuContext,
        source: &FilterSource<'_>,
        area: Rect,
        mut on_tile: impl FnMut(usize, usize),
    ) -> Result<RgbaImage> {
        let halo = self.shader_halo();
        source.check(area, halo)?;
        let shader = self
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
        let device = gpu.device();
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(self.id()),
            source: wgpu::ShaderSource::Wgsl(shader.into()),
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
        let total = tiles(area).count();
        for (done, tile) in tiles(area).enumerate() {
            input.resize(
                ((tile.width + 2 * halo) * (tile.height + 2 * halo) * 4) as usize,
                0,
            );
            source.gather(tile, halo, &mut input);
            let len = (tile.width * tile.height * 4) as usize;
            let input_buffer = gpu.storage_buffer("plugin input", &input);
            let output_buffer = gpu.storage_buffer("plugin output", canary(len));
            let uniform = gpu.uniform_buffer(
                "plugin tile",
                &tile_uniform(tile, source.layer_size, halo, &self.values),
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
            on_tile(done + 1, total);
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

/// The pixels a filter reads: a whole layer, or a crop of it holding at least the area being
/// filtered grown by the halo (within the layer), which is all the browser hands its Worker.
pub struct FilterSource<'a> {
    pub pixels: &'a RgbaImage,
    /// The crop's corner in layer coordinates.
    pub origin: (u32, u32),
    /// The layer's size: tiles repeat its edge pixels past it and learn where they are in it.
    pub layer_size: (u32, u32),
}

impl<'a> FilterSource<'a> {
    /// All of a layer.
    pub fn whole(pixels: &'a RgbaImage) -> Self {
        FilterSource {
            pixels,
            origin: (0, 0),
            layer_size: pixels.dimensions(),
        }
    }

    /// The layer rectangle a filter of `area` with `halo` reads: the area grown by the halo,
    /// within the layer of `layer_size`.
    pub fn reach(area: Rect, halo: u32, layer_size: (u32, u32)) -> Rect {
        let h = halo as i32;
        Rect::new(
            area.x - h,
            area.y - h,
            area.width + 2 * halo,
            area.height + 2 * halo,
        )
        .intersect(&Rect::new(0, 0, layer_size.0, layer_size.1))
        .unwrap_or(area)
    }

    /// Checks that `area` is on the layer and that the pixels hold what filtering it reads.
    fn check(&self, area: Rect, halo: u32) -> Result<()> {
        let (width, height) = self.layer_size;
        let layer = Rect::new(0, 0, width, height);
        if area.is_empty() || area.intersect(&layer) != Some(area) {
            return Err(Error::param(
                "area",
                format!(
                    "{}×{} at {},{} is not inside the {width}×{height} layer",
                    area.width, area.height, area.x, area.y
                ),
            ));
        }
        let held = Rect::new(
            self.origin.0 as i32,
            self.origin.1 as i32,
            self.pixels.width(),
            self.pixels.height(),
        );
        let needed = Self::reach(area, halo, self.layer_size);
        if held.intersect(&needed) != Some(needed) {
            return Err(Error::param(
                "source",
                format!(
                    "the pixels handed over ({}×{} at {},{}) do not hold the {}×{} at {},{} \
                     that filtering the area with a halo of {halo} reads",
                    held.width,
                    held.height,
                    held.x,
                    held.y,
                    needed.width,
                    needed.height,
                    needed.x,
                    needed.y
                ),
            ));
        }
        Ok(())
    }

    /// Writes `tile` (layer coordinates) grown by `halo` on each side into `input` (exactly
    /// that many pixels), repeating the layer's edge pixels past its border.
    pub fn gather(&self, tile: Rect, halo: u32, input: &mut [u8]) {
        let (width, height) = (i64::from(self.layer_size.0), i64::from(self.layer_size.1));
        let (ox, oy) = (i64::from(self.origin.0), i64::from(self.origin.1));
        let stride = self.pixels.width() as usize * 4;
        let h = i64::from(halo);
        let (x0, x1) = (
            i64::from(tile.x) - h,
            i64::from(tile.x) + i64::from(tile.width) + h,
        );
        let (inside_start, inside_end) = (x0.max(0), x1.min(width));
        let raw = self.pixels.as_raw();
        let at = |x: i64| (x.clamp(0, width - 1) - ox) as usize * 4;
        let rows = input.chunks_exact_mut((x1 - x0) as usize * 4);
        for (y, target) in ((i64::from(tile.y) - h)..).zip(rows) {
            let row = &raw[(y.clamp(0, height - 1) - oy) as usize * stride..][..stride];
            let (left, rest) = target.split_at_mut((inside_start - x0) as usize * 4);
            let (middle, right) = rest.split_at_mut((inside_end - inside_start) as usize * 4);
            let edge = |pixels: &mut [u8], x: i64| {
                for pixel in pixels.chunks_exact_mut(4) {
                    pixel.copy_from_slice(&row[at(x)..at(x) + 4]);
                }
            };
            edge(left, 0);
            middle.copy_from_slice(&row[at(inside_start)..at(inside_end - 1) + 4]);
            edge(right, width - 1);
        }
    }
}

/// Copies a tile's output into the area's RGBA rows.
/// `area`'s rows of tiles split into bands, one per thread (`crate::parallel`), each with its
/// rows of `out` (the area's RGBA rows): what a native run filters on each thread.
#[cfg(not(target_arch = "wasm32"))]
pub fn bands(area: Rect, out: &mut [u8]) -> Vec<(Rect, &mut [u8])> {
    let tile_rows = area.height.div_ceil(TILE) as usize;
    let pixels = area.width as usize * area.height as usize;
    let bands = crate::parallel::parts_for(pixels).min(tile_rows).max(1);
    let band_rows = tile_rows.div_ceil(bands) * TILE as usize;
    let row_bytes = area.width as usize * 4;
    out.chunks_mut(band_rows * row_bytes)
        .enumerate()
        .map(|(i, pixels)| {
            let rows = (pixels.len() / row_bytes) as u32;
            let top = area.y + (i * band_rows) as i32;
            (Rect::new(area.x, top, area.width, rows), pixels)
        })
        .collect()
}

/// Copies a tile's output `pixels` into `out`, the RGBA rows of `area`.
pub fn place(out: &mut [u8], area: Rect, tile: Rect, pixels: &[u8]) {
    place_rows(area, tile, pixels, |at, row| {
        out[at..at + row.len()].copy_from_slice(row)
    });
}

/// Hands each row of a tile's output `pixels` to `put` with its byte offset in the RGBA rows
/// of `area`.
fn place_rows(area: Rect, tile: Rect, pixels: &[u8], mut put: impl FnMut(usize, &[u8])) {
    let stride = area.width as usize * 4;
    let (dx, dy) = ((tile.x - area.x) as usize, (tile.y - area.y) as usize);
    let row_len = tile.width as usize * 4;
    for (row, source) in pixels.chunks_exact(row_len).enumerate() {
        put((dy + row) * stride + dx * 4, source);
    }
}

/// Applies the plugin to layer `id` of `doc` inside the selection (the whole layer without one)
/// as one history step named after the plugin. Any failure leaves the document unchanged.
#[cfg(not(target_arch = "wasm32"))]
pub async fn apply_to_layer(
    doc: &mut Document,
    engine: &Engine,
    id: LayerId,
    run: &FilterRun<'_>,
) -> Result<()> {
    doc.layer(id)?.check_pixels_editable("filter it")?;
    let area = doc.adjustment_area(id)?;
    let layer = doc.layer(id)?;
    let bounds = layer.bounds();
    let filtered = run
        .run(engine, &layer.pixels, area.translated(-bounds.x, -bounds.y))
        .await?;
    doc.apply_filtered_area(id, area, &filtered, &run.bundle.manifest.name)
}
