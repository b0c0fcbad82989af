//! GPU driver of the paint tools: uploads the dirty rectangle in row bands
//! sized to the binding limit (with the selection and, for the clone stamp,
//! the source pixels gathered beside it) and reads the painted band back.

use super::cpu::source_pixel;
use super::{DirtyRect, LiveStroke, PaintStroke, PaintTool, PlacedDabs};
use crate::engine::{tiling, Dispatch, GpuContext};
use crate::ops::dab::MAX_GPU_DAB_TESTS;
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::{GrayImage, RgbaImage};

/// The shared dab model and stroke pixel, then the whole-stroke kernel.
const SHADER: &str = concat!(
    include_str!("../dab.wgsl"),
    include_str!("paint_pixel.wgsl"),
    include_str!("paint.wgsl")
);
const WORKGROUP: u32 = 16;

/// Mirrors `Params` in paint.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    rect_x: u32,
    rect_y: u32,
    width: u32,
    height: u32,
    dab_count: u32,
    flow: u32,
    opacity: u32,
    reach: u32,
    erase: u32,
    has_selection: u32,
    pad: [u32; 2],
}

fn pack(p: image::Rgba<u8>) -> u32 {
    u32::from_le_bytes(p.0)
}

pub(super) async fn paint(
    gpu: &GpuContext,
    image: &RgbaImage,
    stroke: &PaintStroke,
    rect: DirtyRect,
    selection: Option<&GrayImage>,
    max_band_bytes: u64,
) -> Result<RgbaImage> {
    let pipeline = gpu.pipeline("paint.paint", SHADER, "paint");
    let (dabs, thresholds, dab_count) = stroke.dabs.gpu_buffers(gpu);
    let mut out = RgbaImage::new(rect.width, rect.height);
    for rows in tiling::row_bands(rect.height, u64::from(rect.width) * 4, max_band_bytes) {
        let band = |f: &dyn Fn(u32, u32) -> u32| -> Vec<u32> {
            rows.clone()
                .flat_map(|py| (0..rect.width).map(move |px| (px, py)))
                .map(|(px, py)| f(px, py))
                .collect()
        };
        let pixels = band(&|px, py| pack(*image.get_pixel(rect.x + px, rect.y + py)));
        let selected = match selection {
            Some(mask) => band(&|px, py| u32::from(mask.get_pixel(px, py)[0])),
            None => vec![0],
        };
        let sources = match stroke.tool {
            PaintTool::Eraser => vec![0],
            tool => band(&|px, py| pack(source_pixel(image, tool, rect.x + px, rect.y + py))),
        };
        let params = GpuParams {
            rect_x: rect.x,
            rect_y: rect.y + rows.start,
            width: rect.width,
            height: rows.len() as u32,
            dab_count,
            flow: stroke.flow,
            opacity: stroke.opacity,
            reach: stroke.dabs.reach as u32,
            erase: u32::from(stroke.tool == PaintTool::Eraser),
            has_selection: u32::from(selection.is_some()),
            pad: [0; 2],
        };
        let buffers = [
            gpu.uniform_buffer("paint params", bytemuck::bytes_of(&params)),
            gpu.storage_buffer("paint band", bytemuck::cast_slice(&pixels)),
            gpu.storage_buffer("selection band", bytemuck::cast_slice(&selected)),
            gpu.storage_buffer("source band", bytemuck::cast_slice(&sources)),
        ];
        let groups = (
            rect.width.div_ceil(WORKGROUP),
            (rows.len() as u32).div_ceil(WORKGROUP),
            1,
        );
        let bytes = gpu
            .dispatch_and_read(
                &pipeline,
                &[
                    &buffers[0],
                    &buffers[1],
                    &dabs,
                    &thresholds,
                    &buffers[2],
                    &buffers[3],
                ],
                groups,
                1,
                pixels.len() as u64 * 4,
            )
            .await?;
        let start = rows.start as usize * rect.width as usize * 4;
        let raw: &mut [u8] = &mut out;
        raw[start..start + bytes.len()].copy_from_slice(&bytes);
    }
    Ok(out)
}

/// The dab model and stroke pixel, then the live stroke's kernel.
const LIVE_SHADER: &str = concat!(
    include_str!("../dab.wgsl"),
    include_str!("paint_pixel.wgsl"),
    include_str!("paint_live.wgsl")
);
/// Mirrors `@workgroup_size` in paint_live.wgsl: words of four pixels by rows.
const LIVE_WORKGROUP: (u32, u32) = (64, 4);

/// Mirrors `Params` in paint_live.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct LiveParams {
    layer_width: u32,
    layer_height: u32,
    words_per_row: u32,
    rect_x: u32,
    rect_y: u32,
    rect_width: u32,
    rect_height: u32,
    first_word: u32,
    dab_count: u32,
    flow: u32,
    opacity: u32,
    reach: u32,
    tool: u32,
    color: u32,
    clone_dx: i32,
    clone_dy: i32,
    source_x: u32,
    source_y: u32,
    source_width: u32,
    source_height: u32,
    has_selection: u32,
    selection_x: u32,
    selection_y: u32,
    selection_width: u32,
}

/// A [`LiveStroke`] painted into a layer held on the GPU (packed RGBA8, as
/// the compositor holds layers): the layer as it was before the stroke and
/// the stroke coverage `S` live beside it for the stroke's life, so each
/// call sends only the new dabs' centres and the selection under them, and
/// reads nothing back. The CPU's [`LiveStroke::catch_up`] gives the same
/// pixels, bit for bit.
#[derive(Debug)]
pub struct GpuLiveStroke {
    before: wgpu::Buffer,
    coverage: wgpu::Buffer,
    thresholds: wgpu::Buffer,
    /// Every dispatch's settings but the rectangle and the dabs.
    base: LiveParams,
}

impl GpuLiveStroke {
    /// Starts painting `stroke` into `layer`, a held copy of the image the
    /// stroke began on, as it was then (no dab painted in it yet): copies it
    /// on the GPU as the stroke's image before, with `S` all zero. `layer`
    /// binds whole, as every held layer does.
    pub fn begin(gpu: &GpuContext, stroke: &LiveStroke, layer: &wgpu::Buffer) -> GpuLiveStroke {
        let (width, height) = stroke.before.dimensions();
        let bytes = u64::from(width) * u64::from(height) * 4;
        let before = gpu.scratch_buffer("stroke's layer before", bytes);
        let words_per_row = width.div_ceil(4);
        // New buffers start zeroed: no coverage yet.
        let coverage = gpu.scratch_buffer(
            "stroke coverage",
            u64::from(words_per_row) * u64::from(height) * 4,
        );
        let mut encoder = gpu.device().create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(layer, 0, &before, 0, bytes.next_multiple_of(4));
        gpu.queue().submit([encoder.finish()]);
        let thresholds = gpu.storage_buffer(
            "dab thresholds",
            bytemuck::cast_slice(&stroke.model.thresholds),
        );
        let (tool, color, (clone_dx, clone_dy), source) = match stroke.tool {
            PaintTool::Brush { color: [r, g, b] } => (0, [r, g, b, 255], (0, 0), None),
            PaintTool::Eraser => (1, [0; 4], (0, 0), None),
            PaintTool::CloneStamp {
                offset,
                source_area,
            } => (2, [0; 4], offset, Some(source_area)),
        };
        let source = source.unwrap_or(DirtyRect {
            x: 0,
            y: 0,
            width: 0,
            height: 0,
        });
        let base = LiveParams {
            layer_width: width,
            layer_height: height,
            words_per_row,
            flow: stroke.flow,
            opacity: stroke.opacity,
            reach: stroke.model.reach as u32,
            tool,
            color: u32::from_le_bytes(color),
            clone_dx,
            clone_dy,
            source_x: source.x,
            source_y: source.y,
            source_width: source.width,
            source_height: source.height,
            ..LiveParams::zeroed()
        };
        GpuLiveStroke {
            before,
            coverage,
            thresholds,
            base,
        }
    }

    /// Paints the dabs `stroke`'s [`LiveStroke::add`] placed (`placed`, in
    /// order) into `layer`, the held copy [`GpuLiveStroke::begin`] started
    /// from; `selection` (the size of `placed.rect`, when there is one)
    /// scales the effect. One submission, split into dispatches of a
    /// bounded cost so no single one runs long; nothing is read back.
    pub async fn paint(
        &self,
        gpu: &GpuContext,
        stroke: &LiveStroke,
        layer: &wgpu::Buffer,
        placed: &PlacedDabs,
        selection: Option<&GrayImage>,
    ) -> Result<()> {
        let bound = MAX_GPU_DAB_TESTS;
        self.paint_bounded(gpu, stroke, layer, placed, selection, bound)
            .await
    }

    /// [`GpuLiveStroke::paint`] in dispatches of at most `max_tests`
    /// dab-by-pixel tests each (one dab at least).
    pub(super) async fn paint_bounded(
        &self,
        gpu: &GpuContext,
        stroke: &LiveStroke,
        layer: &wgpu::Buffer,
        placed: &PlacedDabs,
        selection: Option<&GrayImage>,
        max_tests: u64,
    ) -> Result<()> {
        let pipeline = gpu.pipeline("paint.live", LIVE_SHADER, "paint_live");
        let no_selection = GrayImage::new(1, 1);
        let selected = selection.unwrap_or(&no_selection);
        let selection_buffer = gpu.storage_buffer("stroke selection", selected.as_raw());
        let rect = placed.rect;
        // Each dispatch tests at most this many dab-pixel pairs.
        let area = u64::from(rect.width) * u64::from(rect.height);
        let per_dispatch = (max_tests / area.max(1)).max(1) as usize;
        let mut steps = Vec::new();
        for centres in placed.centres.chunks(per_dispatch) {
            // The dabs' boxes, within what the CPU repaints for them (all
            // they cover lies there).
            let Some(chunk_rect) = centres
                .iter()
                .filter_map(|&c| nonempty(stroke.model.bounds(c, rect)))
                .reduce(|a, b| a.union(&b))
            else {
                continue;
            };
            let params = LiveParams {
                rect_x: chunk_rect.x,
                rect_y: chunk_rect.y,
                rect_width: chunk_rect.width,
                rect_height: chunk_rect.height,
                first_word: chunk_rect.x / 4,
                dab_count: centres.len() as u32,
                has_selection: u32::from(selection.is_some()),
                selection_x: rect.x,
                selection_y: rect.y,
                selection_width: rect.width,
                ..self.base
            };
            let words = (chunk_rect.x + chunk_rect.width).div_ceil(4) - chunk_rect.x / 4;
            let groups = (
                words.div_ceil(LIVE_WORKGROUP.0),
                chunk_rect.height.div_ceil(LIVE_WORKGROUP.1),
                1,
            );
            steps.push((
                gpu.uniform_buffer("live paint params", bytemuck::bytes_of(&params)),
                gpu.storage_buffer("dabs", bytemuck::cast_slice(centres)),
                groups,
            ));
        }
        let bound: Vec<[&wgpu::Buffer; 7]> = steps
            .iter()
            .map(|(params, dabs, _)| {
                [
                    params,
                    &self.coverage,
                    dabs,
                    &self.thresholds,
                    &self.before,
                    layer,
                    &selection_buffer,
                ]
            })
            .collect();
        let dispatches: Vec<_> = bound
            .iter()
            .zip(&steps)
            .map(|(buffers, (_, _, workgroups))| {
                (
                    &pipeline,
                    Dispatch {
                        buffers,
                        workgroups: *workgroups,
                    },
                )
            })
            .collect();
        gpu.run(&dispatches).await
    }
}

/// The rectangle `x0..x1, y0..y1` covers, `None` when empty.
fn nonempty((xs, ys): (std::ops::Range<u32>, std::ops::Range<u32>)) -> Option<DirtyRect> {
    (!xs.is_empty() && !ys.is_empty()).then(|| DirtyRect {
        x: xs.start,
        y: ys.start,
        width: xs.len() as u32,
        height: ys.len() as u32,
    })
}
