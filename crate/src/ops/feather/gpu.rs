//! GPU driver of the feather: the vertical pass runs on column strips of
//! full height, the horizontal pass on row bands of full width, each sized to
//! the device's binding limit, so any image up to the core's limits works.

use super::cpu::Coefficients;
use crate::engine::{read_as, tiling, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};
use image::GrayImage;

const SHADER: &str = include_str!("feather.wgsl");
const WORKGROUP: u32 = 64;

/// Mirrors `Params` in feather.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    lines: u32,
    length: u32,
    line_stride: u32,
    step: u32,
    n0: [f32; 2],
    n1: [f32; 2],
    m1: [f32; 2],
    m2: [f32; 2],
    d1: [f32; 2],
    d2: [f32; 2],
    causal_gain: [f32; 2],
    anticausal_gain: [f32; 2],
    scale: f32,
    pad: [f32; 3],
}

/// How `data` is cut into lines for one dispatch.
struct Lines {
    count: u32,
    length: u32,
    line_stride: u32,
    step: u32,
}

impl GpuParams {
    fn new(c: &Coefficients, lines: &Lines) -> GpuParams {
        GpuParams {
            lines: lines.count,
            length: lines.length,
            line_stride: lines.line_stride,
            step: lines.step,
            n0: c.n0,
            n1: c.n1,
            m1: c.m1,
            m2: c.m2,
            d1: c.d1,
            d2: c.d2,
            causal_gain: c.causal_gain,
            anticausal_gain: c.anticausal_gain,
            scale: c.scale,
            pad: [0.0; 3],
        }
    }
}

fn pipeline(gpu: &GpuContext) -> wgpu::ComputePipeline {
    gpu.pipeline("feather.blur_lines", SHADER, "blur_lines")
}

async fn blur_lines(
    gpu: &GpuContext,
    c: &Coefficients,
    data: &[f32],
    lines: Lines,
) -> Result<Vec<f32>> {
    let params = GpuParams::new(c, &lines);
    let bytes: &[u8] = bytemuck::cast_slice(data);
    let buffers = [
        gpu.uniform_buffer("feather params", bytemuck::bytes_of(&params)),
        gpu.storage_buffer("feather input", bytes),
        gpu.storage_buffer("feather output", &vec![0; bytes.len()]),
    ];
    let pipeline = pipeline(gpu);
    let groups = (lines.count.div_ceil(WORKGROUP), 1, 1);
    let out = gpu
        .dispatch_and_read(
            &pipeline,
            &buffers.each_ref(),
            groups,
            2,
            bytes.len() as u64,
        )
        .await?;
    Ok(read_as(&out))
}

/// Blurs `mask` with a Gaussian of standard deviation `sigma` (> 0), with
/// buffers of at most `max_band_bytes`.
pub(super) async fn gaussian(
    gpu: &GpuContext,
    mask: &GrayImage,
    sigma: f32,
    max_band_bytes: u64,
) -> Result<GrayImage> {
    let c = Coefficients::new(sigma);
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let mut data: Vec<f32> = mask.iter().map(|&v| f32::from(v)).collect();
    let column_bytes = height as u64 * 4;
    for columns in tiling::row_bands(mask.width(), column_bytes, max_band_bytes) {
        let all_rows = 0..height as u32;
        let strip = tiling::crop(&data, width as u32, 1, &columns, &all_rows);
        let strip_width = columns.len();
        let lines = Lines {
            count: strip_width as u32,
            length: height as u32,
            line_stride: 1,
            step: strip_width as u32,
        };
        let blurred = blur_lines(gpu, &c, &strip, lines).await?;
        tiling::paste(&mut data, width as u32, 1, &columns, &all_rows, &blurred);
    }
    let mut out = GrayImage::new(mask.width(), mask.height());
    for rows in tiling::row_bands(mask.height(), width as u64 * 4, max_band_bytes) {
        let band = rows.start as usize * width..rows.end as usize * width;
        let lines = Lines {
            count: rows.len() as u32,
            length: width as u32,
            line_stride: width as u32,
            step: 1,
        };
        let blurred = blur_lines(gpu, &c, &data[band.clone()], lines).await?;
        for (o, v) in out.as_mut()[band].iter_mut().zip(blurred) {
            *o = (v.clamp(0.0, 255.0) + 0.5) as u8;
        }
    }
    Ok(out)
}

/// One pass of a [`HeldPlaneBlur`]: the buffers it binds (uniforms,
/// source, destination) and its workgroups.
pub(crate) type HeldPass<'a> = ([&'a wgpu::Buffer; 3], (u32, u32, u32));

/// The Gaussian of a plane that stays on the GPU, as [`gaussian`] blurs one
/// that goes up and comes back: its two passes, for the caller to run in one
/// submission with its own steps (the blur of a layer held there reads
/// nothing back). The plane holds `width`×`height` f32 samples row by row,
/// bound whole (the caller checked the binding limit), and gets the result;
/// the scratch buffer, as large, the vertical pass's.
pub(crate) struct HeldPlaneBlur {
    pipeline: wgpu::ComputePipeline,
    /// Uniforms of the vertical and the horizontal pass.
    params: [wgpu::Buffer; 2],
    /// Workgroups of each pass: one invocation per column, then per row.
    groups: [u32; 2],
}

impl HeldPlaneBlur {
    /// The passes of a Gaussian of standard deviation `sigma` (> 0).
    pub fn new(gpu: &GpuContext, width: u32, height: u32, sigma: f32) -> HeldPlaneBlur {
        let c = Coefficients::new(sigma);
        let columns = Lines {
            count: width,
            length: height,
            line_stride: 1,
            step: width,
        };
        let rows = Lines {
            count: height,
            length: width,
            line_stride: width,
            step: 1,
        };
        let uniform = |lines: &Lines| {
            let params = GpuParams::new(&c, lines);
            gpu.uniform_buffer("feather params", bytemuck::bytes_of(&params))
        };
        HeldPlaneBlur {
            pipeline: pipeline(gpu),
            params: [uniform(&columns), uniform(&rows)],
            groups: [width, height].map(|lines| lines.div_ceil(WORKGROUP)),
        }
    }

    pub fn pipeline(&self) -> &wgpu::ComputePipeline {
        &self.pipeline
    }

    /// Each pass's buffers and workgroups: the vertical one from `plane`
    /// into `scratch`, the horizontal one back.
    pub fn passes<'a>(
        &'a self,
        plane: &'a wgpu::Buffer,
        scratch: &'a wgpu::Buffer,
    ) -> [HeldPass<'a>; 2] {
        let [vertical, horizontal] = &self.params;
        [
            ([vertical, plane, scratch], (self.groups[0], 1, 1)),
            ([horizontal, scratch, plane], (self.groups[1], 1, 1)),
        ]
    }
}
