//! GPU driver of one pyramid level of the fill (`fill.wgsl`): per EM round,
//! one submission measures the field against the estimate and runs the
//! PatchMatch passes, each a jump-flood sweep (`JUMPS`) whose last step also
//! searches at random; the targets' distances are read back for the vote's
//! σ² (the same percentile the CPU takes), and a second submission votes.
//! The level's estimate and field are read back at its end for the next,
//! finer level, which the CPU starts as it does its own. With colour
//! adaptation each round starts with a dispatch of the patches' statistics.
//!
//! Scan-order propagation, which carries a good match across a whole row
//! in one CPU pass, cannot run in parallel; jumps of 8, 4, 2 and 1 pixels
//! carry it as far in four dispatches.

use super::cpu::{round_seed, Level, Stage};
use crate::engine::{read_as, Dispatch, GpuContext};
use crate::Result;
use bytemuck::{Pod, Zeroable};

const SHADER: &str = include_str!("fill.wgsl");
const WORKGROUP: u32 = 8;
/// Propagation distances of one PatchMatch pass, in order.
const JUMPS: [u32; 4] = [8, 4, 2, 1];
/// Threads per row of a dispatch over the targets.
const MAX_ROW_THREADS: u32 = 2048;

const MEASURE: u32 = 0;
const IMPROVE: u32 = 1;
const VOTE: u32 = 2;
const STATS: u32 = 3;
const HOLE: u32 = 1;
const SOURCE_OK: u32 = 2;

/// Mirrors `Params` in fill.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuParams {
    width: u32,
    height: u32,
    r: u32,
    stage: u32,
    target_count: u32,
    row_threads: u32,
    jump: u32,
    search: u32,
    seed_lo: u32,
    seed_hi: u32,
    draw_word: u32,
    adapt: u32,
    sigma2: f32,
    area: f32,
    gain_min: f32,
    gain_max: f32,
    bias_max: f32,
    pad1: [f32; 3],
}

/// A ping-pong pair of buffers, both starting as `contents`: a dispatch
/// reads one and writes the other.
fn pair(gpu: &GpuContext, label: &str, contents: &[u8]) -> [wgpu::Buffer; 2] {
    [
        gpu.storage_buffer(label, contents),
        gpu.storage_buffer(label, contents),
    ]
}

/// A level's buffers on the GPU; each pair is a ping-pong pair.
struct LevelBuffers {
    pixels: [wgpu::Buffer; 2],
    cells: wgpu::Buffer,
    nnf: [wgpu::Buffer; 2],
    dist: [wgpu::Buffer; 2],
    stats: wgpu::Buffer,
}

impl LevelBuffers {
    /// The bindings of a dispatch with `uniform`: it reads the estimate and
    /// the field at the given sides of their pairs and writes the others.
    fn bind<'a>(
        &'a self,
        uniform: &'a wgpu::Buffer,
        estimate_at: usize,
        field_at: usize,
    ) -> [&'a wgpu::Buffer; 9] {
        [
            uniform,
            &self.pixels[estimate_at],
            &self.cells,
            &self.nnf[field_at],
            &self.dist[field_at],
            &self.nnf[1 - field_at],
            &self.dist[1 - field_at],
            &self.pixels[1 - estimate_at],
            &self.stats,
        ]
    }
}

/// Bytes per pixel of the patch statistics.
const STATS_BYTES: u64 = 32;

/// Whether a level of `pixels` pixels fits the device's storage bindings:
/// its largest buffer is the cells (flags and targets, at most 8 bytes a
/// pixel), or with colour adaptation the patch statistics.
pub(super) fn fits(gpu: &GpuContext, pixels: usize, adapting: bool) -> bool {
    let per_pixel = if adapting { STATS_BYTES } else { 8 };
    pixels as u64 * per_pixel <= gpu.max_binding_bytes()
}

/// Runs `stage`'s EM rounds over `level` on the GPU; afterwards `level`
/// holds the new estimate and the stage's field the final sources and
/// distances, as [`Stage::run_cpu`] leaves them.
pub(super) async fn run(gpu: &GpuContext, stage: &mut Stage, level: &mut Level) -> Result<()> {
    let field = &mut stage.field;
    let (w, h) = (level.width as u32, level.height as u32);
    let count = field.targets.len() as u32;
    let pixels: Vec<u32> = level
        .pixels
        .iter()
        .map(|p| u32::from_le_bytes(*p))
        .collect();
    // Each pixel's flags, then the targets.
    let cells: Vec<u32> = level
        .hole
        .iter()
        .zip(&field.source_ok)
        .map(|(&hole, &ok)| (u32::from(hole) * HOLE) | (u32::from(ok) * SOURCE_OK))
        .chain(field.targets.iter().map(|&t| t as u32))
        .collect();
    let cells = gpu.storage_buffer("fill cells", bytemuck::cast_slice(&cells));
    let limits = field.adaptation.as_ref().map(|a| a.limits);
    // Without colour adaptation no stage touches the statistics.
    let stats_len = if limits.is_some() {
        u64::from(w * h) * STATS_BYTES
    } else {
        STATS_BYTES
    };
    let stats = gpu.scratch_buffer("fill patch statistics", stats_len);
    let pixels = pair(gpu, "fill estimate", bytemuck::cast_slice(&pixels));
    let nnf = pair(gpu, "fill field", bytemuck::cast_slice(&field.nnf));
    let dist = pair(gpu, "fill distances", bytemuck::cast_slice(&field.dist));
    // Which of each pair holds the current estimate, and the current field.
    let (mut estimate_at, mut field_at) = (0, 0);
    let pipeline = gpu.pipeline("fill.level", SHADER, "fill");

    let row_threads = count
        .next_multiple_of(WORKGROUP)
        .clamp(WORKGROUP, MAX_ROW_THREADS);
    let target_groups = (
        row_threads / WORKGROUP,
        count.div_ceil(row_threads).div_ceil(WORKGROUP).max(1),
        1,
    );
    let pixel_groups = (w.div_ceil(WORKGROUP), h.div_ceil(WORKGROUP), 1);
    let (r, area) = (field.r as u32, field.area());
    let (gain, bias_max) = limits.map_or(((1.0, 1.0), 0.0), |l| (l.gain, l.bias));
    let params = |stage_kind: u32, seed: u64| GpuParams {
        width: w,
        height: h,
        r,
        stage: stage_kind,
        target_count: count,
        row_threads,
        jump: 1,
        search: 0,
        seed_lo: seed as u32,
        seed_hi: (seed >> 32) as u32,
        draw_word: 0,
        adapt: u32::from(limits.is_some()),
        sigma2: 1.0,
        area,
        gain_min: gain.0,
        gain_max: gain.1,
        bias_max,
        pad1: [0.0; 3],
    };

    let buffers = LevelBuffers {
        pixels,
        cells,
        nnf,
        dist,
        stats,
    };
    for round in 0..stage.em_rounds {
        let seed = round_seed(stage.seed, round);
        // The statistics (with colour adaptation), a measure, then every
        // pass's jumps: each dispatch after the statistics swaps the field.
        let mut kinds = Vec::new();
        if limits.is_some() {
            kinds.push(params(STATS, seed));
        }
        kinds.push(params(MEASURE, seed));
        for pass in 0..stage.passes {
            for (i, &jump) in JUMPS.iter().enumerate() {
                kinds.push(GpuParams {
                    jump,
                    search: u32::from(i + 1 == JUMPS.len()),
                    draw_word: pass << 8,
                    ..params(IMPROVE, seed)
                });
            }
        }
        let uniforms: Vec<wgpu::Buffer> = kinds
            .iter()
            .map(|p| gpu.uniform_buffer("fill params", bytemuck::bytes_of(p)))
            .collect();
        let mut bindings = Vec::with_capacity(uniforms.len());
        for (uniform, kind) in uniforms.iter().zip(&kinds) {
            bindings.push((buffers.bind(uniform, estimate_at, field_at), kind.stage));
            if kind.stage != STATS {
                field_at = 1 - field_at;
            }
        }
        let steps: Vec<_> = bindings
            .iter()
            .map(|(buffers, stage)| {
                let workgroups = if *stage == STATS {
                    pixel_groups
                } else {
                    target_groups
                };
                (
                    &pipeline,
                    Dispatch {
                        buffers,
                        workgroups,
                    },
                )
            })
            .collect();
        gpu.run(&steps).await?;

        let distances = gpu
            .read_buffer(&buffers.dist[field_at], 0, u64::from(w * h) * 4)
            .await?;
        field.dist = read_as::<u32>(&distances);
        let vote = gpu.uniform_buffer(
            "fill vote params",
            bytemuck::bytes_of(&GpuParams {
                sigma2: field.sigma2(),
                ..params(VOTE, seed)
            }),
        );
        let vote_bindings = buffers.bind(&vote, estimate_at, field_at);
        gpu.run(&[(
            &pipeline,
            Dispatch {
                buffers: &vote_bindings,
                workgroups: pixel_groups,
            },
        )])
        .await?;
        estimate_at = 1 - estimate_at;
    }

    let bytes = u64::from(w * h) * 4;
    let estimate = read_as::<u32>(
        &gpu.read_buffer(&buffers.pixels[estimate_at], 0, bytes)
            .await?,
    );
    for (p, v) in level.pixels.iter_mut().zip(estimate) {
        *p = v.to_le_bytes();
    }
    field.nnf = read_as::<u32>(&gpu.read_buffer(&buffers.nnf[field_at], 0, bytes).await?);
    Ok(())
}
